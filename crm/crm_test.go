package crm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// bearer is a minimal Protocol that isolates Client from any real CRM.
type bearer struct{ crm.BearerAuth }

func (bearer) Classify(status int, h http.Header, body []byte) *crm.Error {
	switch status {
	case http.StatusUnauthorized:
		return &crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: status, CRMMessage: string(body)}
	case http.StatusTooManyRequests:
		return &crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: status, RetryAfter: crm.RetryAfter(h), CRMMessage: string(body)}
	}
	return &crm.Error{Problem: crmsync.ProblemUnknown, StatusCode: status, CRMMessage: string(body)}
}

func (bearer) Throttle(int, http.Header) time.Duration { return 0 }

// refresher counts refresh calls and hands out numbered tokens.
type refresher struct{ calls atomic.Int32 }

func (r *refresher) refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error) {
	n := r.calls.Add(1)
	time.Sleep(20 * time.Millisecond) // widen the race window
	return &crmsync.Token{AccessToken: "access-" + string(rune('0'+n)), Expiry: time.Now().Add(time.Hour)}, nil
}

func TestTokenSource_Refresh(t *testing.T) {
	t.Run("SingleFlight", func(t *testing.T) {
		store := crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "old", RefreshToken: "r1", Expiry: time.Now().Add(time.Hour)})
		var r refresher
		ts := crm.NewTokenSource(store, r.refresh, 0)
		stale, err := ts.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := ts.Refresh(context.Background(), stale); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := r.calls.Load(); got != 1 {
			t.Errorf("refresh calls = %d, want 1", got)
		}
		saved, _, _ := store.LoadToken(context.Background())
		if saved.AccessToken != "access-1" || saved.RefreshToken != "r1" {
			t.Errorf("saved token = %+v, want access-1 keeping refresh token r1", saved)
		}
	})
	t.Run("ExpiringSoon", func(t *testing.T) {
		store := crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "old", RefreshToken: "r1", Expiry: time.Now().Add(10 * time.Second)})
		var r refresher
		ts := crm.NewTokenSource(store, r.refresh, time.Minute)
		tok, err := ts.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "access-1" || r.calls.Load() != 1 {
			t.Errorf("token %q after %d refreshes; want a proactive refresh", tok.AccessToken, r.calls.Load())
		}
	})
	t.Run("OtherProcessWon", func(t *testing.T) {
		store := crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "old", RefreshToken: "r1", Expiry: time.Now().Add(time.Hour)})
		var r refresher
		ts := crm.NewTokenSource(store, r.refresh, 0)
		stale, _ := ts.Token(context.Background())
		// Another process refreshes and saves first.
		_, v, _ := store.LoadToken(context.Background())
		if _, err := store.SaveToken(context.Background(), &crmsync.Token{AccessToken: "theirs", RefreshToken: "r2", Expiry: time.Now().Add(time.Hour)}, v); err != nil {
			t.Fatal(err)
		}
		tok, err := ts.Refresh(context.Background(), stale)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "theirs" || r.calls.Load() != 0 {
			t.Errorf("got %q after %d refresh calls; want the other process's token and no call", tok.AccessToken, r.calls.Load())
		}
	})
	t.Run("RejectedGrant", func(t *testing.T) {
		store := crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "old", RefreshToken: "r1"})
		ts := crm.NewTokenSource(store, func(context.Context, *crmsync.Token) (*crmsync.Token, error) {
			return nil, &crm.Error{Problem: crmsync.ProblemAuthRevoked, Code: "invalid_grant"}
		}, 0)
		_, err := ts.Refresh(context.Background(), &crmsync.Token{AccessToken: "old"})
		if crm.ProblemOf(err) != crmsync.ProblemAuthRevoked {
			t.Errorf("err = %v, want auth_revoked", err)
		}
	})
}

func TestRateLimit_NeverExceedsWindow(t *testing.T) {
	for _, l := range []crm.RateLimit{
		{Requests: 190, Per: 10 * time.Second},
		{Requests: 80, Per: 2 * time.Second, Burst: 20},
		{Requests: 10, Per: 2 * time.Second},
		{Requests: 2, Per: time.Second},
	} {
		// Worst case in any window: the full burst plus a window's refill.
		worst := float64(l.Burst) + l.RequestsPerSecond()*l.Per.Seconds()
		if l.Burst == 0 {
			worst = float64(max(1, min(l.Requests/10, l.Requests-1))) + l.RequestsPerSecond()*l.Per.Seconds()
		}
		if worst > float64(l.Requests)+1e-9 {
			t.Errorf("%+v allows %.1f requests per window, more than %d", l, worst, l.Requests)
		}
		if l.RequestsPerSecond() <= 0 {
			t.Errorf("%+v allows no sustained rate", l)
		}
	}
}

func TestLimiter_LongWaitReported(t *testing.T) {
	lim := crm.NewLimiter(crm.RateLimit{Requests: 2, Per: 10 * time.Second, Burst: 1}, 500*time.Millisecond)
	if err := lim.Wait(context.Background()); err != nil {
		t.Fatalf("first request: %v", err)
	}
	err := lim.Wait(context.Background())
	var ce *crm.Error
	if !errors.As(err, &ce) || ce.Problem != crmsync.ProblemRateLimited || ce.RetryAfter < time.Second {
		t.Fatalf("second request err = %v, want rate_limited with a wait of seconds", err)
	}
	lim.PauseFor(time.Hour)
	if err := lim.Wait(context.Background()); crm.ProblemOf(err) != crmsync.ProblemRateLimited {
		t.Errorf("paused limiter: err = %v, want rate_limited", err)
	}
}

func TestClient_Do(t *testing.T) {
	t.Run("RefreshOnceOn401", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if r.Header.Get("Authorization") != "Bearer access-1" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"ok":true}`))
		}))
		defer srv.Close()
		var r refresher
		c := &crm.Client{Protocol: bearer{}, Limiter: crm.NewLimiter(crm.RateLimit{}, time.Second),
			Tokens: crm.NewTokenSource(crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "expired", RefreshToken: "r"}), r.refresh, 0)}
		resp, err := c.Do(context.Background(), "GET", srv.URL, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(resp.Body) != `{"ok":true}` || r.calls.Load() != 1 || hits.Load() != 2 {
			t.Errorf("body %s, %d refreshes, %d hits; want ok after 1 refresh and 2 hits", resp.Body, r.calls.Load(), hits.Load())
		}
	})
	t.Run("StillUnauthorizedAfterRefresh", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}))
		defer srv.Close()
		var r refresher
		c := &crm.Client{Protocol: bearer{}, Limiter: crm.NewLimiter(crm.RateLimit{}, time.Second),
			Tokens: crm.NewTokenSource(crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "x", RefreshToken: "r"}), r.refresh, 0)}
		_, err := c.Do(context.Background(), "GET", srv.URL, "", nil)
		if crm.ProblemOf(err) != crmsync.ProblemAuthRevoked || r.calls.Load() != 1 {
			t.Errorf("err %v after %d refreshes; want auth_revoked after exactly 1", err, r.calls.Load())
		}
	})
	t.Run("ShortThrottleRetried", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Write([]byte(`ok`))
		}))
		defer srv.Close()
		c := &crm.Client{Protocol: bearer{}, Limiter: crm.NewLimiter(crm.RateLimit{}, 2*time.Second),
			Tokens: crm.NewTokenSource(crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "a"}), nil, 0)}
		start := time.Now()
		resp, err := c.Do(context.Background(), "GET", srv.URL, "", nil)
		if err != nil || string(resp.Body) != "ok" {
			t.Fatalf("Do = %v, %v; want ok after waiting", resp, err)
		}
		if time.Since(start) < 900*time.Millisecond {
			t.Errorf("retried after %v, before Retry-After", time.Since(start))
		}
	})
	t.Run("LongThrottleReported", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		}))
		defer srv.Close()
		c := &crm.Client{Protocol: bearer{}, Limiter: crm.NewLimiter(crm.RateLimit{}, time.Second),
			Tokens: crm.NewTokenSource(crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "a"}), nil, 0)}
		_, err := c.Do(context.Background(), "GET", srv.URL, "", nil)
		ce := crm.AsError(err)
		if ce == nil || ce.Problem != crmsync.ProblemRateLimited || ce.RetryAfter < 50*time.Second {
			t.Errorf("err = %v, want rate_limited with ~60s wait", err)
		}
	})
	t.Run("TransportFailure", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		url := srv.URL
		srv.Close()
		c := &crm.Client{Protocol: bearer{}, Limiter: crm.NewLimiter(crm.RateLimit{}, time.Second),
			Tokens: crm.NewTokenSource(crm.NewMemoryTokenStore(&crmsync.Token{AccessToken: "a"}), nil, 0)}
		_, err := c.Do(context.Background(), "GET", url, "", nil)
		if crm.ProblemOf(err) != crmsync.ProblemCRMUnavailable {
			t.Errorf("err = %v, want crm_unavailable", err)
		}
	})
}
