package pipedrive

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func header(t *testing.T, r response, name string) int {
	t.Helper()
	v := r.header.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("header %s = %q, want a number", name, v)
	}
	return n
}

func TestRateLimit_Burst(t *testing.T) {
	s := mustStart(t, Options{BurstLimit: 3})
	for i := range 3 {
		r := s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
		if got := header(t, r, "x-ratelimit-limit"); got != 3 {
			t.Fatalf("x-ratelimit-limit = %d", got)
		}
		if got := header(t, r, "x-ratelimit-remaining"); got != 2-i {
			t.Fatalf("request %d: x-ratelimit-remaining = %d, want %d", i+1, got, 2-i)
		}
		if got := header(t, r, "x-ratelimit-reset"); got < 1 || got > 2 {
			t.Fatalf("x-ratelimit-reset = %d, want 1..2 s", got)
		}
	}
	r := s.api(http.MethodGet, "/v1/users/me", nil)
	e := wantError(t, r, http.StatusTooManyRequests, msgOverLimit)
	if e.ErrorCode != 429 || header(t, r, "x-ratelimit-remaining") != 0 || header(t, r, "Retry-After") < 1 {
		t.Fatalf("429 %s headers %v", r.body, r.header)
	}
	golden(t, "rate_limited", nil, r)
	if got := s.crm.Env().Stats.Snapshot().Throttled; got != 1 {
		t.Fatalf("throttled = %d, want 1", got)
	}
	// Another token has its own window (limits are per token).
	other := s.crm.MintToken().AccessToken
	if r := s.do(http.MethodGet, "/v1/users/me", other, nil); r.status != http.StatusOK {
		t.Fatalf("other token: %d", r.status)
	}
	s.crm.Env().Clock.Advance(2 * time.Second)
	s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
}

func TestRateLimit_Search(t *testing.T) {
	s := mustStart(t, Options{})
	for i := range DefaultSearchLimit {
		r := s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=nobody", nil, http.StatusOK)
		// Search answers describe the search window.
		if header(t, r, "x-ratelimit-limit") != DefaultSearchLimit || header(t, r, "x-ratelimit-remaining") != DefaultSearchLimit-1-i {
			t.Fatalf("search %d headers %v", i+1, r.header)
		}
	}
	r := s.api(http.MethodGet, "/api/v2/persons/search?term=nobody", nil)
	wantError(t, r, http.StatusTooManyRequests, msgOverLimit)
	if header(t, r, "x-ratelimit-limit") != DefaultSearchLimit || header(t, r, "x-ratelimit-remaining") != 0 {
		t.Fatalf("search 429 headers %v", r.header)
	}
	// Other endpoints still answer: the search window is separate.
	r = s.mustAPI(http.MethodGet, "/api/v2/persons", nil, http.StatusOK)
	if header(t, r, "x-ratelimit-limit") != DefaultBurstLimit {
		t.Fatalf("list headers describe the burst window: %v", r.header)
	}
	s.crm.Env().Clock.Advance(2 * time.Second)
	s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=nobody", nil, http.StatusOK)
}

func TestRateLimit_DailyBudget(t *testing.T) {
	// 30 tokens: users/me costs 2, a person create 5, a list 10.
	s := mustStart(t, Options{DailyTokens: 30})
	steps := []struct {
		method, path string
		body         any
		left         int
	}{
		{http.MethodGet, "/v1/users/me", nil, 28},
		{http.MethodPost, "/api/v2/persons", map[string]any{"name": "A"}, 23},
		{http.MethodGet, "/api/v2/persons", nil, 13},
		{http.MethodGet, "/api/v2/persons", nil, 3},
		{http.MethodGet, "/v1/users/me", nil, 1},
	}
	for _, st := range steps {
		r := s.mustAPI(st.method, st.path, st.body, http.StatusOK)
		if got := header(t, r, "x-daily-requests-left"); got != st.left {
			t.Fatalf("%s %s: x-daily-requests-left = %d, want %d", st.method, st.path, got, st.left)
		}
	}
	r := s.api(http.MethodGet, "/v1/users/me", nil)
	wantError(t, r, http.StatusTooManyRequests, msgOverLimit)
	if retry := header(t, r, "Retry-After"); retry < 3600 {
		t.Fatalf("Retry-After = %d s, want the wait until midnight UTC", retry)
	}
	// The budget resets at midnight UTC.
	s.crm.Env().Clock.Advance(24 * time.Hour)
	s.token = s.crm.MintToken().AccessToken // the old one expired meanwhile
	r = s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
	if got := header(t, r, "x-daily-requests-left"); got != 28 {
		t.Fatalf("after midnight: x-daily-requests-left = %d", got)
	}
}

func TestRateLimit_ControlAPIWindows(t *testing.T) {
	s := mustStart(t, Options{})
	if err := s.crm.Env().Limits.Set(WindowBurst, emu.Window{Max: 1, PeriodMS: 2000, Rolling: true}); err != nil {
		t.Fatal(err)
	}
	s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
	wantError(t, s.api(http.MethodGet, "/v1/users/me", nil), http.StatusTooManyRequests, msgOverLimit)
	s.crm.Env().Limits.SetDisabled(true)
	r := s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
	if r.header.Get("x-ratelimit-limit") != "1" {
		t.Fatalf("headers stay truthful when disabled: %v", r.header)
	}
	s.crm.Env().Reset()
	if w := s.crm.Env().Limits.Windows()[WindowBurst]; w.Max != DefaultBurstLimit {
		t.Fatalf("after reset burst max = %d", w.Max)
	}
}

func TestFaults(t *testing.T) {
	t.Run("InjectedErrors", func(t *testing.T) {
		for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
			s := mustStart(t, Options{})
			if err := s.crm.Env().Faults.Set(emu.FaultConfig{ErrorRate: 1, ErrorStatus: status, Remaining: 1}); err != nil {
				t.Fatal(err)
			}
			r := s.api(http.MethodPost, "/api/v2/persons", map[string]any{"name": "A"})
			want := msgInternal
			if status == http.StatusServiceUnavailable {
				want = msgUnavailable
			}
			wantError(t, r, status, want)
			golden(t, fmt.Sprintf("fault_%d", status), nil, r)
			if n := s.crm.Env().Store.Len(objPersons); n != 0 {
				t.Fatalf("an injected error must not write: %d persons", n)
			}
			s.mustAPI(http.MethodPost, "/api/v2/persons", map[string]any{"name": "A"}, http.StatusOK)
		}
	})
	t.Run("DropAfterCommit", func(t *testing.T) {
		s := mustStart(t, Options{})
		if err := s.crm.Env().Faults.Set(emu.FaultConfig{DropAfterCommitRate: 1, PathContains: "/api/v2/persons", Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v2/persons", jsonBody(t, map[string]any{"name": "Committed"}))
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.Header.Set("Content-Type", "application/json")
		if res, err := s.srv.Client().Do(req); err == nil {
			res.Body.Close()
			t.Fatalf("got status %d, want a dropped connection", res.StatusCode)
		}
		if n := s.crm.Env().Store.Count(objPersons, "name", "Committed"); n != 1 {
			t.Fatalf("the write did not commit: %d persons", n)
		}
	})
	t.Run("Latency", func(t *testing.T) {
		s := mustStart(t, Options{})
		if err := s.crm.Env().Faults.Set(emu.FaultConfig{LatencyMS: 150, Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("answered in %v, want ≥ 150 ms", d)
		}
	})
}

// TestConcurrentClients runs creates, searches and reads from many
// goroutines (run with -race).
func TestConcurrentClients(t *testing.T) {
	s := mustStart(t, Options{BurstLimit: 100000, SearchLimit: 100000})
	ext := s.externalIDField(t)
	var wg sync.WaitGroup
	const workers, each = 8, 25
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := map[string]any{"name": fmt.Sprintf("P %d-%d", w, i), "custom_fields": map[string]any{ext: fmt.Sprintf("SH-%d-%d", w, i)}}
				r := s.api(http.MethodPost, "/api/v2/persons", body)
				if r.status != http.StatusOK {
					t.Errorf("create: %d %s", r.status, r.body)
					return
				}
				r = s.api(http.MethodGet, fmt.Sprintf("/api/v2/persons/search?term=SH-%d-%d&fields=custom_fields&exact_match=true", w, i), nil)
				var env struct {
					Data struct {
						Items []SearchItem `json:"items"`
					} `json:"data"`
				}
				r.json(t, &env)
				if len(env.Data.Items) != 1 {
					t.Errorf("search SH-%d-%d: %d hits", w, i, len(env.Data.Items))
				}
			}
		}()
	}
	wg.Wait()
	var list personsEnvelope
	s.mustAPI(http.MethodGet, "/api/v2/persons?limit=500", nil, http.StatusOK).json(t, &list)
	if len(list.Data) != workers*each {
		t.Fatalf("%d persons, want %d", len(list.Data), workers*each)
	}
	for i, p := range list.Data {
		if p.ID != int64(i+1) {
			t.Fatalf("person %d has id %d: ids must be dense for cursor paging", i, p.ID)
		}
	}
}
