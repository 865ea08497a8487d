package emutest_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu/emutest"
)

func TestClientAndGolden(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"auth":"` + r.Header.Get("Authorization") + `","id":"3f2b8c1a-0000-4000-8000-aaaaaaaaaaaa","link":"` + "http://" + r.Host + `/x","secret":"s-123"}`))
	}))
	defer srv.Close()
	c := &emutest.Client{T: t, Base: srv.URL, Token: "tok", AuthScheme: "Zoho-oauthtoken"}
	r := c.Do(http.MethodPost, "/things", map[string]any{"b": 1, "a": "x"})
	r.WantStatus(t, http.StatusOK)
	var body struct {
		Auth string `json:"auth"`
	}
	r.Decode(t, &body)
	if body.Auth != "Zoho-oauthtoken tok" {
		t.Fatalf("Authorization = %q", body.Auth)
	}
	emutest.Golden(t, "exchange", map[string]any{"b": 1, "a": "x"}, r, emutest.Mask{RE: regexp.MustCompile(`s-[0-9]+`), With: "<secret>"})
	if got := c.DoToken("", http.MethodGet, "/redirect", nil); got.Status != http.StatusFound || got.Header.Get("Location") != "/elsewhere" {
		t.Fatalf("redirect followed: %d %v", got.Status, got.Header)
	}
}
