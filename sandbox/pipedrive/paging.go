package pipedrive

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// v2 lists page with limit (default 100, at most 500) and an opaque cursor
// returned as additional_data.next_cursor (null on the last page). The
// sandbox's cursor has the shape of Pipedrive's, base64 of
// {"field":"id","fieldValue":7,"sortDirection":"asc","id":7}: the last id
// served; the next page starts after it.

const (
	defaultLimit = 100
	maxLimit     = 500
)

// page is a parsed limit + cursor.
type page struct {
	after int64 // serve items after this id (0: from the start)
	limit int
}

type cursorBody struct {
	Field         string `json:"field"`
	FieldValue    int64  `json:"fieldValue"`
	SortDirection string `json:"sortDirection"`
	ID            int64  `json:"id"`
}

// parsePage reads limit and cursor from the query.
func parsePage(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{limit: defaultLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, fieldError("limit", "must be a positive integer")
		}
		if n > maxLimit {
			return p, fieldError("limit", "must be at most 500")
		}
		p.limit = n
	}
	if s := q.Get("cursor"); s != "" {
		id, ok := decodeCursor(s)
		if !ok {
			return p, fieldError("cursor", "is not a valid cursor")
		}
		p.after = id
	}
	return p, nil
}

func decodeCursor(s string) (int64, bool) {
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.StdEncoding} {
		if raw, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return 0, false
	}
	var c cursorBody
	if json.Unmarshal(raw, &c) != nil || c.Field != "id" || c.ID < 0 {
		return 0, false
	}
	return c.ID, true
}

// encodeCursor makes the cursor that continues after id.
func encodeCursor(id int64) string {
	b, _ := json.Marshal(cursorBody{Field: "id", FieldValue: id, SortDirection: "asc", ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// nextCursor is the next_cursor of a page that ended at position end of
// total items, the last of which has lastID; nil when nothing follows.
func nextCursor(end, total int, lastID int64) *string {
	if end >= total {
		return nil
	}
	s := encodeCursor(lastID)
	return &s
}
