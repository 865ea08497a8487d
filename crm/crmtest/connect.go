package crmtest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/sandbox"
)

// ConnectState is the OAuth state Connect sends and expects back.
const ConnectState = "state-42"

// ConnectOptions says how Connect signs a connector in to its sandbox.
type ConnectOptions struct {
	// Token, when set, is used instead of the consent flow (a token the
	// sandbox minted as the consent flow would issue it).
	Token *crmsync.Token
	// Verifier is the PKCE verifier of the consent flow ("" for none).
	Verifier string
	// Auth are the sign-in options passed to AuthCodeURL and Exchange.
	Auth crm.AuthOptions
	// CallbackWant are callback query parameters, besides state, that must
	// hold these values.
	CallbackWant map[string]string
	// CallbackParams name callback query parameters handed to Exchange.
	CallbackParams []string
	// CheckToken, when set, checks the token the sign-in produced.
	CheckToken func(*crmsync.Token) error
	// SkipSchema leaves the account's schema unensured.
	SkipSchema bool
}

// Context is a test context that ends after two minutes or with the test.
func Context(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// Connect signs conn in to the sandbox ctl controls through its consent
// page the way a user would (or takes opts.Token), and returns a
// connected Account (connection 1, a limiter for conn's documented rate
// limit, hc as its HTTP client) whose AccountID comes from Identity and
// whose schema is ensured unless opts.SkipSchema.
func Connect(tb testing.TB, ctl *sandbox.Client, hc *http.Client, conn crm.Connector, opts ConnectOptions) *crm.Account {
	tb.Helper()
	ctx := Context(tb)
	tok, err := signIn(ctx, ctl, conn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if opts.CheckToken != nil {
		if err := opts.CheckToken(tok); err != nil {
			tb.Fatal(err)
		}
	}
	lim := crm.NewLimiter(conn.RateLimit(), 5*time.Second)
	a := crm.NewAccount(conn, 1, "", crm.Schema{}, crm.NewMemoryTokenStore(tok), lim, hc)
	id, err := conn.Identity(ctx, a)
	if err != nil {
		tb.Fatalf("Identity: %v", err)
	}
	a.AccountID = id.AccountID
	if !opts.SkipSchema {
		if a.Schema, err = conn.EnsureSchema(ctx, a); err != nil {
			tb.Fatalf("EnsureSchema: %v", err)
		}
	}
	return a
}

// signIn returns a token for conn: opts.Token, or one from the consent flow.
func signIn(ctx context.Context, ctl *sandbox.Client, conn crm.Connector, opts ConnectOptions) (*crmsync.Token, error) {
	if opts.Token != nil {
		return opts.Token, nil
	}
	authURL, err := conn.AuthCodeURL(ConnectState, opts.Verifier, opts.Auth)
	if err != nil {
		return nil, err
	}
	cb, err := ctl.Authorize(ctx, authURL, true)
	if err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	q := cb.Query()
	if got := q.Get("state"); got != ConnectState {
		return nil, fmt.Errorf("callback state = %q, want %s (%s)", got, ConnectState, cb)
	}
	for k, want := range opts.CallbackWant {
		if got := q.Get(k); got != want {
			return nil, fmt.Errorf("callback %s = %q, want %q (%s)", k, got, want, cb)
		}
	}
	var params map[string]string
	if len(opts.CallbackParams) > 0 {
		params = map[string]string{}
		for _, k := range opts.CallbackParams {
			params[k] = q.Get(k)
		}
	}
	tok, err := conn.Exchange(ctx, q.Get("code"), opts.Verifier, opts.Auth, params)
	if err != nil {
		return nil, fmt.Errorf("Exchange: %w", err)
	}
	return tok, nil
}
