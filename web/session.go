package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync"
)

// Cookie names. The session cookie holds the session token (stored hashed);
// the sign-in cookie holds the CSRF token of the sign-in form (double
// submit, as there is no session yet); the flash cookie carries one message
// across a POST → redirect → GET, signed with the session's CSRF token.
const (
	sessionCookie = "crmsync_session"
	signinCookie  = "crmsync_signin"
	flashCookie   = "crmsync_flash"
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
	// maxFormBytes bounds a page form's body; the largest form (a field
	// mapping) is a few hundred bytes.
	maxFormBytes = 64 << 10
)

// viewer is the signed-in user, their session and the workspace they view.
type viewer struct {
	User       *crmsync.User
	Session    *crmsync.Session
	Token      string // the session cookie's value
	Workspace  *crmsync.Workspace
	Workspaces []*crmsync.Workspace // every workspace the user may open
}

// WorkspaceID is the workspace being viewed.
func (v *viewer) WorkspaceID() int64 { return v.Workspace.ID }

// IsStrategist reports whether the user is SalesHive staff.
func (v *viewer) IsStrategist() bool { return v.User.Role == crmsync.RoleStrategist }

// pageHandler is a page action of a signed-in viewer; a returned error is
// shown as an error page.
type pageHandler func(w http.ResponseWriter, r *http.Request, v *viewer) error

// page signs the request in (redirecting to the sign-in page if it is
// not), checks the CSRF token of every POST (403 if missing or wrong),
// honours ?workspace= (switching to a workspace the user may open, 404
// for any other) and runs h.
func (s *Server) page(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.viewerFrom(r)
		if err != nil {
			if crmsync.ErrorCode(err) == crmsync.EUNAUTHORIZED {
				s.clearCookie(w, r, sessionCookie)
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.pageError(w, r, nil, err)
			return
		}
		infoFrom(r.Context()).workspaceID = v.WorkspaceID()
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		if r.Method == http.MethodPost && !csrfValid(r, v.Session.CSRFToken) {
			s.pageError(w, r, v, crmsync.Errorf(crmsync.EFORBIDDEN, "This form has expired or did not come from this site. Go back, reload the page and try again."))
			return
		}
		if ws := r.URL.Query().Get("workspace"); ws != "" && r.Method == http.MethodGet {
			if err := s.switchWorkspace(r, v, ws); err != nil {
				s.pageError(w, r, v, err)
				return
			}
		}
		if err := h(w, r, v); err != nil {
			s.pageError(w, r, v, err)
		}
	}
}

// viewerFrom reads the session cookie; EUNAUTHORIZED when there is no
// valid session.
func (s *Server) viewerFrom(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, crmsync.Errorf(crmsync.EUNAUTHORIZED, "Sign in first.")
	}
	ctx := r.Context()
	sess, err := s.cfg.Sessions.FindSession(ctx, c.Value)
	if err != nil {
		return nil, err
	}
	user, err := s.cfg.Workspaces.FindUserByID(ctx, sess.UserID)
	if crmsync.ErrorCode(err) == crmsync.ENOTFOUND {
		return nil, crmsync.Errorf(crmsync.EUNAUTHORIZED, "Sign in first.")
	} else if err != nil {
		return nil, err
	}
	wss, err := s.cfg.Workspaces.FindWorkspacesForUser(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	v := &viewer{User: user, Session: sess, Token: c.Value, Workspaces: wss}
	for _, ws := range wss {
		if ws.ID == sess.WorkspaceID {
			v.Workspace = ws
		}
	}
	if v.Workspace == nil {
		// The workspace was unassigned since sign-in: sign in again.
		return nil, crmsync.Errorf(crmsync.EUNAUTHORIZED, "Sign in first.")
	}
	return v, nil
}

// switchWorkspace makes the viewer's session view workspace id (a string
// from a form or query); ENOTFOUND unless the user may open it.
func (s *Server) switchWorkspace(r *http.Request, v *viewer, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return crmsync.Errorf(crmsync.ENOTFOUND, "No such workspace.")
	}
	if n == v.WorkspaceID() {
		return nil
	}
	for _, ws := range v.Workspaces {
		if ws.ID == n {
			if err := s.cfg.Sessions.SwitchSessionWorkspace(r.Context(), v.Token, n); err != nil {
				return err
			}
			v.Workspace, v.Session.WorkspaceID = ws, n
			infoFrom(r.Context()).workspaceID = n
			return nil
		}
	}
	return crmsync.Errorf(crmsync.ENOTFOUND, "No such workspace.")
}

// csrfValid compares the request's CSRF token (form field or header) with
// want in constant time.
func csrfValid(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure over TLS or when
// configured. maxAge < 0 deletes it.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || s.cfg.SecureCookies,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	s.setCookie(w, r, name, "", -1)
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// signinPage is the sign-in form.
type signinPage struct {
	layout
	Email string
	Next  string
	Error string
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/integrations"
	}
	return next
}

func (s *Server) handleSignInShow(w http.ResponseWriter, r *http.Request) {
	if _, err := s.viewerFrom(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showSignIn(w, r, http.StatusOK, r.URL.Query().Get("next"), "", "")
}

func (s *Server) showSignIn(w http.ResponseWriter, r *http.Request, status int, next, email, msg string) {
	token := randomToken()
	s.setCookie(w, r, signinCookie, token, 3600)
	s.render(w, r, status, "signin", &signinPage{
		layout: layout{Title: "Sign in", CSRF: token},
		Email:  email, Next: safeNext(next), Error: msg,
	})
}

func (s *Server) handleSignInCreate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	c, err := r.Cookie(signinCookie)
	if err != nil || !csrfValid(r, c.Value) {
		s.pageError(w, r, nil, crmsync.Errorf(crmsync.EFORBIDDEN, "This sign-in form has expired. Reload the page and try again."))
		return
	}
	email, password, next := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password"), r.PostFormValue("next")
	if email == "" || password == "" {
		s.showSignIn(w, r, http.StatusUnprocessableEntity, next, email, "Enter your email address and password.")
		return
	}
	ctx := r.Context()
	user, err := s.cfg.Workspaces.AuthenticateUser(ctx, email, password)
	if crmsync.ErrorCode(err) == crmsync.EUNAUTHORIZED {
		s.showSignIn(w, r, http.StatusUnauthorized, next, email, "That email and password do not match an account. Check them and try again.")
		return
	} else if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	token, _, err := s.cfg.Sessions.CreateSession(ctx, user.ID, user.WorkspaceID, s.cfg.SessionTTL)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	s.clearCookie(w, r, signinCookie)
	s.setCookie(w, r, sessionCookie, token, int(s.cfg.SessionTTL.Seconds()))
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.cfg.Sessions.DeleteSession(r.Context(), v.Token); err != nil && crmsync.ErrorCode(err) != crmsync.EUNAUTHORIZED {
		return err
	}
	s.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

func (s *Server) handleWorkspaceSwitch(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.switchWorkspace(r, v, r.PostFormValue("workspace_id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/integrations", http.StatusSeeOther)
	return nil
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		s.pageError(w, r, nil, crmsync.Errorf(crmsync.ENOTFOUND, "Not found."))
		return
	}
	http.Redirect(w, r, "/integrations", http.StatusSeeOther)
}

// flash is a one-time message shown after a redirect.
type flash struct {
	Kind        string             `json:"k"` // "success" or "error"
	Message     string             `json:"m"`
	TestContact *testContactResult `json:"t,omitempty"`
}

// testContactResult is "Send a test contact"'s answer, shown on the page.
type testContactResult struct {
	URL        string `json:"u"`
	CRMID      string `json:"i"`
	Created    bool   `json:"c"`
	DurationMS int64  `json:"d"`
}

// Seconds is how long the push took, for display ("0.4").
func (t *testContactResult) Seconds() string {
	return strconv.FormatFloat(float64(t.DurationMS)/1000, 'f', 1, 64)
}

// setFlash stores f for the next page of this session, signed with the
// session's CSRF token so that only this server can have written it (the
// test-contact link is rendered from it).
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, v *viewer, f *flash) {
	payload, _ := json.Marshal(f)
	mac := hmac.New(sha256.New, []byte(v.Session.CSRFToken))
	mac.Write(payload)
	value := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	s.setCookie(w, r, flashCookie, value, 300)
}

// takeFlash returns and clears the session's flash, if any and genuine.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request, v *viewer) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	s.clearCookie(w, r, flashCookie)
	p64, m64, ok := strings.Cut(c.Value, ".")
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sum, err2 := base64.RawURLEncoding.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil {
		return nil
	}
	mac := hmac.New(sha256.New, []byte(v.Session.CSRFToken))
	mac.Write(payload)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return nil
	}
	var f flash
	if json.Unmarshal(payload, &f) != nil {
		return nil
	}
	return &f
}

// layoutFor builds the frame of a page for v, taking its flash.
func (s *Server) layoutFor(w http.ResponseWriter, r *http.Request, v *viewer, title, tab string) layout {
	return layout{Title: title, Viewer: v, CSRF: v.Session.CSRFToken, Flash: s.takeFlash(w, r, v), Tab: tab}
}

// done ends a successful form POST: the message is flashed and the browser
// is sent to the page at path (POST → redirect → GET).
func (s *Server) done(w http.ResponseWriter, r *http.Request, v *viewer, path string, f *flash) error {
	if f != nil {
		s.setFlash(w, r, v, f)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
