package emu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a CRM served. Throttled counts Limits denials (and
// AddThrottled calls); tokens are counted by OAuth.
type Stats struct {
	requests, throttled, tokenRefreshes, tokensIssued atomic.Int64
}

// StatsSnapshot is Stats at one moment (the body of GET /_sandbox/{crm}/stats).
type StatsSnapshot struct {
	Requests       int64 `json:"requests"`
	Throttled      int64 `json:"throttled"`
	TokenRefreshes int64 `json:"token_refreshes"`
	TokensIssued   int64 `json:"tokens_issued"`
}

// AddThrottled counts a throttled response a CRM produced without Limits.
func (s *Stats) AddThrottled() { s.throttled.Add(1) }

// Snapshot returns the current counts.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Requests:       s.requests.Load(),
		Throttled:      s.throttled.Load(),
		TokenRefreshes: s.tokenRefreshes.Load(),
		TokensIssued:   s.tokensIssued.Load(),
	}
}

// Reset sets every count to zero.
func (s *Stats) Reset() {
	s.requests.Store(0)
	s.throttled.Store(0)
	s.tokenRefreshes.Store(0)
	s.tokensIssued.Store(0)
}

// maxLoggedBody caps each body kept in the request log.
const maxLoggedBody = 4096

// LoggedRequest is one entry of the request log. Headers are not kept, so
// tokens never land in it.
type LoggedRequest struct {
	Time         time.Time `json:"time"`
	Method       string    `json:"method"`
	Path         string    `json:"path"`
	Query        string    `json:"query,omitempty"`
	Status       int       `json:"status"` // 0 when the response was dropped
	DurationMS   float64   `json:"duration_ms"`
	Fault        string    `json:"fault,omitempty"` // "latency", "error", "drop"
	RequestBody  string    `json:"request_body,omitempty"`
	ResponseBody string    `json:"response_body,omitempty"`
}

// RequestLog is a bounded ring buffer of requests, oldest dropped first.
type RequestLog struct {
	mu    sync.Mutex
	buf   []LoggedRequest
	next  int
	total int
}

// NewRequestLog returns a log keeping the last size requests.
func NewRequestLog(size int) *RequestLog { return &RequestLog{buf: make([]LoggedRequest, size)} }

// Add appends one entry.
func (l *RequestLog) Add(e LoggedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf[l.next] = e
	l.next = (l.next + 1) % len(l.buf)
	l.total++
}

// List returns the last limit entries (all kept when limit <= 0), oldest first.
func (l *RequestLog) List(limit int) []LoggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(l.total, len(l.buf))
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]LoggedRequest, n)
	for i := range n {
		out[i] = l.buf[(l.next-n+i+len(l.buf))%len(l.buf)]
	}
	return out
}

// Clear empties the log.
func (l *RequestLog) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.buf)
	l.next, l.total = 0, 0
}

// Serve wraps a CRM's Handler with what every CRM shares: request counting,
// the request log, and the injected faults (latency; an error status in the
// CRM's own body via WriteFault; or handling the request and then dropping
// the connection unanswered).
func Serve(c CRM) http.Handler {
	env, h := c.Env(), c.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		env.Stats.requests.Add(1)
		entry := LoggedRequest{Time: env.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		if r.Body != nil {
			body, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				http.Error(w, "read request body", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			entry.RequestBody = truncate(body)
		}
		d := env.Faults.Decide(r)
		if d.Delay > 0 {
			entry.Fault = "latency"
			t := time.NewTimer(d.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		rec := &recorder{ResponseWriter: w}
		switch {
		case d.ErrorStatus != 0:
			entry.Fault = "error"
			c.WriteFault(rec, r, d.ErrorStatus)
		case d.Drop:
			entry.Fault = "drop"
			h.ServeHTTP(&discard{header: http.Header{}}, r) // the write commits; its answer is lost
		default:
			h.ServeHTTP(rec, r)
		}
		entry.Status = rec.status
		if rec.status == 0 && !d.Drop {
			entry.Status = http.StatusOK
		}
		entry.ResponseBody = truncate(rec.body.Bytes())
		entry.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		env.Requests.Add(entry)
		if d.Drop {
			dropConnection(w)
		}
	})
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	_ = conn.Close()
}

func truncate(b []byte) string {
	if len(b) > maxLoggedBody {
		return string(b[:maxLoggedBody]) + "…"
	}
	return string(b)
}

// recorder notes the status and the first bytes of the body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := maxLoggedBody + 1 - r.body.Len(); room > 0 {
		r.body.Write(b[:min(len(b), room)])
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// discard is the ResponseWriter of a request whose answer will be dropped.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxBody caps request bodies CRMs decode.
const maxBody = 16 << 20

// DecodeJSON decodes the request body into v (unknown keys are ignored, as
// the real APIs mostly do). An empty body is an error.
func DecodeJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return fmt.Errorf("decode request body: empty")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return fmt.Errorf("decode request body: empty")
		}
		return fmt.Errorf("decode request body: %w", err)
	}
	return nil
}

// BearerToken returns the credential of an "Authorization: {scheme} {token}"
// header (scheme compared case-insensitively: "Bearer", "Zoho-oauthtoken"),
// or "" when absent or of another scheme.
func BearerToken(r *http.Request, scheme string) string {
	h := r.Header.Get("Authorization")
	if len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) && h[len(scheme)] == ' ' {
		return strings.TrimSpace(h[len(scheme)+1:])
	}
	return ""
}
