package zoho

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// versionPattern accepts the API versions Zoho serves (v2, v2.1 … v8).
var versionPattern = regexp.MustCompile(`^v([2-9])(\.1)?$`)

// call is an authenticated API request.
type call struct {
	dc    Datacenter
	token emu.Token
	user  UserRef // the user the token acts as
}

// apiFunc is an API handler behind authentication and rate limiting.
type apiFunc func(w http.ResponseWriter, r *http.Request, c call)

// Errors every API endpoint can answer with (crm-api-facts.md §4.6).
var (
	errAuthFailure   = func() *Error { return newError("AUTHENTICATION_FAILURE", "Authentication failed", nil) }
	errInvalidToken  = func() *Error { return newError("INVALID_TOKEN", "invalid oauth token", nil) }
	errScopeMismatch = func() *Error {
		return newError("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", nil)
	}
	errURLPattern = func() *Error {
		return newError("INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", nil)
	}
	// The body of the 429 is UNCONFIRMED: Zoho documents only the code.
	errTooManyRequests = func(msg string) *Error { return newError("TOO_MANY_REQUESTS", msg, nil) }
)

// writeError writes a request-level Zoho error.
func writeError(w http.ResponseWriter, status int, e *Error) { emu.WriteJSON(w, status, e) }

// api wraps an API handler: datacenter and version check, the
// Zoho-oauthtoken header, token validity and datacenter, concurrency caps
// and credits.
func (c *CRM) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dc, ok := LookupDatacenter(r.PathValue("dc"))
		if !ok || !versionPattern.MatchString(r.PathValue("version")) {
			writeError(w, http.StatusNotFound, errURLPattern())
			return
		}
		tok, err := c.authenticate(r, dc)
		if err != nil {
			writeError(w, http.StatusUnauthorized, err)
			return
		}
		user, ok := c.activeUser(tok.UserID)
		if !ok {
			// The authorizing user was deactivated (or the token was minted for none).
			user = c.primaryUser()
		}
		if need := requiredScope(r); need != nil && !need.grantedBy(tok.Scopes) {
			writeError(w, http.StatusUnauthorized, errScopeMismatch())
			return
		}
		release, limited := c.admit(w, r)
		if limited != nil {
			writeError(w, http.StatusTooManyRequests, limited)
			return
		}
		defer release()
		h(w, r, call{dc: dc, token: tok, user: user})
	})
}

// authenticate checks the Authorization header. Zoho wants the
// "Zoho-oauthtoken" scheme: a missing header is AUTHENTICATION_FAILURE and a
// "Bearer" header (or any other scheme) carries no Zoho token, so it is
// INVALID_TOKEN (UNCONFIRMED which of the two Zoho sends for Bearer). A token
// issued in another datacenter is INVALID_TOKEN there (CONFIRMED:
// crm-api-facts.md §4.1).
func (c *CRM) authenticate(r *http.Request, dc Datacenter) (emu.Token, *Error) {
	if r.Header.Get("Authorization") == "" {
		return emu.Token{}, errAuthFailure()
	}
	raw := emu.BearerToken(r, "Zoho-oauthtoken")
	if raw == "" {
		return emu.Token{}, errInvalidToken()
	}
	tok, err := c.env.OAuth.Authenticate(raw)
	if err != nil || c.tokenDC(tok) != dc.Code {
		return emu.Token{}, errInvalidToken()
	}
	return tok, nil
}

// admit applies the org's concurrency caps and then takes one credit
// (credit cost per call: 1, UNCONFIRMED for writes of many records). It sets
// X-API-CREDITS-REMAINING once more than half the credits are used.
func (c *CRM) admit(w http.ResponseWriter, r *http.Request) (release func(), limited *Error) {
	windows := c.env.Limits.Windows()
	disabled := c.env.Limits.Disabled()
	n := c.inflight.Add(1)
	heavy := isHeavy(r)
	if heavy {
		c.heavy.Add(1)
	}
	release = func() {
		c.inflight.Add(-1)
		if heavy {
			c.heavy.Add(-1)
		}
	}
	over := func(name string, v int64) bool {
		wd, ok := windows[name]
		return ok && wd.Max > 0 && v > int64(wd.Max) && !disabled
	}
	if over(WindowConcurrency, n) || (heavy && over(WindowSubConcurrency, c.heavy.Load())) {
		release()
		c.env.Stats.AddThrottled()
		return nil, errTooManyRequests("Too many requests: the concurrency limit of the org is exceeded")
	}
	d := c.env.Limits.Take("org", 1, WindowCredits)
	if len(d.Usages) == 1 {
		u := d.Usages[0]
		if u.Max > 0 && u.Used*2 > u.Max {
			w.Header().Set("X-API-CREDITS-REMAINING", strconv.Itoa(u.Remaining))
		}
	}
	if !d.Allowed {
		release()
		return nil, errTooManyRequests("Too many requests: the API credits of the org are exhausted")
	}
	return release, nil
}

// isHeavy reports whether Zoho counts a request against the
// sub-concurrency limit: record writes (insert/upsert) of more than 10
// records. It reads the body and puts it back for the handler.
func isHeavy(r *http.Request) bool {
	if (r.Method != http.MethodPost && r.Method != http.MethodPut) || r.Body == nil || strings.Contains(r.URL.Path, "/settings/") || strings.Contains(r.URL.Path, "/actions/") {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var probe struct {
		Data []json.RawMessage `json:"data"`
	}
	return json.Unmarshal(body, &probe) == nil && len(probe.Data) > 10
}

// maxBodyBytes caps the request bodies the sandbox reads.
const maxBodyBytes = 16 << 20

// scope is the OAuth scope an endpoint needs: ZohoCRM.{area}.{name}.{op}.
type scope struct {
	area, name string
	ops        []string
}

// grantedBy reports whether any granted scope covers s. A token with no
// scopes at all (minted by tests through OAuth.Mint) is let through.
func (s *scope) grantedBy(granted []string) bool {
	if len(granted) == 0 {
		return true
	}
	for _, g := range granted {
		parts := strings.Split(strings.ToLower(g), ".")
		if len(parts) < 3 || parts[0] != "zohocrm" || parts[1] != s.area {
			continue
		}
		if len(parts) == 3 && (parts[2] == "all" || (s.name == "" && s.allows(parts[2]))) {
			return true
		}
		if len(parts) == 4 && parts[2] == s.name && (parts[3] == "all" || s.allows(parts[3])) {
			return true
		}
	}
	return false
}

func (s *scope) allows(op string) bool {
	for _, o := range s.ops {
		if strings.EqualFold(o, op) {
			return true
		}
	}
	return false
}

// requiredScope maps a request to the scope Zoho requires for it.
func requiredScope(r *http.Request) *scope {
	write := []string{"CREATE", "WRITE", "UPDATE"}
	read := []string{"READ"}
	module := strings.ToLower(r.PathValue("module"))
	switch {
	case strings.Contains(r.URL.Path, "/settings/fields"):
		if r.Method == http.MethodGet {
			return &scope{area: "settings", name: "fields", ops: read}
		}
		return &scope{area: "settings", name: "fields", ops: write}
	case strings.HasSuffix(r.URL.Path, "/users"):
		return &scope{area: "users", ops: read}
	case strings.HasSuffix(r.URL.Path, "/org"):
		return &scope{area: "org", ops: read}
	case strings.HasSuffix(r.URL.Path, "/actions/associate_email"):
		return &scope{area: "modules", name: "emails", ops: write}
	case module == "":
		return nil
	case r.Method == http.MethodGet:
		return &scope{area: "modules", name: module, ops: read}
	default:
		return &scope{area: "modules", name: module, ops: write}
	}
}

// handleAPINotFound answers unknown API paths (404 INVALID_URL_PATTERN) and
// known paths called with the wrong method (400 INVALID_REQUEST_METHOD).
func (c *CRM) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := c.mux.Handler(probe); pattern != "" && pattern != "/{dc}/api/" {
			writeError(w, http.StatusBadRequest, newError("INVALID_REQUEST_METHOD", "The http request method type is not a valid one", nil))
			return
		}
	}
	writeError(w, http.StatusNotFound, errURLPattern())
}

// errNotModule is returned by moduleOf for a module the sandbox does not serve.
var errNotModule = errors.New("zoho: invalid module")

// moduleOf resolves the {module} path segment (case-insensitively, as Zoho
// does) to one of the emulated modules.
func moduleOf(r *http.Request, allowed ...string) (string, error) {
	name := r.PathValue("module")
	for _, m := range allowed {
		if strings.EqualFold(m, name) {
			return m, nil
		}
	}
	return "", errNotModule
}

func errInvalidModule() *Error {
	return newError("INVALID_MODULE", "the module name given seems to be invalid", nil)
}
