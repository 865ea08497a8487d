package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// record is one sObject in a Collections request body.
type record map[string]any

func newRecord(object string) record {
	return record{"attributes": map[string]string{"type": object}}
}

// upsertResult is one item of an sObject Collections upsert answer. Failed items carry no
// id (and, the connector assumes, no created flag).
type upsertResult struct {
	ID      string     `json:"id"`
	Success bool       `json:"success"`
	Created *bool      `json:"created"`
	Errors  []apiError `json:"errors"`
}

// collectionUpsert sends PATCH /composite/sobjects/{object}/{extField} with allOrNone
// false: each record lands or fails on its own.
func (c *Connector) collectionUpsert(ctx context.Context, a *crm.Account, object, extField string, recs []record) ([]upsertResult, error) {
	body := struct {
		AllOrNone bool     `json:"allOrNone"`
		Records   []record `json:"records"`
	}{false, recs}
	var out []upsertResult
	if err := c.do(ctx, a, http.MethodPatch, "/composite/sobjects/"+object+"/"+extField, body, &out); err != nil {
		return nil, err
	}
	if len(out) != len(recs) {
		return nil, &crm.Error{Problem: crmsync.ProblemUnknown, CRMMessage: "Salesforce answered a different number of results.",
			Err: fmt.Errorf("upsert %s: %d results for %d records", object, len(out), len(recs))}
	}
	return out, nil
}

// Limits of one SOQL IN list, so the query URL stays well under Salesforce's 16,384-byte
// limit for URI and headers whatever the external ids look like.
const (
	maxINValues = 100
	maxINChars  = 6000
)

// inChunks groups quoted SOQL literals into IN lists within both limits.
func inChunks(values []string) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, v := range values {
		q := soqlString(v)
		if len(cur) > 0 && (len(cur) == maxINValues || size+len(q)+1 > maxINChars) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, q)
		size += len(q) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// existing returns, for the external ids that already have a record of object, the
// record's id keyed by the lower-cased external id (the fields are case-insensitive).
func (c *Connector) existing(ctx context.Context, a *crm.Account, object, extField string, extIDs []string) (map[string]string, error) {
	found := map[string]string{}
	for _, chunk := range inChunks(extIDs) {
		soql := fmt.Sprintf("SELECT Id, %s FROM %s WHERE %s IN (%s)", extField, object, extField, strings.Join(chunk, ","))
		rows, err := queryAll[map[string]any](ctx, c, a, soql)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			id, _ := row["Id"].(string)
			ext, _ := row[extField].(string)
			found[strings.ToLower(ext)] = id
		}
	}
	return found, nil
}

// rounds splits record indexes into groups without a repeated key: Salesforce fails every
// record of a Collections request that shares an external id, so repeats go in later calls.
func rounds(keys []string) [][]int {
	var out [][]int
	seen := []map[string]bool{}
	for i, k := range keys {
		k = strings.ToLower(k)
		r := 0
		for r < len(out) && seen[r][k] {
			r++
		}
		if r == len(out) {
			out = append(out, nil)
			seen = append(seen, map[string]bool{})
		}
		out[r] = append(out[r], i)
		seen[r][k] = true
	}
	return out
}

// upsertByExternalID upserts recs (recs[i] carries keys[i] in extField) in as few calls as
// the repeats allow, filling results[idx[i]].
func (c *Connector) upsertByExternalID(ctx context.Context, a *crm.Account, object, extField string, keys []string, recs []record, results []crm.Result, idx []int) error {
	for _, round := range rounds(keys) {
		batch := make([]record, len(round))
		for j, i := range round {
			batch[j] = recs[i]
		}
		out, err := c.collectionUpsert(ctx, a, object, extField, batch)
		if err != nil {
			return err
		}
		for j, i := range round {
			res := &results[idx[i]]
			o := out[j]
			if !o.Success {
				e := apiError{Message: "Salesforce rejected the record without saying why.", StatusCode: "UNKNOWN_EXCEPTION"}
				if len(o.Errors) > 0 {
					e = o.Errors[0]
				}
				res.Err = classifyCode(http.StatusOK, e, c.proto.limitWait)
				continue
			}
			res.CRMID = o.ID
			res.Created = o.Created != nil && *o.Created
		}
	}
	return nil
}

// invalidInput is the per-record error for an input the connector cannot send.
func invalidInput(msg string) *crm.Error {
	return &crm.Error{Problem: crmsync.ProblemInvalidValue, CRMMessage: msg, Err: fmt.Errorf("salesforce: %s", msg)}
}
