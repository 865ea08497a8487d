package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Engine is what the pages and the connection API ask of the sync engine
// (*syncer.Engine implements it). Every method is scoped to one workspace;
// another workspace's connection is ENOTFOUND. Methods that need a live
// connection return ECONFLICT when it is not connected; CRM failures are
// EUNAVAILABLE with a message safe to show.
type Engine interface {
	// StartConnect returns the CRM's sign-in URL (Connect / Reconnect). For
	// Zoho the datacenter is required (EINVALID without it).
	StartConnect(ctx context.Context, workspaceID int64, provider crmsync.Provider, datacenter crmsync.ZohoDatacenter) (string, error)
	// CompleteConnect finishes the sign-in from the OAuth callback's query
	// parameters; EFORBIDDEN for a sign-in started in another workspace.
	CompleteConnect(ctx context.Context, workspaceID int64, state string, params map[string]string) (*crmsync.Connection, error)
	// StartImport runs "Import N contacts" or, with resync, "Resync
	// existing contacts"; ECONFLICT while one runs.
	StartImport(ctx context.Context, workspaceID, connectionID int64, resync bool) (*crmsync.Connection, error)
	// SkipImport records "Skip, only sync new activity".
	SkipImport(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error)
	// CancelImport stops a running import; ECONFLICT when none runs.
	CancelImport(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error)
	// Progress reports the connection's import for the progress bar.
	Progress(ctx context.Context, conn *crmsync.Connection) (crmsync.ImportProgress, error)
	// SetToggles changes what gets synced.
	SetToggles(ctx context.Context, workspaceID, connectionID int64, t crmsync.SyncToggles) (*crmsync.Connection, error)
	// Users lists the CRM's users for the owner picker, or
	// crm.ErrUsersUnsupported when the connection cannot list them.
	Users(ctx context.Context, workspaceID, connectionID int64) ([]crm.User, error)
	// SetOwner sets (or with "" clears) the owner of new records; EINVALID
	// for a user not in Users.
	SetOwner(ctx context.Context, workspaceID, connectionID int64, ownerID string) (*crmsync.Connection, error)
	// ContactFields lists the CRM's contact fields for Field Mapping.
	ContactFields(ctx context.Context, workspaceID, connectionID int64) ([]crm.Field, error)
	// SendTestContact pushes "SalesHive Sync Test" and reports how it went.
	SendTestContact(ctx context.Context, workspaceID, connectionID int64) (*crmsync.TestContactResult, error)
	// RetryFailed re-queues failed records and returns how many.
	RetryFailed(ctx context.Context, workspaceID, connectionID int64) (int, error)
	// Disconnect stops all pushes and forgets the token.
	Disconnect(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error)
	// DismissGuide hides the setup guide for good.
	DismissGuide(ctx context.Context, workspaceID, connectionID int64) error
	// MarkFieldMappingReviewed ticks the guide's field-mapping step.
	MarkFieldMappingReviewed(ctx context.Context, workspaceID, connectionID int64) error
	// Subscribe returns hints that connections changed, and a cancel func.
	Subscribe() (<-chan crmsync.LiveUpdate, func())
}

// Defaults of the page settings in Config.
const (
	DefaultSessionTTL       = 12 * time.Hour
	DefaultLivePollInterval = 3 * time.Second
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageTemplates holds one parsed template set per page, each made of the
// layout, the shared partials and the page's own file.
type pageTemplates map[string]*template.Template

// pageFiles are the pages; each is parsed with layout.html and partials.html.
var pageFiles = []string{"signin", "hub", "connection", "fieldmapping", "disconnect", "error"}

var templateFuncs = template.FuncMap{
	"providerName": func(p crmsync.Provider) string { return p.Name() },
	"when": func(t time.Time) string {
		return t.UTC().Format("Jan 2, 15:04:05 UTC")
	},
	"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"seconds": func(d time.Duration) string {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
	},
	"duration":    humanDuration,
	"plural":      plural,
	"fieldLabel":  fieldLabel,
	"inc":         func(i int) int { return i + 1 },
	"mappingForm": newMappingFormView,
}

func mustParsePages() pageTemplates {
	t := make(pageTemplates, len(pageFiles))
	for _, name := range pageFiles {
		tmpl := template.Must(template.New(name).Funcs(templateFuncs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
		t[name] = tmpl
	}
	return t
}

// pageState is what the pages keep between requests: the parsed
// templates and a short-lived cache of each connection's CRM users.
type pageState struct {
	tmpl  pageTemplates
	users usersCache
}

func newPageState() *pageState {
	return &pageState{tmpl: mustParsePages(), users: usersCache{m: map[int64]usersEntry{}}}
}

// usersCacheTTL bounds how stale the owner picker may be: the CRM is asked
// for its users at most once a minute per connection, not on every view of
// the page (CRM API calls are rate limited and slow).
const usersCacheTTL = time.Minute

type usersCache struct {
	mu sync.Mutex
	m  map[int64]usersEntry // by connection id
}

type usersEntry struct {
	users []crm.User
	err   error // nil or crm.ErrUsersUnsupported
	at    time.Time
}

// crmUsers returns the connection's CRM users, from the cache when fresh.
// Only answers (a list, or "cannot list users") are cached, not failures.
func (s *Server) crmUsers(ctx context.Context, workspaceID, connectionID int64) ([]crm.User, error) {
	c := &s.pages.users
	now := s.cfg.Now()
	c.mu.Lock()
	e, ok := c.m[connectionID]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < usersCacheTTL {
		return e.users, e.err
	}
	users, err := s.cfg.Engine.Users(ctx, workspaceID, connectionID)
	if err == nil || errors.Is(err, crm.ErrUsersUnsupported) {
		c.mu.Lock()
		c.m[connectionID] = usersEntry{users: users, err: err, at: now}
		c.mu.Unlock()
	}
	return users, err
}

// forgetUsers drops a connection's cached users (it was reconnected,
// perhaps to another account).
func (s *Server) forgetUsers(connectionID int64) {
	c := &s.pages.users
	c.mu.Lock()
	delete(c.m, connectionID)
	c.mu.Unlock()
}

// layout is what every page's frame shows. Page structs embed it.
type layout struct {
	Title  string
	Viewer *viewer
	CSRF   string
	Flash  *flash
	Tab    string // "crms" or "field-mapping" on the hub's tabs
	TabCRM string // the CRM the Field Mapping tab opens on, if any
}

// render executes the page's "layout" template into a buffer first, so a
// template failure becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	s.renderTemplate(w, r, status, page, "layout", data)
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufferPool.Put(buf)
		}
	}()
	if err := s.pages.tmpl[page].ExecuteTemplate(buf, name, data); err != nil {
		s.log.ErrorContext(r.Context(), "render page", slog.String("page", page), slog.String("error", err.Error()))
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment renders one named template of a page to a string (live updates).
func (s *Server) fragment(page, name string, data any) (string, error) {
	var b strings.Builder
	if err := s.pages.tmpl[page].ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("web: render %s/%s: %w", page, name, err)
	}
	return b.String(), nil
}

// errorPage is the page shown for an error that is not an inline form error.
type errorPage struct {
	layout
	Status  int
	Message string
}

// pageError renders err as an error page with the status errorStatus gives
// its code. Internal errors are logged and shown generically.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	code := crmsync.ErrorCode(err)
	status := errorStatus(code)
	if status >= http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "page failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	msg := crmsync.ErrorMessage(err)
	if code == crmsync.ENOTFOUND {
		msg = "There is nothing here, or it belongs to a workspace you cannot open."
	}
	p := &errorPage{layout: layout{Title: http.StatusText(status), Viewer: v}, Status: status, Message: msg}
	if v != nil {
		p.CSRF = v.Session.CSRFToken
	}
	s.render(w, r, status, "error", p)
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	sub, _ := fs.Sub(staticFS, "static")
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.StripPrefix("/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
}

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "less than a second"
	case d < time.Minute:
		return plural(int(d.Round(time.Second)/time.Second), "second")
	case d < time.Hour:
		return plural(int(d.Round(time.Minute)/time.Minute), "minute")
	}
	return plural(int(d.Round(time.Hour)/time.Hour), "hour")
}

// plural writes "1 record" or "3 records".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// fieldLabel turns a SalesHive field name ("first_name", "custom.industry")
// into what the page shows ("First name", "Custom: industry").
func fieldLabel(name string) string {
	if key, ok := strings.CutPrefix(name, "custom."); ok {
		return "Custom: " + key
	}
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
