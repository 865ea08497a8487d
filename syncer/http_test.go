package syncer_test

import (
	"io"
	"net/http"
	"strings"
)

type page struct {
	status int
	body   string
}

func httpGet(url string) (page, error) {
	resp, err := http.Get(url)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(b)}, err
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
