package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// batchInput is one input of a batch create, update or upsert.
type batchInput struct {
	ID         string `json:"id,omitempty"`
	IDProperty string `json:"idProperty,omitempty"`
	// ObjectWriteTraceID makes HubSpot answer 207 with per-record errors
	// instead of failing the whole batch for one bad record; it must be
	// unique within the batch.
	ObjectWriteTraceID string            `json:"objectWriteTraceId,omitempty"`
	Properties         map[string]string `json:"properties"`
	Associations       []association     `json:"associations,omitempty"`
}

// association links a new engagement to a record.
type association struct {
	To    associationTo     `json:"to"`
	Types []associationType `json:"types"`
}

type associationTo struct {
	ID string `json:"id"`
}

type associationType struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   int    `json:"associationTypeId"`
}

// batchRequest is the body of every batch call.
type batchRequest struct {
	Inputs []batchInput `json:"inputs"`
}

// batchResponse is the 200/201/207 answer of a batch call. results are not
// in input order.
type batchResponse struct {
	Status    string        `json:"status"`
	Results   []batchResult `json:"results"`
	NumErrors int           `json:"numErrors"`
	Errors    []errorBody   `json:"errors"`
}

// batchResult is one written record.
type batchResult struct {
	ID                 string     `json:"id"`
	New                bool       `json:"new"`
	ObjectWriteTraceID string     `json:"objectWriteTraceId"`
	Properties         properties `json:"properties"`
}

// properties are a record's properties as HubSpot sent them, decoded only
// when one is read: a batch answer echoes every property of up to 100
// records, and the connector reads at most one of them, seldom (results
// are matched by trace id first).
type properties json.RawMessage

// UnmarshalJSON keeps a copy of b.
func (p *properties) UnmarshalJSON(b []byte) error {
	*p = append((*p)[:0], b...)
	return nil
}

// MarshalJSON returns the properties as received (null when none).
func (p properties) MarshalJSON() ([]byte, error) {
	if len(p) == 0 {
		return []byte("null"), nil
	}
	return p, nil
}

// get returns the property's value, "" when it is absent or not a string.
func (p properties) get(name string) string {
	var m map[string]any
	if json.Unmarshal(p, &m) != nil {
		return ""
	}
	v, _ := m[name].(string)
	return v
}

// outcome is what happened to one batch input.
type outcome struct {
	id      string
	created bool
	err     *crm.Error
}

// matcher pairs results and error contexts with inputs when HubSpot does not
// echo the trace id: input returns an input's key, result a result's key.
type matcher struct {
	input  func(batchInput) string
	result func(batchResult) string
}

// writeBatch posts ins (at most MaxBatch) to path and returns one outcome per
// input, in input order. Per-record refusals are outcomes; the error is for
// failures of the whole call (auth, throttling, transport, 5xx).
func (c *Connector) writeBatch(ctx context.Context, a *crm.Account, path string, ins []batchInput, m matcher) ([]outcome, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	resp, err := c.postJSON(ctx, a, path, batchRequest{Inputs: ins})
	if err != nil {
		ce := crm.AsError(err)
		if resp == nil || resp.StatusCode != http.StatusBadRequest {
			return nil, err
		}
		// A whole-batch 400 despite trace ids. A property that does not
		// exist is wrong for every record alike; anything else is one
		// record's fault: isolate it by halving so the others land.
		if len(ins) == 1 || ce.Problem == crmsync.ProblemFieldMissing {
			out := make([]outcome, len(ins))
			for i := range out {
				out[i].err = ce
			}
			return out, nil
		}
		mid := len(ins) / 2
		left, err := c.writeBatch(ctx, a, path, ins[:mid], m)
		if err != nil {
			return nil, err
		}
		right, err := c.writeBatch(ctx, a, path, ins[mid:], m)
		if err != nil {
			return nil, err
		}
		return append(left, right...), nil
	}
	var br batchResponse
	if err := json.Unmarshal(resp.Body, &br); err != nil {
		return nil, fmt.Errorf("decode %s answer: %w", path, err)
	}
	return matchOutcomes(ins, br, m), nil
}

// matchOutcomes pairs a batch answer with its inputs: by trace id first,
// then by the matcher's key; errors by their context's trace ids or ids.
func matchOutcomes(ins []batchInput, br batchResponse, m matcher) []outcome {
	out := make([]outcome, len(ins))
	done := make([]bool, len(ins))
	byTrace := make(map[string]int, len(ins))
	byKey := make(map[string]int, len(ins))
	for i, in := range ins {
		if in.ObjectWriteTraceID != "" {
			byTrace[in.ObjectWriteTraceID] = i
		}
		if k := m.input(in); k != "" {
			byKey[k] = i
		}
	}
	find := func(r batchResult) (int, bool) {
		if i, ok := byTrace[r.ObjectWriteTraceID]; ok && r.ObjectWriteTraceID != "" {
			return i, true
		}
		key := m.result(r)
		i, ok := byKey[key]
		return i, ok && key != ""
	}
	for _, r := range br.Results {
		i, ok := find(r)
		if !ok || done[i] {
			continue
		}
		out[i], done[i] = outcome{id: r.ID, created: r.New}, true
	}
	var loose []*crm.Error
	for _, eb := range br.Errors {
		ce := classifyBody(0, nil, eb)
		matched := false
		for _, t := range contextStrings(eb.Context, "objectWriteTraceId") {
			if i, ok := byTrace[t]; ok && !done[i] {
				out[i], done[i], matched = outcome{err: ce}, true, true
			}
		}
		for _, k := range contextStrings(eb.Context, "ids") {
			if i, ok := byKey[k]; ok && !done[i] {
				out[i], done[i], matched = outcome{err: ce}, true, true
			}
		}
		if !matched {
			loose = append(loose, ce)
		}
	}
	for i := range out {
		if done[i] {
			continue
		}
		if len(loose) == 1 {
			out[i].err = loose[0]
			continue
		}
		out[i].err = &crm.Error{Problem: crmsync.ProblemUnknown, CRMMessage: "HubSpot's answer had no result for this record."}
	}
	return out
}

// contextStrings reads a list of strings from an error context.
func contextStrings(ctx map[string]any, key string) []string {
	raw, _ := ctx[key].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// updateMatcher matches batch-update results by record id.
var updateMatcher = matcher{
	input:  func(in batchInput) string { return in.ID },
	result: func(r batchResult) string { return r.ID },
}

// setOwner sets hubspot_owner_id to owners[i] on record ids[i] of
// objectType (batch updates) and returns each record's refusal, or an error
// when a whole call failed.
func (c *Connector) setOwner(ctx context.Context, a *crm.Account, objectType string, ids, owners []string) ([]*crm.Error, error) {
	errs := make([]*crm.Error, len(ids))
	for start := 0; start < len(ids); start += MaxBatch {
		chunk := ids[start:min(start+MaxBatch, len(ids))]
		ins := make([]batchInput, len(chunk))
		for i, id := range chunk {
			ins[i] = batchInput{ID: id, ObjectWriteTraceID: id, Properties: map[string]string{ownerProperty: owners[start+i]}}
		}
		outs, err := c.writeBatch(ctx, a, "/crm/v3/objects/"+objectType+"/batch/update", ins, updateMatcher)
		if err != nil {
			return nil, err
		}
		for i, o := range outs {
			errs[start+i] = o.err
		}
	}
	return errs, nil
}

// ownerProperty is the record owner of every HubSpot object.
const ownerProperty = "hubspot_owner_id"
