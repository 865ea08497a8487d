package hubspot

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// authMissing is HubSpot's 401 text for a missing or unusable credential.
// HubSpot answers a wrong or revoked token with the same body as a missing
// one (INVALID_AUTHENTICATION).
const authMissing = "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"

// apiHandler is an authenticated API handler.
type apiHandler func(w http.ResponseWriter, r *http.Request, tok emu.Token)

// api authenticates the bearer token, checks that it holds one of scopes
// (none: any valid token), and applies the 10-second rolling limit with
// its X-HubSpot-RateLimit-* headers before calling h.
func (c *CRM) api(scopes []string, h apiHandler) http.HandlerFunc {
	return c.authenticated(scopes, func(w http.ResponseWriter, r *http.Request, tok emu.Token) {
		d := c.env.Limits.Take(hubKey, 1, WindowTenSecondly, WindowDaily)
		for _, u := range d.Usages {
			switch u.Window {
			case WindowTenSecondly:
				w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(u.Period.Milliseconds(), 10))
				if u.Max > 0 {
					w.Header().Set("X-HubSpot-RateLimit-Max", strconv.Itoa(u.Max))
					w.Header().Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(u.Remaining))
				}
			case WindowDaily:
				if u.Max > 0 { // OAuth apps have no daily limit, so no daily headers by default
					w.Header().Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(u.Max))
					w.Header().Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(u.Remaining))
				}
			}
		}
		if !d.Allowed {
			writeRateLimited(w, d.Denied.Window)
			return
		}
		h(w, r, tok)
	})
}

// search is api for the CRM Search API: its own 5-per-second limit, no
// rate-limit headers, and the "secondly limit" 429 without policyName
// (crm-api-facts §2.6, §2.7).
func (c *CRM) search(scopes []string, h apiHandler) http.HandlerFunc {
	return c.authenticated(scopes, func(w http.ResponseWriter, r *http.Request, tok emu.Token) {
		if d := c.env.Limits.Take(hubKey, 1, WindowSearch); !d.Allowed {
			writeError(w, http.StatusTooManyRequests, apiError{Message: "You have reached your secondly limit.", ErrorType: "RATE_LIMIT"})
			return
		}
		h(w, r, tok)
	})
}

// hubKey is the rate-limit key: limits are per installing account.
var hubKey = strconv.Itoa(HubID)

func (c *CRM) authenticated(scopes []string, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw := emu.BearerToken(r, "Bearer")
		if raw == "" {
			writeError(w, http.StatusUnauthorized, apiError{Message: authMissing, Category: "INVALID_AUTHENTICATION"})
			return
		}
		tok, err := c.env.OAuth.Authenticate(raw)
		switch {
		case errors.Is(err, emu.ErrTokenExpired):
			ago := max(c.env.Now().Sub(tok.ExpiresAt), 0)
			writeError(w, http.StatusUnauthorized, apiError{
				Message:  fmt.Sprintf("The OAuth token used to make this call expired %d minute(s) ago.", int(ago/time.Minute)),
				Category: "EXPIRED_AUTHENTICATION",
			})
			return
		case err != nil:
			writeError(w, http.StatusUnauthorized, apiError{Message: authMissing, Category: "INVALID_AUTHENTICATION"})
			return
		}
		if len(scopes) > 0 && !slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(tok.Scopes, s) }) {
			writeHTTPError(w, missingScopes(scopes[:1]))
			return
		}
		h(w, r, tok)
	}
}

// writeRateLimited writes the 429 of the window that ran out. The
// ten-second body is the recorded one (hubspot-api-python #117); the daily
// one is the usage-guidelines example. HubSpot sends no Retry-After on REST
// 429s, so neither does the sandbox: clients wait by policyName.
func writeRateLimited(w http.ResponseWriter, window string) {
	body := apiError{
		Message:    "You have reached your ten_secondly_rolling limit.",
		ErrorType:  "RATE_LIMIT",
		PolicyName: "TEN_SECONDLY_ROLLING",
		GroupName:  "publicapi:oauth-api-calls-ten-secondly:" + hubKey,
	}
	if window == WindowDaily {
		body = apiError{Message: "You have reached your daily limit.", ErrorType: "RATE_LIMIT", PolicyName: "DAILY"}
	}
	writeError(w, http.StatusTooManyRequests, body)
}
