package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// CRMInfo describes one served CRM (GET /_sandbox/ and /_sandbox/{crm}).
type CRMInfo struct {
	// Name is the CRM's short name and path prefix.
	Name string `json:"name"`
	// Title is the vendor's display name.
	Title string `json:"title"`
	// BaseURL is where a client library is pointed: the sandbox URL + "/{name}".
	BaseURL string `json:"base_url"`
	// ClientID and ClientSecret are the OAuth client the CRM accepts.
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// AccountName is the account shown on the consent page.
	AccountName string `json:"account_name"`
}

// RecordList is one page of records (GET /_sandbox/{crm}/objects/{object}).
type RecordList struct {
	// Total is the number of records of the object.
	Total int `json:"total"`
	// Records are the page's records in creation order.
	Records []emu.Record `json:"records"`
}

// RecordDetail is one record and what links to it (GET /_sandbox/{crm}/objects/{object}/{id}).
type RecordDetail struct {
	emu.Record
	// LinkedFrom are the records associated to this one (a contact's activities).
	LinkedFrom []emu.Link `json:"linked_from"`
}

// RateLimits is the body of GET and PUT /_sandbox/{crm}/rate-limits. On PUT
// only the windows named are changed; Disabled is always applied.
type RateLimits struct {
	// Disabled turns throttling off (usage is still counted).
	Disabled bool `json:"disabled"`
	// Windows are the CRM's windows by the CRM's own names.
	Windows map[string]emu.Window `json:"windows,omitempty"`
}

// RequiredField names a field the control API makes required
// (PUT/DELETE /_sandbox/{crm}/required-fields).
type RequiredField struct {
	Object string `json:"object"`
	Field  string `json:"field"`
}

// MintRequest is the body of POST /_sandbox/{crm}/tokens: issue a grant
// without the consent flow.
type MintRequest struct {
	Scopes []string          `json:"scopes,omitempty"`
	UserID string            `json:"user_id,omitempty"`
	Extra  map[string]string `json:"extra,omitempty"`
}

// controlError is the body of every control API error.
type controlError struct {
	Error string `json:"error"`
}

func (s *Sandbox) routes() {
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
	s.mux.HandleFunc("GET /_sandbox/{$}", s.handleInfoList)
	s.mux.HandleFunc("POST /_sandbox/reset", s.handleResetAll)
	s.mux.HandleFunc("POST /_sandbox/clock/advance", s.handleClockAdvance)
	s.mux.HandleFunc("GET /_sandbox/{crm}", s.withCRM(s.handleInfo))
	s.mux.HandleFunc("POST /_sandbox/{crm}/reset", s.withCRM(handleReset))
	s.mux.HandleFunc("GET /_sandbox/{crm}/objects", s.withCRM(handleObjectList))
	s.mux.HandleFunc("GET /_sandbox/{crm}/objects/{object}", s.withCRM(handleRecordList))
	s.mux.HandleFunc("GET /_sandbox/{crm}/objects/{object}/{id}", s.withCRM(handleRecordShow))
	s.mux.HandleFunc("GET /_sandbox/{crm}/fields/{object}", s.withCRM(handleFieldList))
	s.mux.HandleFunc("GET /_sandbox/{crm}/count", s.withCRM(handleCount))
	s.mux.HandleFunc("GET /_sandbox/{crm}/faults", s.withCRM(handleFaultsShow))
	s.mux.HandleFunc("PUT /_sandbox/{crm}/faults", s.withCRM(handleFaultsSet))
	s.mux.HandleFunc("DELETE /_sandbox/{crm}/faults", s.withCRM(handleFaultsClear))
	s.mux.HandleFunc("POST /_sandbox/{crm}/tokens", s.withCRM(handleTokenMint))
	s.mux.HandleFunc("POST /_sandbox/{crm}/tokens/revoke-all", s.withCRM(handleTokensRevokeAll))
	s.mux.HandleFunc("POST /_sandbox/{crm}/tokens/expire-all", s.withCRM(handleTokensExpireAll))
	s.mux.HandleFunc("GET /_sandbox/{crm}/required-fields", s.withCRM(handleRequiredList))
	s.mux.HandleFunc("PUT /_sandbox/{crm}/required-fields", s.withCRM(handleRequiredSet))
	s.mux.HandleFunc("DELETE /_sandbox/{crm}/required-fields", s.withCRM(handleRequiredClear))
	s.mux.HandleFunc("GET /_sandbox/{crm}/rate-limits", s.withCRM(handleRateLimitsShow))
	s.mux.HandleFunc("PUT /_sandbox/{crm}/rate-limits", s.withCRM(handleRateLimitsSet))
	s.mux.HandleFunc("GET /_sandbox/{crm}/stats", s.withCRM(handleStats))
	s.mux.HandleFunc("GET /_sandbox/{crm}/requests", s.withCRM(handleRequestList))
	s.mux.HandleFunc("DELETE /_sandbox/{crm}/requests", s.withCRM(handleRequestClear))
}

// withCRM resolves {crm} or answers 404.
func (s *Sandbox) withCRM(h func(w http.ResponseWriter, r *http.Request, c emu.CRM)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.crms[r.PathValue("crm")]
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("unknown CRM %q (served: %s)", r.PathValue("crm"), strings.Join(s.names, ", ")))
			return
		}
		h(w, r, c)
	}
}

func writeError(w http.ResponseWriter, status int, err error) {
	emu.WriteJSON(w, status, controlError{Error: err.Error()})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := emu.DecodeJSON(r, v); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return false
	}
	return true
}

func info(root string, c emu.CRM) CRMInfo {
	e := c.Env()
	return CRMInfo{
		Name:         c.Name(),
		Title:        e.Title,
		BaseURL:      strings.TrimRight(root, "/") + "/" + c.Name(),
		ClientID:     e.Config.ClientID,
		ClientSecret: e.Config.ClientSecret,
		AccountName:  e.Config.AccountName,
	}
}

// Infos describes every served CRM as reached through root, the URL the
// sandbox's Handler is served at ("http://127.0.0.1:4321"): what
// `crmsync sandbox` prints at start-up.
func (s *Sandbox) Infos(root string) []CRMInfo {
	out := make([]CRMInfo, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, info(root, s.crms[n]))
	}
	return out
}

func (s *Sandbox) handleInfoList(w http.ResponseWriter, r *http.Request) {
	emu.WriteJSON(w, http.StatusOK, map[string]any{"crms": s.Infos(emu.BaseURL(r))})
}

func (s *Sandbox) handleInfo(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	emu.WriteJSON(w, http.StatusOK, info(emu.BaseURL(r), c))
}

func (s *Sandbox) handleResetAll(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) handleClockAdvance(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MS int64 `json:"ms"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.MS < 0 {
		writeError(w, http.StatusBadRequest, errors.New("advance clock: ms must not be negative"))
		return
	}
	s.clock.Advance(time.Duration(body.MS) * time.Millisecond)
	emu.WriteJSON(w, http.StatusOK, map[string]any{"now": s.clock.Now()})
}

func handleReset(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	c.Env().Reset()
	w.WriteHeader(http.StatusNoContent)
}

func handleObjectList(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	st := c.Env().Store
	counts := map[string]int{}
	for _, o := range st.Objects() {
		counts[o] = st.Len(o)
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"objects": counts})
}

func handleRecordList(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	q := r.URL.Query()
	offset, err1 := intParam(q.Get("offset"), 0)
	limit, err2 := intParam(q.Get("limit"), 100)
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	recs, total := c.Env().Store.List(r.PathValue("object"), offset, limit)
	if recs == nil {
		recs = []emu.Record{}
	}
	emu.WriteJSON(w, http.StatusOK, RecordList{Total: total, Records: recs})
}

func intParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative integer", v)
	}
	return n, nil
}

func handleRecordShow(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	st := c.Env().Store
	object, id := r.PathValue("object"), r.PathValue("id")
	rec, ok := st.Get(object, id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("no %s record %s", object, id))
		return
	}
	links := st.LinkedFrom(object, id)
	if links == nil {
		links = []emu.Link{}
	}
	emu.WriteJSON(w, http.StatusOK, RecordDetail{Record: rec, LinkedFrom: links})
}

func handleFieldList(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	fields := c.Env().Store.Fields(r.PathValue("object"))
	if fields == nil {
		fields = []emu.Field{}
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"fields": fields})
}

func handleCount(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	q := r.URL.Query()
	if q.Get("object") == "" || q.Get("field") == "" {
		writeError(w, http.StatusBadRequest, errors.New("count: object and field are required"))
		return
	}
	n := c.Env().Store.Count(q.Get("object"), q.Get("field"), q.Get("value"))
	emu.WriteJSON(w, http.StatusOK, map[string]int{"count": n})
}

func handleFaultsShow(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	f, _ := c.Env().Faults.Get()
	emu.WriteJSON(w, http.StatusOK, f)
}

func handleFaultsSet(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	var f emu.FaultConfig
	if !decode(w, r, &f) {
		return
	}
	if err := c.Env().Faults.Set(f); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	f, _ = c.Env().Faults.Get()
	emu.WriteJSON(w, http.StatusOK, f)
}

func handleFaultsClear(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	c.Env().Faults.Clear()
	w.WriteHeader(http.StatusNoContent)
}

func handleTokenMint(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	var m MintRequest
	if r.ContentLength != 0 && !decode(w, r, &m) {
		return
	}
	if len(m.Scopes) == 0 {
		m.Scopes = c.Env().DefaultScopes
	}
	emu.WriteJSON(w, http.StatusCreated, c.Env().OAuth.Mint(m.Scopes, m.UserID, m.Extra))
}

func handleTokensRevokeAll(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	c.Env().OAuth.RevokeAll()
	w.WriteHeader(http.StatusNoContent)
}

func handleTokensExpireAll(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	c.Env().OAuth.ExpireAll()
	w.WriteHeader(http.StatusNoContent)
}

func handleRequiredList(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	object := r.URL.Query().Get("object")
	if object == "" {
		writeError(w, http.StatusBadRequest, errors.New("required fields: object is required"))
		return
	}
	fields := c.Env().Store.RequiredFields(object)
	if fields == nil {
		fields = []string{}
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"object": object, "fields": fields})
}

func handleRequiredSet(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	setRequired(w, r, c, true)
}

func handleRequiredClear(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	setRequired(w, r, c, false)
}

func setRequired(w http.ResponseWriter, r *http.Request, c emu.CRM, on bool) {
	var f RequiredField
	if !decode(w, r, &f) {
		return
	}
	if f.Object == "" || f.Field == "" {
		writeError(w, http.StatusBadRequest, errors.New("required fields: object and field are required"))
		return
	}
	c.Env().Store.SetRequired(f.Object, f.Field, on)
	w.WriteHeader(http.StatusNoContent)
}

func rateLimits(c emu.CRM) RateLimits {
	l := c.Env().Limits
	return RateLimits{Disabled: l.Disabled(), Windows: l.Windows()}
}

func handleRateLimitsShow(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	emu.WriteJSON(w, http.StatusOK, rateLimits(c))
}

func handleRateLimitsSet(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	var body RateLimits
	if !decode(w, r, &body) {
		return
	}
	l := c.Env().Limits
	current := l.Windows()
	for name, win := range body.Windows {
		if _, ok := current[name]; !ok {
			writeError(w, http.StatusBadRequest, fmt.Errorf("rate limits: %s has no window %q", c.Name(), name))
			return
		}
		if err := l.Set(name, win); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
	}
	l.SetDisabled(body.Disabled)
	emu.WriteJSON(w, http.StatusOK, rateLimits(c))
}

func handleStats(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	emu.WriteJSON(w, http.StatusOK, c.Env().Stats.Snapshot())
}

func handleRequestList(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	limit, err := intParam(r.URL.Query().Get("limit"), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"requests": c.Env().Requests.List(limit)})
}

func handleRequestClear(w http.ResponseWriter, r *http.Request, c emu.CRM) {
	c.Env().Requests.Clear()
	w.WriteHeader(http.StatusNoContent)
}
