package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync"
)

// Paging limits of the list endpoints.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// recordRef is how a batch response names each record it wrote, in request
// order.
type recordRef struct {
	ID       int64  `json:"id"`
	SourceID string `json:"source_id"`
}

// listParams are the paging query parameters shared by every list endpoint.
type listParams struct {
	AfterID int64
	Limit   int
}

// parseListParams reads after_id and limit from the query string.
func parseListParams(r *http.Request) (listParams, error) {
	p := listParams{Limit: defaultPageSize}
	q := r.URL.Query()
	if s := q.Get("after_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return p, badRequest("after_id", "must be a non-negative integer: the id of the last record of the previous page")
		}
		p.AfterID = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return p, badRequest("limit", fmt.Sprintf("must be an integer from 1 to %d", maxPageSize))
		}
		p.Limit = n
	}
	return p, nil
}

// nextAfterID returns the after_id of the next page when this page is full,
// or nil when the listing is complete.
func nextAfterID(n, limit int, lastID int64) *int64 {
	if n < limit || n == 0 {
		return nil
	}
	return &lastID
}

// writeContext is the context of an ingest write: the request's values
// without its cancellation. A write that reached the store runs to the end
// (one short transaction) even if the client hangs up; the client's retry
// then finds it done, as upserts are idempotent. (The store's own
// statements drop cancellation on SQLite for speed either way.)
func writeContext(r *http.Request) context.Context {
	return context.WithoutCancel(r.Context())
}

// parseID reads the {id} path value; an id that cannot exist is not found.
func parseID(r *http.Request, what string) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, crmsync.Errorf(crmsync.ENOTFOUND, "There is no %s with id %q in this workspace.", what, s)
	}
	return id, nil
}

// singleRecordError renames the fields of a store error about a one-record
// batch ("contacts[0].email") to the single-record endpoint's names ("email").
func singleRecordError(key string, err error) error {
	var e *crmsync.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := &crmsync.Error{Code: e.Code, Message: e.Message, Fields: make([]crmsync.FieldError, len(e.Fields))}
	for i, f := range e.Fields {
		name := strings.TrimPrefix(f.Field, key+"[0]")
		name = strings.TrimPrefix(name, ".")
		if name == "" {
			name = f.Field
		}
		out.Fields[i] = crmsync.FieldError{Field: name, Message: f.Message}
	}
	return out
}
