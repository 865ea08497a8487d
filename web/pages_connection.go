package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// recentEventsShown is how many events Recent sync activity lists.
const recentEventsShown = 50

// connectionFor returns the workspace's connection to the CRM named in a
// URL ("hubspot"), creating its NotConnected row on first use. An unknown
// CRM is ENOTFOUND.
func (s *Server) connectionFor(ctx context.Context, workspaceID int64, provider string) (*crmsync.Connection, error) {
	p := crmsync.Provider(provider)
	if !p.Valid() {
		return nil, crmsync.Errorf(crmsync.ENOTFOUND, "There is no CRM called %q.", provider)
	}
	return s.cfg.Connections.EnsureConnection(ctx, workspaceID, p)
}

// canPush reports whether the connection has a working login (Connected,
// or in the error state, which still pushes).
func canPush(c *crmsync.Connection) bool {
	return c.Status == crmsync.StatusConnected || c.Status == crmsync.StatusError
}

// hubCard is one CRM on the Integrations hub.
type hubCard struct {
	Provider crmsync.Provider
	Conn     *crmsync.Connection // nil: never connected
}

// hubPage is the Integrations hub, CRMs tab.
type hubPage struct {
	layout
	Cards []hubCard
}

func (s *Server) handleIntegrations(w http.ResponseWriter, r *http.Request, v *viewer) error {
	conns, err := s.cfg.Connections.FindConnections(r.Context(), v.WorkspaceID())
	if err != nil {
		return err
	}
	byProvider := map[crmsync.Provider]*crmsync.Connection{}
	for _, c := range conns {
		byProvider[c.Provider] = c
	}
	p := &hubPage{layout: s.layoutFor(w, r, v, "Integrations", "crms")}
	for _, prov := range crmsync.Providers {
		p.Cards = append(p.Cards, hubCard{Provider: prov, Conn: byProvider[prov]})
	}
	s.render(w, r, http.StatusOK, "hub", p)
	return nil
}

// guideStep is one step of the setup guide.
type guideStep struct {
	Title   string
	Done    bool
	Current bool
}

// guide is the setup checklist at the top of the detail page.
type guide struct {
	Hidden   bool
	Steps    []guideStep
	Complete bool
}

func guideFor(c *crmsync.Connection) guide {
	steps := []guideStep{
		{Title: "Connect the CRM", Done: c.Status != crmsync.StatusNotConnected},
		{Title: "Choose your starting point", Done: c.ImportChoice == crmsync.ImportImported || c.ImportChoice == crmsync.ImportSkipped},
		{Title: "Review your field mapping", Done: c.FieldMappingViewed},
		{Title: "Prove it works with a test contact", Done: c.TestContactSentAt != nil},
	}
	g := guide{Hidden: c.GuideDismissed, Steps: steps, Complete: true}
	for i := range g.Steps {
		if !g.Steps[i].Done {
			if g.Complete {
				g.Steps[i].Current = true
			}
			g.Complete = false
		}
	}
	return g
}

// question is one of the Common questions.
type question struct{ Q, A string }

// commonQuestions answers what clients ask most. The answers are the help
// page's own words (spec/crm-connection-detail.txt), verbatim.
var commonQuestions = []question{
	{"Can SalesHive delete or overwrite data in my CRM?", "No. Sync is one way from SalesHive into your CRM, and SalesHive only adds and updates records. It never deletes anything. Disconnecting stops new pushes but leaves existing records in place."},
	{"How do I check that the connection works?", `Click Send a test contact on the status card. SalesHive pushes one record named "SalesHive Sync Test" into your CRM through the real sync path and gives you a link to open it, usually within a few seconds. It is safe to delete, and clicking again just updates the same record.`},
	{"What does the Last 24 hours card show?", "A plain-English summary of what SalesHive pushed to your CRM in the past day: how many records synced, how many are waiting or were skipped, and how many failed. If anything failed you get a card per problem type explaining what it means and how to fix it, plus a Retry failed records button."},
	{"Some records failed. What do I do?", "Read the explanation card in the Last 24 hours section, which says what went wrong and how to fix it (for example, add a field your CRM is asking for). After fixing the cause, click Retry failed records to re-queue them for the next sync. Your existing CRM records are never touched in the meantime."},
	{"Should I import my existing contacts or skip?", "Either is fine. Import if you want your current SalesHive contacts mirrored into the CRM right away. Skip to start fresh and only sync new activity. Skipping is reversible, so you can run the import later with Resync existing contacts."},
	{"How fast does activity show up in my CRM?", "Every 5 minutes. SalesHive pushes any matching new activity for the sync types you have toggled on during the next scheduled run."},
	{"Can I send a fixed value, like a lead source, on every contact?", "Yes. Open Field Mapping (the setup guide links straight to it), choose Add a field, and pick A fixed value. Set the value (for example, SalesHive) and the CRM field it should land in, and every synced contact gets stamped with it."},
	{"Why did new custom fields appear in my CRM?", `SalesHive adds a couple of custom fields to your contact records (like "SalesHive External ID") to prevent duplicates and keep the sync reliable. They are harmless and are handy for filtering which records came from SalesHive.`},
	{"Who gets assigned the records SalesHive creates?", "It optionally assigns records SalesHive creates in your CRM to a specific person on your team. It applies only when a record is first created, never on updates, so any owner changes you make in your CRM stick. Leave it unset to use your CRM's own assignment rules. The setting appears only when your CRM connection can list its users."},
	{"What happens if my CRM login is revoked or expires?", "If your CRM rejects the connection (for example, a revoked or expired login), SalesHive marks it disconnected and automatically alerts your strategist so it gets reconnected quickly. The status here will read Disconnected with the reason, and you can click Reconnect to restore it. Nothing already synced is lost."},
	{"What if the status shows an error?", "The status shows an error with the last error message below it. Read the message, fix the issue in your CRM if needed (for example, adding a field it asks for), then use Reconnect or Resync. SalesHive keeps your existing CRM records untouched the whole time."},
	{"What do success, skipped and failed mean in Recent sync activity?", "Success means the record was pushed to your CRM. Skipped means SalesHive intentionally did not push it yet (for example, an email whose contact is not synced). Failed means the push errored, and the reason shows in the Error column."},
	{"How do I disconnect my CRM?", "Click Disconnect and confirm. SalesHive stops pushing new contacts and activity, your existing CRM records are not deleted, and you can reconnect any time."},
}

// problemCard is one problem type of the Last 24 hours card.
type problemCard struct {
	crmsync.ProblemInfo
	Problem    crmsync.Problem
	Count      int
	CRMMessage string
}

// connectionPage is the CRM Connection Detail page. The live sections
// (guide, status, import, health, activity) are re-rendered from it for
// Server-Sent Events.
type connectionPage struct {
	layout
	// LiveBaseline tells the event stream which live sections the page
	// already shows (see liveBaseline).
	LiveBaseline string
	Provider     crmsync.Provider
	Conn         *crmsync.Connection
	CanPush      bool
	Guide        guide
	Progress     crmsync.ImportProgress
	ContactCount int
	Datacenters  []crmsync.ZohoDatacenter
	Datacenter   crmsync.ZohoDatacenter // the one selected in the form

	ShowOwner  bool
	Users      []crm.User
	OwnerID    string // selected in the form
	OwnerError string // why the picker could not be loaded

	Health    *crmsync.Health
	Problems  []problemCard
	Chart     chart
	Events    []*crmsync.SyncEvent
	Questions []question

	// Errors holds inline form errors by field name.
	Errors map[string]string
}

// Running reports whether an import or resync is running.
func (p *connectionPage) Running() bool { return p.Conn.Import.State == crmsync.ImportRunning }

// ShowChoice reports whether the one-time import choice is offered.
func (p *connectionPage) ShowChoice() bool {
	return p.CanPush && p.Conn.ImportChoice == crmsync.ImportPending && !p.Running()
}

// ETA is the import's remaining time in words, or "".
func (p *connectionPage) ETA() string {
	if p.Progress.PerSec <= 0 {
		return ""
	}
	return humanDuration(p.Progress.ETA)
}

// loadConnectionPage reads everything the detail page shows. withOwner
// also asks the CRM for its users (not needed for live updates).
func (s *Server) loadConnectionPage(ctx context.Context, v *viewer, conn *crmsync.Connection, withOwner bool) (*connectionPage, error) {
	ws := v.WorkspaceID()
	p := &connectionPage{
		Provider: conn.Provider, Conn: conn, CanPush: canPush(conn), Guide: guideFor(conn),
		Datacenters: crmsync.ZohoDatacenters, Datacenter: conn.ZohoDatacenter,
		OwnerID: conn.OwnerID, Questions: commonQuestions, Errors: map[string]string{},
	}
	if p.Datacenter == "" {
		p.Datacenter = crmsync.ZohoUS
	}
	var err error
	if p.Progress, err = s.cfg.Engine.Progress(ctx, conn); err != nil {
		return nil, err
	}
	if p.ShowChoice() || p.Running() {
		if p.ContactCount, err = s.cfg.Contacts.CountContacts(ctx, ws); err != nil {
			return nil, err
		}
	}
	if withOwner && p.CanPush {
		users, err := s.crmUsers(ctx, ws, conn.ID)
		switch {
		case errors.Is(err, crm.ErrUsersUnsupported):
		case err != nil:
			if code := crmsync.ErrorCode(err); code == crmsync.EINTERNAL || code == crmsync.ENOTFOUND {
				return nil, err
			}
			// The CRM did not answer: keep the section, say why.
			p.ShowOwner, p.OwnerError = true, crmsync.ErrorMessage(err)
		default:
			p.ShowOwner, p.Users = true, users
		}
	}
	if p.Health, err = s.cfg.Sync.Health(ctx, ws, conn.ID, s.cfg.Now()); err != nil {
		return nil, err
	}
	for _, pc := range p.Health.Problems {
		p.Problems = append(p.Problems, problemCard{ProblemInfo: pc.Problem.Info(), Problem: pc.Problem, Count: pc.Count, CRMMessage: pc.CRMMessage})
	}
	p.Chart = newChart(p.Health.Hourly)
	if p.Events, err = s.cfg.Sync.FindSyncEvents(ctx, ws, conn.ID, crmsync.SyncEventFilter{Limit: recentEventsShown}); err != nil {
		return nil, err
	}
	return p, nil
}

func detailPath(p crmsync.Provider) string { return "/integrations/crm/" + string(p) }

func (s *Server) handleConnectionShow(w http.ResponseWriter, r *http.Request, v *viewer) error {
	conn, err := s.connectionFor(r.Context(), v.WorkspaceID(), r.PathValue("provider"))
	if err != nil {
		return err
	}
	return s.showConnection(w, r, v, conn, http.StatusOK, nil)
}

// showConnection renders the detail page; a non-nil formErr (EINVALID)
// becomes inline errors beside its fields.
func (s *Server) showConnection(w http.ResponseWriter, r *http.Request, v *viewer, conn *crmsync.Connection, status int, formErr error) error {
	p, err := s.loadConnectionPage(r.Context(), v, conn, true)
	if err != nil {
		return err
	}
	p.layout = s.layoutFor(w, r, v, conn.Provider.Name(), "crms")
	p.TabCRM = string(conn.Provider)
	if formErr != nil {
		p.Flash = &flash{Kind: "error", Message: crmsync.ErrorMessage(formErr)}
		for _, f := range crmsync.ErrorFields(formErr) {
			p.Errors[f.Field] = f.Message
		}
		if dc := crmsync.ZohoDatacenter(r.PostFormValue("datacenter")); dc != "" {
			p.Datacenter = dc
		}
		if r.PostForm.Has("owner_id") {
			p.OwnerID = r.PostFormValue("owner_id")
		}
	}
	if p.LiveBaseline, err = s.liveBaseline(r.Context(), v, conn); err != nil {
		return err
	}
	s.render(w, r, status, "connection", p)
	return nil
}

// connectionAction is one POST action of the detail page: it returns the
// success message to flash, or an error.
type connectionAction func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error)

// action adapts a connectionAction to a page handler: success flashes and
// redirects to the detail page; an invalid form value shows the page again
// with the error inline (422); a refusal the client can act on (conflict,
// CRM unavailable) is flashed on the page; anything else is an error page.
func (s *Server) action(a connectionAction) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		conn, err := s.connectionFor(r.Context(), v.WorkspaceID(), r.PathValue("provider"))
		if err != nil {
			return err
		}
		f, err := a(r.Context(), v, conn, r)
		switch crmsync.ErrorCode(err) {
		case "":
			return s.done(w, r, v, detailPath(conn.Provider), f)
		case crmsync.EINVALID:
			return s.showConnection(w, r, v, conn, http.StatusUnprocessableEntity, err)
		case crmsync.ECONFLICT, crmsync.EUNAVAILABLE, crmsync.EUNPROCESSABLE, crmsync.ENOTIMPLEMENTED:
			return s.done(w, r, v, detailPath(conn.Provider), &flash{Kind: "error", Message: crmsync.ErrorMessage(err)})
		}
		return err
	}
}

// success is the flash of an action that worked.
func success(format string, args ...any) *flash {
	return &flash{Kind: "success", Message: fmt.Sprintf(format, args...)}
}

func (s *Server) handleConnectCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	conn, err := s.connectionFor(r.Context(), v.WorkspaceID(), r.PathValue("provider"))
	if err != nil {
		return err
	}
	authURL, err := s.startConnect(r.Context(), v.WorkspaceID(), conn.Provider, r.PostFormValue("datacenter"))
	switch crmsync.ErrorCode(err) {
	case "":
		// Off to the CRM's sign-in; it comes back to /oauth/callback.
		http.Redirect(w, r, authURL, http.StatusSeeOther)
		return nil
	case crmsync.EINVALID:
		return s.showConnection(w, r, v, conn, http.StatusUnprocessableEntity, err)
	case crmsync.ENOTIMPLEMENTED, crmsync.EUNAVAILABLE:
		return s.done(w, r, v, detailPath(conn.Provider), &flash{Kind: "error", Message: crmsync.ErrorMessage(err)})
	}
	return err
}

// startConnect validates the datacenter choice (Zoho only) and returns the
// CRM's sign-in URL.
func (s *Server) startConnect(ctx context.Context, workspaceID int64, p crmsync.Provider, datacenter string) (string, error) {
	dc := crmsync.ZohoDatacenter(datacenter)
	if p != crmsync.ProviderZoho {
		dc = ""
	} else if !validDatacenter(dc) {
		return "", &crmsync.Error{Code: crmsync.EINVALID, Message: "Pick your Zoho datacenter before signing in.",
			Fields: []crmsync.FieldError{{Field: "datacenter", Message: "choose United States, Europe, India, Australia or Japan"}}}
	}
	return s.cfg.Engine.StartConnect(ctx, workspaceID, p, dc)
}

func validDatacenter(dc crmsync.ZohoDatacenter) bool {
	for _, d := range crmsync.ZohoDatacenters {
		if d == dc {
			return true
		}
	}
	return false
}

// handleOAuthCallback finishes a sign-in: the CRM redirects here (the
// redirect URL every connector is configured with).
func (s *Server) handleOAuthCallback(w http.ResponseWriter, r *http.Request, v *viewer) error {
	params := map[string]string{}
	for k, vals := range r.URL.Query() {
		if len(vals) > 0 {
			params[k] = vals[0]
		}
	}
	conn, err := s.cfg.Engine.CompleteConnect(r.Context(), v.WorkspaceID(), params["state"], params)
	switch crmsync.ErrorCode(err) {
	case "":
		s.forgetUsers(conn.ID)
		return s.done(w, r, v, detailPath(conn.Provider), success("Connected to %s.", conn.AccountLabel))
	case crmsync.EINVALID, crmsync.EUNPROCESSABLE, crmsync.EUNAVAILABLE, crmsync.ENOTIMPLEMENTED:
		return s.done(w, r, v, "/integrations", &flash{Kind: "error", Message: crmsync.ErrorMessage(err)})
	}
	return err
}

func (s *Server) handleImportCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		c, err := s.cfg.Engine.StartImport(ctx, v.WorkspaceID(), conn.ID, false)
		if err != nil {
			return nil, err
		}
		return success("Importing %s into %s.", plural(c.Import.Total, "contact"), conn.Provider.Name()), nil
	})(w, r, v)
}

func (s *Server) handleImportSkip(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		if _, err := s.cfg.Engine.SkipImport(ctx, v.WorkspaceID(), conn.ID); err != nil {
			return nil, err
		}
		return success("Skipped the import: only new activity will sync. You can import later with Resync existing contacts."), nil
	})(w, r, v)
}

func (s *Server) handleResyncCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		c, err := s.cfg.Engine.StartImport(ctx, v.WorkspaceID(), conn.ID, true)
		if err != nil {
			return nil, err
		}
		return success("Resyncing %s.", plural(c.Import.Total, "existing contact")), nil
	})(w, r, v)
}

func (s *Server) handleImportCancel(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		if _, err := s.cfg.Engine.CancelImport(ctx, v.WorkspaceID(), conn.ID); err != nil {
			return nil, err
		}
		return success("Import cancelled. Contacts not yet pushed will sync when they change, or with Resync existing contacts."), nil
	})(w, r, v)
}

// parseToggles reads the four checkboxes of What gets synced; an unchecked
// box is absent from the form, so absent means off.
func parseToggles(r *http.Request) crmsync.SyncToggles {
	on := func(name string) bool { return r.PostFormValue(name) == "on" }
	return crmsync.SyncToggles{Contacts: on("contacts"), Emails: on("emails"), Calls: on("calls"), Meetings: on("meetings")}
}

func (s *Server) handleTogglesUpdate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		t := parseToggles(r)
		if _, err := s.cfg.Engine.SetToggles(ctx, v.WorkspaceID(), conn.ID, t); err != nil {
			return nil, err
		}
		return success("Saved what gets synced: %s.", togglesSummary(t)), nil
	})(w, r, v)
}

func togglesSummary(t crmsync.SyncToggles) string {
	var on []string
	for _, x := range []struct {
		on   bool
		name string
	}{{t.Contacts, "contacts"}, {t.Emails, "emails"}, {t.Calls, "calls"}, {t.Meetings, "meetings"}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	if len(on) == 0 {
		return "nothing (every type is off)"
	}
	return strings.Join(on, ", ")
}

func (s *Server) handleOwnerUpdate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		c, err := s.cfg.Engine.SetOwner(ctx, v.WorkspaceID(), conn.ID, strings.TrimSpace(r.PostFormValue("owner_id")))
		if err != nil {
			return nil, err
		}
		if c.OwnerID == "" {
			return success("New records now follow your CRM's own assignment rules."), nil
		}
		return success("New records will be assigned to %s.", c.OwnerName), nil
	})(w, r, v)
}

func (s *Server) handleTestContactCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		res, err := s.cfg.Engine.SendTestContact(ctx, v.WorkspaceID(), conn.ID)
		if err != nil {
			return nil, err
		}
		verb := "updated"
		if res.Created {
			verb = "created"
		}
		f := success("Test contact %s in %s.", verb, conn.Provider.Name())
		f.TestContact = &testContactResult{URL: safeURL(res.URL), CRMID: res.CRMID, Created: res.Created, DurationMS: res.Duration.Milliseconds()}
		return f, nil
	})(w, r, v)
}

// safeURL keeps only http(s) links (a record link comes from a connector).
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return raw
}

func (s *Server) handleRetryCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		n, err := s.cfg.Engine.RetryFailed(ctx, v.WorkspaceID(), conn.ID)
		if err != nil {
			return nil, err
		}
		return success("Re-queued %s; they are retried on the next sync (within about 5 minutes).", plural(n, "record")), nil
	})(w, r, v)
}

func (s *Server) handleGuideDismiss(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		if err := s.cfg.Engine.DismissGuide(ctx, v.WorkspaceID(), conn.ID); err != nil {
			return nil, err
		}
		return success("Setup guide hidden for %s.", conn.Provider.Name()), nil
	})(w, r, v)
}

// disconnectPage asks for confirmation before Disconnect.
type disconnectPage struct {
	layout
	Provider crmsync.Provider
	Conn     *crmsync.Connection
}

func (s *Server) handleDisconnectConfirm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	conn, err := s.connectionFor(r.Context(), v.WorkspaceID(), r.PathValue("provider"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "disconnect", &disconnectPage{
		layout: s.layoutFor(w, r, v, "Disconnect "+conn.Provider.Name(), "crms"), Provider: conn.Provider, Conn: conn,
	})
	return nil
}

func (s *Server) handleDisconnectCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.action(func(ctx context.Context, v *viewer, conn *crmsync.Connection, r *http.Request) (*flash, error) {
		if _, err := s.cfg.Engine.Disconnect(ctx, v.WorkspaceID(), conn.ID); err != nil {
			return nil, err
		}
		return success("Disconnected %s. Nothing more is pushed; your existing CRM records are untouched. You can reconnect any time.", conn.Provider.Name()), nil
	})(w, r, v)
}

// chartBar is one hour of the Last 24 hours chart, in SVG coordinates.
type chartBar struct {
	X                                      int
	Label                                  string // "14:00 UTC: 3 synced, 0 skipped, 1 failed"
	Success, Skipped, Failed               int
	SuccessY, SuccessH, SkippedY, SkippedH int
	FailedY, FailedH                       int
}

// chart is the hourly bar chart drawn as inline SVG, with its text
// alternative.
type chart struct {
	Width, Height int
	Bars          []chartBar
	Summary       string
}

const (
	chartBarWidth = 12
	chartGap      = 4
	chartHeight   = 80
)

func newChart(hours []crmsync.HourlyOutcome) chart {
	c := chart{Width: len(hours) * (chartBarWidth + chartGap), Height: chartHeight}
	peak, peakHour, total, failed := 0, time.Time{}, 0, 0
	for _, h := range hours {
		n := h.Success + h.Skipped + h.Failed
		total += n
		failed += h.Failed
		if n > peak {
			peak, peakHour = n, h.Hour
		}
	}
	scale := func(n int) int {
		if peak == 0 || n == 0 {
			return 0
		}
		return max(1, n*chartHeight/peak)
	}
	for i, h := range hours {
		b := chartBar{X: i * (chartBarWidth + chartGap), Success: h.Success, Skipped: h.Skipped, Failed: h.Failed,
			Label: fmt.Sprintf("%s: %d synced, %d waiting or skipped, %d failed", h.Hour.UTC().Format("15:04 UTC"), h.Success, h.Skipped, h.Failed)}
		y := chartHeight
		b.SuccessH = scale(h.Success)
		y -= b.SuccessH
		b.SuccessY = y
		b.SkippedH = scale(h.Skipped)
		y -= b.SkippedH
		b.SkippedY = y
		b.FailedH = scale(h.Failed)
		y -= b.FailedH
		b.FailedY = y
		c.Bars = append(c.Bars, b)
	}
	if total == 0 {
		c.Summary = "Nothing was pushed in the last 24 hours."
	} else {
		c.Summary = fmt.Sprintf("%s pushed in the last 24 hours, %d failed; the busiest hour was %s with %s.",
			plural(total, "record"), failed, peakHour.UTC().Format("15:04 UTC"), plural(peak, "record"))
	}
	return c
}
