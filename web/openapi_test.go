package web_test

import (
	"bytes"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saleshive/crmsync/web"
)

// TestOpenAPI_Valid loads and validates the document.
func TestOpenAPI_Valid(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI < "3.0" || doc.Paths.Len() == 0 {
		t.Fatalf("document: openapi %q with %d paths", doc.OpenAPI, doc.Paths.Len())
	}
}

// TestOpenAPI_RoutesMatchDocument checks that every /api/v1 route is
// documented and every documented operation is routed.
func TestOpenAPI_RoutesMatchDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	var routed, documented []string
	for _, pattern := range web.NewServer(web.Config{}).Routes() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			t.Errorf("route %q has no method", pattern)
			continue
		}
		if strings.HasPrefix(path, "/api/v1/") {
			routed = append(routed, method+" "+path)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(routed)
	sort.Strings(documented)
	if len(routed) == 0 {
		t.Fatal("no /api/v1 routes registered")
	}
	if diff := cmp.Diff(documented, routed); diff != "" {
		t.Errorf("routes and OpenAPI operations differ (-documented +routed):\n%s", diff)
	}
}

// TestOpenAPI_Served checks that the document is served without a token.
func TestOpenAPI_Served(t *testing.T) {
	a := newTestAPI(t, newFailingStore(errDiskFull))
	resp := a.do("GET", "/api/v1/openapi.json", "", nil)
	if resp.Status != http.StatusOK || !bytes.Equal(resp.Body, web.OpenAPI) {
		t.Fatalf("GET /api/v1/openapi.json: status %d, %d bytes", resp.Status, len(resp.Body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}
