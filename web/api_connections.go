package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// The connection API under /api/v1/connections offers every action of the
// CRM Connection Detail and Field Mapping pages, through the same engine
// and the same validation as the pages.

// connectionDetail is GET /api/v1/connections/{provider}.
type connectionDetail struct {
	Connection *crmsync.Connection    `json:"connection"`
	SetupGuide setupGuideBody         `json:"setup_guide"`
	Import     crmsync.ImportProgress `json:"import_progress"`
	Health     *crmsync.Health        `json:"last_24_hours"`
}

type setupGuideBody struct {
	Dismissed bool            `json:"dismissed"`
	Complete  bool            `json:"complete"`
	Steps     []setupStepBody `json:"steps"`
}

type setupStepBody struct {
	Title   string `json:"title"`
	Done    bool   `json:"done"`
	Current bool   `json:"current"`
}

// apiConnection runs h with the connection named by the {provider} path
// value of the token's workspace.
func (s *Server) apiConnection(h func(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request, ws int64) error {
		conn, err := s.connectionFor(r.Context(), ws, r.PathValue("provider"))
		if err != nil {
			return err
		}
		return h(w, r, ws, conn)
	})
}

// decodeOptional decodes a JSON object body into v if there is one.
func (s *Server) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeOne(w, r, s.cfg.MaxSingleBytes, v)
}

type connectionsBody struct {
	Connections []*crmsync.Connection `json:"connections"`
}

func (s *Server) handleAPIConnectionsList(w http.ResponseWriter, r *http.Request, ws int64) error {
	conns, err := s.cfg.Connections.FindConnections(r.Context(), ws)
	if err != nil {
		return err
	}
	if conns == nil {
		conns = []*crmsync.Connection{}
	}
	writeJSON(w, http.StatusOK, connectionsBody{Connections: conns})
	return nil
}

func (s *Server) handleAPIConnectionShow(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	ctx := r.Context()
	progress, err := s.cfg.Engine.Progress(ctx, conn)
	if err != nil {
		return err
	}
	health, err := s.cfg.Sync.Health(ctx, ws, conn.ID, s.cfg.Now())
	if err != nil {
		return err
	}
	g := guideFor(conn)
	body := connectionDetail{Connection: conn, Import: progress, Health: health,
		SetupGuide: setupGuideBody{Dismissed: g.Hidden, Complete: g.Complete}}
	for _, st := range g.Steps {
		body.SetupGuide.Steps = append(body.SetupGuide.Steps, setupStepBody(st))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

type connectRequest struct {
	Datacenter string `json:"datacenter"`
}

type connectBody struct {
	AuthorizeURL string `json:"authorize_url"`
}

func (s *Server) handleAPIConnectCreate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	var req connectRequest
	if err := s.decodeOptional(w, r, &req); err != nil {
		return err
	}
	u, err := s.startConnect(r.Context(), ws, conn.Provider, req.Datacenter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, connectBody{AuthorizeURL: u})
	return nil
}

type callbackRequest struct {
	Params map[string]string `json:"params"`
}

func (s *Server) handleAPIOAuthComplete(w http.ResponseWriter, r *http.Request, ws int64) error {
	var req callbackRequest
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &req); err != nil {
		return err
	}
	conn, err := s.cfg.Engine.CompleteConnect(r.Context(), ws, req.Params["state"], req.Params)
	if err != nil {
		return err
	}
	s.forgetUsers(conn.ID)
	writeJSON(w, http.StatusOK, conn)
	return nil
}

// connectionStep adapts an engine call returning the connection.
func (s *Server) connectionStep(call func(r *http.Request, ws int64, conn *crmsync.Connection) (*crmsync.Connection, error)) http.HandlerFunc {
	return s.apiConnection(func(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
		c, err := call(r, ws, conn)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	})
}

func (s *Server) handleAPIImportCreate(r *http.Request, ws int64, conn *crmsync.Connection) (*crmsync.Connection, error) {
	return s.cfg.Engine.StartImport(r.Context(), ws, conn.ID, false)
}

func (s *Server) handleAPIImportSkip(r *http.Request, ws int64, conn *crmsync.Connection) (*crmsync.Connection, error) {
	return s.cfg.Engine.SkipImport(r.Context(), ws, conn.ID)
}

func (s *Server) handleAPIResyncCreate(r *http.Request, ws int64, conn *crmsync.Connection) (*crmsync.Connection, error) {
	return s.cfg.Engine.StartImport(r.Context(), ws, conn.ID, true)
}

func (s *Server) handleAPIImportCancel(r *http.Request, ws int64, conn *crmsync.Connection) (*crmsync.Connection, error) {
	return s.cfg.Engine.CancelImport(r.Context(), ws, conn.ID)
}

func (s *Server) handleAPIDisconnectCreate(r *http.Request, ws int64, conn *crmsync.Connection) (*crmsync.Connection, error) {
	return s.cfg.Engine.Disconnect(r.Context(), ws, conn.ID)
}

func (s *Server) handleAPITogglesUpdate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	var t crmsync.SyncToggles
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &t); err != nil {
		return err
	}
	c, err := s.cfg.Engine.SetToggles(r.Context(), ws, conn.ID, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type usersBody struct {
	Supported bool       `json:"supported"`
	Users     []crm.User `json:"users"`
}

func (s *Server) handleAPIUsersList(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	users, err := s.cfg.Engine.Users(r.Context(), ws, conn.ID)
	if errors.Is(err, crm.ErrUsersUnsupported) {
		writeJSON(w, http.StatusOK, usersBody{Users: []crm.User{}})
		return nil
	} else if err != nil {
		return err
	}
	if users == nil {
		users = []crm.User{}
	}
	writeJSON(w, http.StatusOK, usersBody{Supported: true, Users: users})
	return nil
}

type ownerRequest struct {
	OwnerID string `json:"owner_id"`
}

func (s *Server) handleAPIOwnerUpdate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	var req ownerRequest
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &req); err != nil {
		return err
	}
	c, err := s.cfg.Engine.SetOwner(r.Context(), ws, conn.ID, req.OwnerID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) handleAPITestContactCreate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	res, err := s.cfg.Engine.SendTestContact(r.Context(), ws, conn.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type retryBody struct {
	Requeued int `json:"requeued"`
}

func (s *Server) handleAPIRetryCreate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	n, err := s.cfg.Engine.RetryFailed(r.Context(), ws, conn.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, retryBody{Requeued: n})
	return nil
}

func (s *Server) handleAPIGuideDismiss(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	if err := s.cfg.Engine.DismissGuide(r.Context(), ws, conn.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleAPIHealthShow(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	h, err := s.cfg.Sync.Health(r.Context(), ws, conn.ID, s.cfg.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

type eventsBody struct {
	Events       []*crmsync.SyncEvent `json:"events"`
	NextBeforeID *int64               `json:"next_before_id"`
}

func (s *Server) handleAPIEventsList(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	f := crmsync.SyncEventFilter{Limit: recentEventsShown}
	q := r.URL.Query()
	if v := q.Get("before_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return badRequest("before_id", "must be a positive integer: the id of the last event of the previous page")
		}
		f.BeforeID = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return badRequest("limit", "must be an integer from 1 to 1000")
		}
		f.Limit = n
	}
	events, err := s.cfg.Sync.FindSyncEvents(r.Context(), ws, conn.ID, f)
	if err != nil {
		return err
	}
	body := eventsBody{Events: events}
	if body.Events == nil {
		body.Events = []*crmsync.SyncEvent{}
	}
	if len(events) == f.Limit {
		body.NextBeforeID = &events[len(events)-1].ID
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

type fieldsBody struct {
	Fields []crm.Field `json:"fields"`
}

func (s *Server) handleAPIFieldsList(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	fields, err := s.cfg.Engine.ContactFields(r.Context(), ws, conn.ID)
	if err != nil {
		return err
	}
	if fields == nil {
		fields = []crm.Field{}
	}
	writeJSON(w, http.StatusOK, fieldsBody{Fields: fields})
	return nil
}

type fieldMappingsBody struct {
	FieldMappings []*crmsync.FieldMapping `json:"field_mappings"`
}

func (s *Server) handleAPIFieldMappingsList(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	ms, err := s.cfg.FieldMappings.FindFieldMappings(r.Context(), ws, conn.ID)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []*crmsync.FieldMapping{}
	}
	writeJSON(w, http.StatusOK, fieldMappingsBody{FieldMappings: ms})
	return nil
}

func (s *Server) handleAPIFieldMappingCreate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	var in fieldMappingInput
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &in); err != nil {
		return err
	}
	m, err := s.saveFieldMapping(r.Context(), ws, conn, 0, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) handleAPIFieldMappingUpdate(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	id, err := parseID(r, "field mapping")
	if err != nil {
		return err
	}
	var in fieldMappingInput
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &in); err != nil {
		return err
	}
	m, err := s.saveFieldMapping(r.Context(), ws, conn, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handleAPIFieldMappingDelete(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	id, err := parseID(r, "field mapping")
	if err != nil {
		return err
	}
	if err := s.deleteFieldMapping(r.Context(), ws, conn, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleAPIFieldMappingReviewed(w http.ResponseWriter, r *http.Request, ws int64, conn *crmsync.Connection) error {
	if err := s.cfg.Engine.MarkFieldMappingReviewed(r.Context(), ws, conn.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
