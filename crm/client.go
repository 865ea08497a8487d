package crm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/saleshive/crmsync"
)

// Protocol is what differs between CRMs at the HTTP level. Each CRM package
// implements it once; Client does the rest.
type Protocol interface {
	// Authorize sets the credential on req ("Bearer" through BearerAuth,
	// or Zoho's "Zoho-oauthtoken").
	Authorize(req *http.Request, tok *crmsync.Token)
	// Classify turns a non-2xx response into an *Error. It lives in the CRM
	// package's errors.go.
	Classify(status int, header http.Header, body []byte) *Error
	// Throttle reads the CRM's rate-limit headers on any response and
	// returns how long the account must pause before its next request (0:
	// no pause).
	Throttle(status int, header http.Header) time.Duration
}

// BearerAuth is Protocol.Authorize for CRMs that take the OAuth 2.0 access
// token as "Authorization: Bearer <token>" (RFC 6750). A CRM package embeds
// it in its Protocol and adds Classify and Throttle.
type BearerAuth struct{}

// Authorize implements Protocol.
func (BearerAuth) Authorize(req *http.Request, tok *crmsync.Token) {
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
}

// Response is a CRM's answer, read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// maxResponseBody caps what one CRM response may make crmsync read.
const maxResponseBody = 32 << 20

// Client sends requests to one CRM account: it waits for the account's
// limiter, authorizes with the current token, refreshes the token once on a
// 401, honours the CRM's throttling signals (retrying short waits itself and
// reporting long ones), and classifies errors.
type Client struct {
	HTTP     *http.Client
	Protocol Protocol
	Tokens   *TokenSource
	Limiter  *Limiter
	// MaxRetries is how many times a throttled request is retried in place
	// when the wait is short enough for the limiter (default 3).
	MaxRetries int
}

// Do sends one request. body is sent as-is with contentType if not nil. A
// non-2xx answer is returned as an *Error (with the Response for callers that
// need the body). Transport failures are ProblemCRMUnavailable; the context's
// own error is returned unchanged when it is done.
func (c *Client) Do(ctx context.Context, method, url, contentType string, body []byte) (*Response, error) {
	refreshed := false
	retries := c.MaxRetries
	if retries == 0 {
		retries = 3
	}
	for attempt := 0; ; attempt++ {
		if err := c.Limiter.Wait(ctx); err != nil {
			return nil, err
		}
		tok, err := c.Tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, method, url, contentType, body, tok)
		if err != nil {
			return nil, err
		}
		if pause := c.Protocol.Throttle(resp.StatusCode, resp.Header); pause > 0 {
			c.Limiter.PauseFor(pause)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		cerr := c.Protocol.Classify(resp.StatusCode, resp.Header, resp.Body)
		switch {
		case resp.StatusCode == http.StatusUnauthorized && !refreshed:
			// The token expired or was replaced: one refresh, then retry.
			refreshed = true
			if _, err := c.Tokens.Refresh(ctx, tok); err != nil {
				return nil, err
			}
			continue
		case cerr.Problem == crmsync.ProblemRateLimited && attempt < retries:
			c.Limiter.PauseFor(cerr.RetryAfter)
			continue // Wait sleeps through a short pause or reports a long one
		}
		return resp, cerr
	}
}

func (c *Client) send(ctx context.Context, method, url, contentType string, body []byte, tok *crmsync.Token) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("crm: new request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	c.Protocol.Authorize(req, tok)
	return Send(ctx, c.HTTP, req)
}

// Send sends one request and reads its answer in full (up to 32 MiB). It
// is what Client does after authorizing, and what connectors use for the
// calls that carry no account token (revoking a token at the OAuth host).
// A transport failure is ProblemCRMUnavailable; the context's own error is
// returned unchanged when it is done. hc nil means http.DefaultClient.
func Send(ctx context.Context, hc *http.Client, req *http.Request) (*Response, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Problem: crmsync.ProblemCRMUnavailable, CRMMessage: "The CRM did not answer.", Err: fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL.String()), err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: resp.StatusCode, CRMMessage: "The CRM's answer was cut off.", Err: err}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// redactURL drops the query string, which may hold identifiers, from URLs
// that reach logs.
func redactURL(u string) string {
	if i := bytes.IndexByte([]byte(u), '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// RetryAfter parses a Retry-After header given in seconds or as an HTTP
// date; 0 if absent or unparseable.
func RetryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// IsContextError reports whether err is a context cancellation or deadline.
func IsContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
