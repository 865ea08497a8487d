package emu

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFaults_WritesOnly(t *testing.T) {
	f := NewFaults(1)
	if err := f.Set(FaultConfig{DropAfterCommitRate: 1, WritesOnly: true, Remaining: 1}); err != nil {
		t.Fatal(err)
	}
	get := httptest.NewRequest(http.MethodGet, "/api/v2/persons/search", nil)
	if d := f.Decide(get); d.Drop {
		t.Fatalf("a GET was dropped with writes_only set")
	}
	post := httptest.NewRequest(http.MethodPost, "/api/v2/persons", nil)
	if d := f.Decide(post); !d.Drop {
		t.Fatalf("the POST was not dropped")
	}
	if d := f.Decide(post); d.Drop {
		t.Fatalf("a second POST was dropped; remaining was 1")
	}
}
