package crm

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/saleshive/crmsync"
)

// RateLimit describes a CRM's request allowance as "Requests per Per". It
// is enforced as a token bucket whose burst plus refill never exceeds
// Requests in any window of length Per, so a rolling-window CRM (HubSpot's
// 10 seconds, Pipedrive's 2 seconds) never throttles a lone client.
type RateLimit struct {
	Requests int           // allowed requests per window; 0 means unlimited
	Per      time.Duration // the window
	Burst    int           // requests allowed at once; 0 means Requests/10 (at least 1)
}

// RequestsPerSecond is the sustained rate the limiter allows.
func (l RateLimit) RequestsPerSecond() float64 {
	if l.Requests <= 0 || l.Per <= 0 {
		return 0
	}
	return float64(l.Requests-l.burst()) / l.Per.Seconds()
}

func (l RateLimit) burst() int {
	b := l.Burst
	if b <= 0 {
		b = l.Requests / 10
	}
	if b < 1 {
		b = 1
	}
	if b >= l.Requests {
		b = l.Requests - 1
	}
	if b < 1 {
		b = 1
	}
	return b
}

// Limiter paces the requests to one CRM account. The CRM's own signals
// (Retry-After, remaining-zero headers, a throttling response) pause it for
// everyone sharing the account.
type Limiter struct {
	bucket  *rate.Limiter // nil: unlimited
	maxWait time.Duration

	mu          sync.Mutex
	pausedUntil time.Time
	waited      time.Duration // total time spent waiting, for metrics
}

// NewLimiter returns a limiter for l. A wait longer than maxWait is not
// slept through: Wait returns a rate_limited *Error with RetryAfter so the
// caller can snooze its job instead of holding a worker.
func NewLimiter(l RateLimit, maxWait time.Duration) *Limiter {
	lim := &Limiter{maxWait: maxWait}
	if rps := l.RequestsPerSecond(); rps > 0 {
		lim.bucket = rate.NewLimiter(rate.Limit(rps), l.burst())
	}
	return lim
}

// Wait blocks until a request may be sent, or returns an error: the
// context's, or a rate_limited *Error when the wait would exceed maxWait.
func (l *Limiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	pause := time.Until(l.pausedUntil)
	l.mu.Unlock()
	if pause < 0 {
		pause = 0
	}
	var res *rate.Reservation
	delay := pause
	if l.bucket != nil {
		res = l.bucket.Reserve()
		if d := res.Delay(); d > delay {
			delay = d
		}
	}
	if delay > l.maxWait {
		if res != nil {
			res.Cancel()
		}
		return &Error{Problem: crmsync.ProblemRateLimited, RetryAfter: delay, CRMMessage: "Waiting for the CRM's API limit to reset."}
	}
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		if res != nil {
			res.Cancel()
		}
		return ctx.Err()
	case <-t.C:
		l.mu.Lock()
		l.waited += delay
		l.mu.Unlock()
		return nil
	}
}

// PauseFor stops all requests through l for d (from a Retry-After or a
// reset header). Overlapping pauses keep the later end.
func (l *Limiter) PauseFor(d time.Duration) {
	if d <= 0 {
		return
	}
	until := time.Now().Add(d)
	l.mu.Lock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	l.mu.Unlock()
}

// Waited returns the total time requests spent waiting in l.
func (l *Limiter) Waited() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waited
}

// Limiters holds one Limiter per CRM account, so every connection and job
// that reaches the same account shares its allowance.
type Limiters struct {
	mu sync.Mutex
	m  map[string]*Limiter
}

// Get returns the limiter for key (e.g. "hubspot:12345"), creating it from l
// and maxWait on first use.
func (ls *Limiters) Get(key string, l RateLimit, maxWait time.Duration) *Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = make(map[string]*Limiter)
	}
	lim, ok := ls.m[key]
	if !ok {
		lim = NewLimiter(l, maxWait)
		ls.m[key] = lim
	}
	return lim
}
