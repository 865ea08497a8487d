package hubspot

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// searchBody is POST /crm/v3/objects/{type}/search.
type searchBody struct {
	FilterGroups []struct {
		Filters []searchFilter `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []any      `json:"sorts"`
	Query      string     `json:"query"`
	Properties []string   `json:"properties"`
	Limit      int        `json:"limit"`
	After      flexString `json:"after"`
}

type searchFilter struct {
	PropertyName string       `json:"propertyName"`
	Operator     string       `json:"operator"`
	Value        flexString   `json:"value"`
	HighValue    flexString   `json:"highValue"`
	Values       []flexString `json:"values"`
}

// Search limits (crm-api-facts §2.7; the group/filter caps are HubSpot's
// documented search limits).
const (
	maxSearchLimit   = 200
	maxFilterGroups  = 5
	maxFiltersPerAll = 18
)

var searchOperators = []string{"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}

// handleSearch filters records: groups are ORed, filters in a group ANDed,
// string comparison case-insensitive. Unlike HubSpot it is immediately
// consistent. A single EQ filter on a unique property uses its index.
func (c *CRM) handleSearch(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return
	}
	var body searchBody
	if err := emu.DecodeJSON(r, &body); err != nil {
		writeHTTPError(w, invalidInput(err.Error()))
		return
	}
	if body.Limit == 0 {
		body.Limit = 10
	}
	total := 0
	for _, g := range body.FilterGroups {
		total += len(g.Filters)
		for _, f := range g.Filters {
			if !slices.Contains(searchOperators, f.Operator) {
				writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Invalid operator %q", f.Operator)))
				return
			}
		}
	}
	if body.Limit < 1 || body.Limit > maxSearchLimit || len(body.FilterGroups) > maxFilterGroups || total > maxFiltersPerAll {
		writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("limit must be 1..%d, with at most %d filter groups and %d filters", maxSearchLimit, maxFilterGroups, maxFiltersPerAll)))
		return
	}
	offset, _ := strconv.Atoi(string(body.After))
	matches := c.searchRecords(ot, body)
	names := body.Properties
	if len(names) == 0 {
		names = ot.defaults
	}
	page := matches[min(offset, len(matches)):min(offset+body.Limit, len(matches))]
	results := make([]simpleObject, 0, len(page))
	for _, rec := range page {
		results = append(results, c.view(ot, rec, names))
	}
	n := len(matches)
	resp := pageOf[simpleObject]{Total: &n, Results: results}
	if next := offset + len(page); next < len(matches) {
		resp.Paging = nextPage(strconv.Itoa(next), "")
	}
	emu.WriteJSON(w, http.StatusOK, resp)
}

func (c *CRM) searchRecords(ot *objectType, body searchBody) []emu.Record {
	st := c.env.Store
	if len(body.FilterGroups) == 1 && len(body.FilterGroups[0].Filters) == 1 && body.Query == "" {
		f := body.FilterGroups[0].Filters[0]
		if def, ok := st.Field(ot.name, f.PropertyName); ok && def.Unique && f.Operator == "EQ" {
			if rec, found := st.FindUnique(ot.name, f.PropertyName, string(f.Value)); found {
				return []emu.Record{rec}
			}
			return nil
		}
	}
	all, _ := st.List(ot.name, 0, 0)
	var out []emu.Record
	for _, rec := range all {
		if c.matchesSearch(ot, rec, body) {
			out = append(out, rec)
		}
	}
	return out
}

func (c *CRM) matchesSearch(ot *objectType, rec emu.Record, body searchBody) bool {
	if q := strings.ToLower(body.Query); q != "" {
		hit := false
		for _, v := range rec.Fields {
			if s, ok := v.(string); ok && strings.Contains(strings.ToLower(s), q) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	if len(body.FilterGroups) == 0 {
		return true
	}
	for _, g := range body.FilterGroups {
		all := true
		for _, f := range g.Filters {
			if !matchFilter(ot, rec, f) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func searchValue(ot *objectType, rec emu.Record, name string) (string, bool) {
	switch name {
	case "hs_object_id":
		return rec.ID, true
	case ot.created:
		return strconv.FormatInt(rec.CreatedAt.UnixMilli(), 10), true
	case ot.modified:
		return strconv.FormatInt(rec.UpdatedAt.UnixMilli(), 10), true
	}
	v, ok := rec.Fields[name]
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	if t, isTime := parseDateTime(s); isTime && strings.Contains(s, "T") {
		return strconv.FormatInt(t.UnixMilli(), 10), true // datetimes compare as epoch ms
	}
	return s, true
}

func matchFilter(ot *objectType, rec emu.Record, f searchFilter) bool {
	v, has := searchValue(ot, rec, f.PropertyName)
	want := string(f.Value)
	if t, ok := parseDateTime(want); ok && strings.Contains(want, "T") {
		want = strconv.FormatInt(t.UnixMilli(), 10)
	}
	switch f.Operator {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "EQ":
		return has && strings.EqualFold(v, want)
	case "NEQ":
		return !has || !strings.EqualFold(v, want)
	case "IN", "NOT_IN":
		in := slices.ContainsFunc(f.Values, func(x flexString) bool { return has && strings.EqualFold(v, string(x)) })
		return in == (f.Operator == "IN")
	case "CONTAINS_TOKEN":
		return has && strings.Contains(strings.ToLower(v), strings.Trim(strings.ToLower(want), "*"))
	case "NOT_CONTAINS_TOKEN":
		return !has || !strings.Contains(strings.ToLower(v), strings.Trim(strings.ToLower(want), "*"))
	case "BETWEEN":
		return has && compare(v, want) >= 0 && compare(v, string(f.HighValue)) <= 0
	case "LT":
		return has && compare(v, want) < 0
	case "LTE":
		return has && compare(v, want) <= 0
	case "GT":
		return has && compare(v, want) > 0
	case "GTE":
		return has && compare(v, want) >= 0
	}
	return false
}

// compare orders numbers numerically and anything else as text.
func compare(a, b string) int {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}
