package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Client is a Go client for the sandbox's control API, for other packages'
// tests: inspect what a CRM holds, inject faults, revoke tokens, change
// limits.
type Client struct {
	// BaseURL is the sandbox root ("http://127.0.0.1:4321"), without a CRM prefix.
	BaseURL string
	// HTTP is the client used; nil means http.DefaultClient.
	HTTP *http.Client
}

// NewClient returns a Client for the sandbox at baseURL.
func NewClient(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/")}
}

// MustStart starts a sandbox on a loopback port for the test and returns its
// server and a control client. The server is closed when the test ends.
func MustStart(tb testing.TB, cfg Config) (*httptest.Server, *Client) {
	tb.Helper()
	srv := httptest.NewServer(New(cfg).Handler())
	tb.Cleanup(srv.Close)
	return srv, NewClient(srv.URL)
}

// URL is the base URL a CRM client library is pointed at ("{BaseURL}/hubspot").
func (c *Client) URL(crm string) string { return c.BaseURL + "/" + crm }

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends a control request with an optional JSON body and decodes a JSON
// answer into out (when not nil). A non-2xx status is an error carrying the
// control API's message.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("sandbox: %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var ce controlError
		if json.Unmarshal(data, &ce) == nil && ce.Error != "" {
			return fmt.Errorf("sandbox: %s %s: %d: %s", method, path, resp.StatusCode, ce.Error)
		}
		return fmt.Errorf("sandbox: %s %s: %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("sandbox: %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// Info describes every served CRM.
func (c *Client) Info(ctx context.Context) ([]CRMInfo, error) {
	var out struct {
		CRMs []CRMInfo `json:"crms"`
	}
	err := c.do(ctx, http.MethodGet, "/_sandbox/", nil, &out)
	return out.CRMs, err
}

// CRMInfo describes one served CRM (base URL, OAuth client, account name).
func (c *Client) CRMInfo(ctx context.Context, crm string) (CRMInfo, error) {
	var out CRMInfo
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm, nil, &out)
	return out, err
}

// ResetAll returns every CRM to its just-created state.
func (c *Client) ResetAll(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/_sandbox/reset", nil, nil)
}

// Reset returns one CRM to its just-created state.
func (c *Client) Reset(ctx context.Context, crm string) error {
	return c.do(ctx, http.MethodPost, "/_sandbox/"+crm+"/reset", nil, nil)
}

// AdvanceClock moves every CRM's clock forward by d (tokens expire, windows empty).
func (c *Client) AdvanceClock(ctx context.Context, d time.Duration) error {
	return c.do(ctx, http.MethodPost, "/_sandbox/clock/advance", map[string]int64{"ms": d.Milliseconds()}, nil)
}

// Records returns up to limit records of object from offset (limit 0: 100).
func (c *Client) Records(ctx context.Context, crm, object string, offset, limit int) (RecordList, error) {
	q := url.Values{"offset": {strconv.Itoa(offset)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out RecordList
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/objects/"+url.PathEscape(object)+"?"+q.Encode(), nil, &out)
	return out, err
}

// Record returns one record and what links to it.
func (c *Client) Record(ctx context.Context, crm, object, id string) (RecordDetail, error) {
	var out RecordDetail
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/objects/"+url.PathEscape(object)+"/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Fields returns the field definitions of object.
func (c *Client) Fields(ctx context.Context, crm, object string) ([]emu.Field, error) {
	var out struct {
		Fields []emu.Field `json:"fields"`
	}
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/fields/"+url.PathEscape(object), nil, &out)
	return out.Fields, err
}

// Count is how many records of object hold value in field: 1 after an
// idempotent upsert, 2 or more when a duplicate was made.
func (c *Client) Count(ctx context.Context, crm, object, field, value string) (int, error) {
	q := url.Values{"object": {object}, "field": {field}, "value": {value}}
	var out struct {
		Count int `json:"count"`
	}
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/count?"+q.Encode(), nil, &out)
	return out.Count, err
}

// SetFaults replaces the CRM's fault injection.
func (c *Client) SetFaults(ctx context.Context, crm string, f emu.FaultConfig) error {
	return c.do(ctx, http.MethodPut, "/_sandbox/"+crm+"/faults", f, nil)
}

// ClearFaults removes every fault of the CRM.
func (c *Client) ClearFaults(ctx context.Context, crm string) error {
	return c.do(ctx, http.MethodDelete, "/_sandbox/"+crm+"/faults", nil, nil)
}

// MintToken issues a grant without the consent flow.
func (c *Client) MintToken(ctx context.Context, crm string, m MintRequest) (emu.Token, error) {
	var out emu.Token
	err := c.do(ctx, http.MethodPost, "/_sandbox/"+crm+"/tokens", m, &out)
	return out, err
}

// RevokeAllTokens revokes every access and refresh token of the CRM.
func (c *Client) RevokeAllTokens(ctx context.Context, crm string) error {
	return c.do(ctx, http.MethodPost, "/_sandbox/"+crm+"/tokens/revoke-all", nil, nil)
}

// ExpireAllTokens expires every access token of the CRM now.
func (c *Client) ExpireAllTokens(ctx context.Context, crm string) error {
	return c.do(ctx, http.MethodPost, "/_sandbox/"+crm+"/tokens/expire-all", nil, nil)
}

// SetRequiredField makes a field required on create.
func (c *Client) SetRequiredField(ctx context.Context, crm, object, field string) error {
	return c.do(ctx, http.MethodPut, "/_sandbox/"+crm+"/required-fields", RequiredField{Object: object, Field: field}, nil)
}

// ClearRequiredField lifts what SetRequiredField did.
func (c *Client) ClearRequiredField(ctx context.Context, crm, object, field string) error {
	return c.do(ctx, http.MethodDelete, "/_sandbox/"+crm+"/required-fields", RequiredField{Object: object, Field: field}, nil)
}

// RateLimits returns the CRM's windows and whether throttling is off.
func (c *Client) RateLimits(ctx context.Context, crm string) (RateLimits, error) {
	var out RateLimits
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/rate-limits", nil, &out)
	return out, err
}

// SetRateLimits changes the named windows and the disabled switch.
func (c *Client) SetRateLimits(ctx context.Context, crm string, l RateLimits) (RateLimits, error) {
	var out RateLimits
	err := c.do(ctx, http.MethodPut, "/_sandbox/"+crm+"/rate-limits", l, &out)
	return out, err
}

// Stats returns the CRM's counters.
func (c *Client) Stats(ctx context.Context, crm string) (emu.StatsSnapshot, error) {
	var out emu.StatsSnapshot
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/stats", nil, &out)
	return out, err
}

// Requests returns the last limit logged requests (all kept when 0), oldest first.
func (c *Client) Requests(ctx context.Context, crm string, limit int) ([]emu.LoggedRequest, error) {
	var out struct {
		Requests []emu.LoggedRequest `json:"requests"`
	}
	err := c.do(ctx, http.MethodGet, "/_sandbox/"+crm+"/requests?limit="+strconv.Itoa(limit), nil, &out)
	return out.Requests, err
}

// ClearRequests empties the CRM's request log.
func (c *Client) ClearRequests(ctx context.Context, crm string) error {
	return c.do(ctx, http.MethodDelete, "/_sandbox/"+crm+"/requests", nil, nil)
}

// Authorize plays the user on a CRM's consent page: it opens authorizeURL
// (built by the connector under test) and presses Allow (or Deny), then
// returns the redirect target (the app's callback URL with code and state,
// or error=access_denied) without following it. An authorize URL the CRM
// refuses is an error carrying the CRM's answer.
func (c *Client) Authorize(ctx context.Context, authorizeURL string, allow bool) (*url.URL, error) {
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("sandbox: authorize: %w", err)
	}
	resp, err := hc.Do(get)
	if err != nil {
		return nil, fmt.Errorf("sandbox: authorize: %w", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
		// Some CRMs redirect straight back with an error (bad scope, say).
		return resp.Request.URL.Parse(loc)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`id="allow"`)) {
		return nil, fmt.Errorf("sandbox: authorize: %d: %s", resp.StatusCode, strings.TrimSpace(string(page)))
	}
	decision := "deny"
	if allow {
		decision = "allow"
	}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, resp.Request.URL.String(), strings.NewReader(url.Values{"decision": {decision}}.Encode()))
	if err != nil {
		return nil, fmt.Errorf("sandbox: authorize: %w", err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(post)
	if err != nil {
		return nil, fmt.Errorf("sandbox: authorize: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || loc == "" {
		return nil, fmt.Errorf("sandbox: authorize: no redirect after %s: %d: %s", decision, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: authorize: bad redirect %q", loc), err)
	}
	return u, nil
}
