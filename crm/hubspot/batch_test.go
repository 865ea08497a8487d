package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// TestUpsertContacts_HalvesWholeBatchRejection isolates the bad record when
// HubSpot rejects a whole batch with a 400 although every input carries a
// trace id. The sandbox honours trace ids, so a stand-in server plays the
// HubSpot that does not: one invalid email fails any batch holding it.
func TestUpsertContacts_HalvesWholeBatchRejection(t *testing.T) {
	invalid, err := os.ReadFile(filepath.Join("testdata", "invalid_email.json"))
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/crm/v3/objects/contacts/batch/upsert" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		var body batchRequest
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusTeapot)
			return
		}
		if slices.ContainsFunc(body.Inputs, func(in batchInput) bool { return in.Properties["email"] == "bad" }) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(invalid)
			return
		}
		var res batchResponse
		for i, in := range body.Inputs {
			if in.ObjectWriteTraceID != in.ID {
				http.Error(w, "trace id is not the external id", http.StatusTeapot)
				return
			}
			res.Results = append(res.Results, batchResult{ID: strconv.Itoa(100 + i), New: true, Properties: mustProperties(t, map[string]string{ExternalIDProperty: in.ID})})
		}
		slices.Reverse(res.Results)
		_ = json.NewEncoder(w).Encode(res)
	}))
	defer srv.Close()
	conn := New(Config{APIBaseURL: srv.URL})
	tok := &crmsync.Token{AccessToken: "tok", Expiry: time.Now().Add(time.Hour)}
	a := crm.NewAccount(conn, 1, "1", crm.Schema{ContactExternalID: ExternalIDProperty}, crm.NewMemoryTokenStore(tok), crm.NewLimiter(crm.RateLimit{}, time.Second), srv.Client())
	var ins []crm.ContactInput
	for i := range 8 {
		email := fmt.Sprintf("c%d@example.com", i)
		if i == 5 {
			email = "bad"
		}
		ins = append(ins, crm.ContactInput{ExternalID: fmt.Sprintf("shc-%d", i), Fields: map[string]string{"email": email}})
	}
	res, err := conn.UpsertContacts(context.Background(), a, ins, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if i == 5 {
			if r.Err == nil || r.Err.Problem != crmsync.ProblemInvalidValue || r.Err.Field != "email" {
				t.Errorf("bad record: %+v, want invalid_value on email", r)
			}
			continue
		}
		if r.Err != nil || r.CRMID == "" || !r.Created {
			t.Errorf("record %d did not land: %+v", i, r)
		}
	}
	// 8 → 4+4 → 2+2 → 1+1: seven requests, not one per record plus retries.
	if n := requests.Load(); n != 7 {
		t.Errorf("requests = %d, want 7", n)
	}
}

// mustProperties encodes props as a result's properties.
func mustProperties(t *testing.T, props map[string]string) properties {
	t.Helper()
	b, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	return properties(b)
}

// TestPropertiesGet reads one property of a result lazily: strings as sent,
// "" for an absent property, a null, a non-string or no properties at all.
func TestPropertiesGet(t *testing.T) {
	var r batchResult
	if err := json.Unmarshal([]byte(`{"id":"7","properties":{"email":"a@b.co","hs_lastmodifieddate":null,"n":3}}`), &r); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"email": "a@b.co", "hs_lastmodifieddate": "", "n": "", "absent": ""} {
		if got := r.Properties.get(name); got != want {
			t.Errorf("get(%q) = %q, want %q", name, got, want)
		}
	}
	if got := (batchResult{}).Properties.get("email"); got != "" {
		t.Errorf("get on no properties = %q, want empty", got)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"email":"a@b.co"`) {
		t.Errorf("re-encoded result = %s, %v; want the properties as received", b, err)
	}
}
