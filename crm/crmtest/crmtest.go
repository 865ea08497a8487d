// Package crmtest is the conformance suite every crm.Connector passes
// against its sandbox over real HTTP. A behaviour rule for connectors is a
// new case here, not a provider-only test.
//
// A connector package runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		crmtest.Run(t, crmtest.Harness{Setup: func(t *testing.T) *crmtest.Env { … }})
//	}
package crmtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/sandbox/emu"
)

// Control is the part of the sandbox control API the suite drives, scoped to
// the connector's CRM.
type Control interface {
	// Count returns how many records of object hold value in field.
	Count(ctx context.Context, object, field, value string) (int, error)
	// RevokeAllTokens makes the CRM reject every token it issued.
	RevokeAllTokens(ctx context.Context) error
	// ExpireAllTokens makes every access token expired (refresh still works).
	ExpireAllTokens(ctx context.Context) error
	// SetFaults injects faults; ClearFaults removes them.
	SetFaults(ctx context.Context, f Faults) error
	ClearFaults(ctx context.Context) error
	// Stats returns the CRM's counters (requests, throttled answers,
	// refresh-token grants served).
	Stats(ctx context.Context) (emu.StatsSnapshot, error)
}

// Faults is the sandbox's fault configuration.
type Faults = emu.FaultConfig

// Record is a CRM record as the suite reads it back: canonical SalesHive
// field names ("first_name", "last_name", "email", "title") to values, plus
// the owner's CRM user id and, for activities, the CRM id of the contact it
// is attached to.
type Record struct {
	Fields       map[string]string
	OwnerID      string
	ContactCRMID string
}

// Env is one connector connected to a freshly reset sandbox account.
type Env struct {
	Connector crm.Connector
	Account   *crm.Account
	Control   Control
	// ContactObject is the sandbox object name of contacts ("contacts",
	// "Contact", "persons", "Contacts"); ActivityObject that of each kind.
	ContactObject  string
	ActivityObject func(crmsync.ActivityKind) string
	// GetContact and GetActivity read a record back through the control API.
	GetContact  func(ctx context.Context, crmID string) (Record, error)
	GetActivity func(ctx context.Context, kind crmsync.ActivityKind, crmID string) (Record, error)
	// Throttle makes the CRM's rate limit tiny (e.g. 2 requests per second)
	// so the suite can hit it; Unthrottle restores the default.
	Throttle   func(ctx context.Context) error
	Unthrottle func(ctx context.Context) error
}

// Harness builds Envs.
type Harness struct {
	// Setup resets the sandbox account and returns a connected Env whose
	// schema is already ensured. It registers its own cleanup.
	Setup func(t *testing.T) *Env
}

// Run runs every conformance case as a subtest.
func Run(t *testing.T, h Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, e *Env)
	}{
		{"UpsertSameExternalIDTwice", testUpsertIdempotent},
		{"UpdateChangesFields", testUpdateChangesFields},
		{"OwnerOnCreateOnly", testOwnerOnCreateOnly},
		{"ActivityAttachedNotDuplicated", testActivityAttached},
		{"UnicodeAndEmptyOptionalFields", testUnicode},
		{"BatchWithOneInvalidRecord", testBatchOneInvalid},
		{"RevokedToken", testRevokedToken},
		{"Throttling", testThrottling},
		{"DroppedResponseAfterCommit", testDroppedAfterCommit},
		{"ExpiredTokenMidBatch", testExpiredMidBatch},
		{"ConcurrentRefreshSingleFlight", testConcurrentRefresh},
		{"ContextCancellation", testCancellation},
		{"SchemaIdempotent", testSchemaIdempotent},
		{"ListsFieldsAndUsers", testFieldsAndUsers},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := h.Setup(t)
			c.fn(t, e)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// contactInput maps a SalesHive contact through the connector's default
// mappings, as the sync engine does.
func contactInput(e *Env, extID string, c crmsync.Contact) crm.ContactInput {
	in := crm.ContactInput{ExternalID: extID, Fields: map[string]string{}}
	for _, m := range e.Connector.DefaultMappings() {
		if v := m.ValueFor(&c); v != "" {
			in.Fields[m.CRMField] = v
		}
	}
	return in
}

func upsert(t *testing.T, e *Env, owner string, ins ...crm.ContactInput) []crm.Result {
	t.Helper()
	res, err := e.Connector.UpsertContacts(ctxT(t), e.Account, ins, owner)
	if err != nil {
		t.Fatalf("UpsertContacts: %v", err)
	}
	if len(res) != len(ins) {
		t.Fatalf("UpsertContacts returned %d results for %d inputs", len(res), len(ins))
	}
	return res
}

func mustOK(t *testing.T, res []crm.Result) {
	t.Helper()
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("result %d (%s): %v", i, r.ExternalID, r.Err)
		}
		if r.CRMID == "" {
			t.Fatalf("result %d (%s): no CRM id", i, r.ExternalID)
		}
	}
}

func count(t *testing.T, e *Env, object, field, value string) int {
	t.Helper()
	n, err := e.Control.Count(ctxT(t), object, field, value)
	if err != nil {
		t.Fatalf("count %s.%s=%s: %v", object, field, value, err)
	}
	return n
}

func getContact(t *testing.T, e *Env, id string) Record {
	t.Helper()
	r, err := e.GetContact(ctxT(t), id)
	if err != nil {
		t.Fatalf("get contact %s: %v", id, err)
	}
	return r
}

var ada = crmsync.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Title: "Analyst", Company: "Engines Ltd"}

// adaAs is Ada with an email of her own per external id: real CRMs refuse
// two contacts with one email, and the suite's records are distinct people.
func adaAs(extID string) crmsync.Contact {
	c := ada
	c.Email = extID + "@example.com"
	return c
}

func testUpsertIdempotent(t *testing.T, e *Env) {
	in := contactInput(e, "shc-ada", adaAs("shc-ada"))
	first := upsert(t, e, "", in)
	mustOK(t, first)
	if !first[0].Created {
		t.Errorf("first upsert: Created = false, want true")
	}
	second := upsert(t, e, "", in)
	mustOK(t, second)
	if second[0].Created {
		t.Errorf("second upsert: Created = true, want false")
	}
	if second[0].CRMID != first[0].CRMID {
		t.Errorf("second upsert CRM id %q, want the first's %q", second[0].CRMID, first[0].CRMID)
	}
	if n := count(t, e, e.ContactObject, e.Account.Schema.ContactExternalID, "shc-ada"); n != 1 {
		t.Errorf("records with external id shc-ada = %d, want 1", n)
	}
}

func testUpdateChangesFields(t *testing.T, e *Env) {
	res := upsert(t, e, "", contactInput(e, "shc-upd", adaAs("shc-upd")))
	mustOK(t, res)
	changed := adaAs("shc-upd")
	changed.Title = "Chief Analyst"
	changed.Email = "ada.l@example.com"
	res2 := upsert(t, e, "", contactInput(e, "shc-upd", changed))
	mustOK(t, res2)
	got := getContact(t, e, res[0].CRMID)
	if got.Fields["title"] != "Chief Analyst" || got.Fields["email"] != "ada.l@example.com" {
		t.Errorf("after update: title=%q email=%q, want Chief Analyst / ada.l@example.com", got.Fields["title"], got.Fields["email"])
	}
	if got.Fields["last_name"] != "Lovelace" {
		t.Errorf("after update: last_name=%q, want Lovelace kept", got.Fields["last_name"])
	}
}

func testOwnerOnCreateOnly(t *testing.T, e *Env) {
	users, err := e.Connector.Users(ctxT(t), e.Account)
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	if len(users) < 2 {
		t.Fatalf("Users returned %d users; the sandbox seeds at least 2 active", len(users))
	}
	owner, other := users[0].ID, users[1].ID
	res := upsert(t, e, owner, contactInput(e, "shc-owner", adaAs("shc-owner")))
	mustOK(t, res)
	if got := getContact(t, e, res[0].CRMID).OwnerID; got != owner {
		t.Fatalf("owner after create = %q, want %q", got, owner)
	}
	// An update with another owner chosen must leave the owner alone: the
	// client may have reassigned the record in the CRM.
	upd := adaAs("shc-owner")
	upd.Title = "Owner test"
	res2 := upsert(t, e, other, contactInput(e, "shc-owner", upd))
	mustOK(t, res2)
	if res2[0].Created {
		t.Fatalf("second upsert created a record")
	}
	if got := getContact(t, e, res[0].CRMID).OwnerID; got != owner {
		t.Errorf("owner after update = %q, want %q unchanged", got, owner)
	}
}

func activityInputs(contactCRMID string) []crm.ActivityInput {
	at := time.Date(2026, 7, 2, 15, 4, 5, 0, time.UTC)
	return []crm.ActivityInput{
		{ExternalID: "sha-email-1", ContactCRMID: contactCRMID, Kind: crmsync.ActivityEmail, Subject: "Intro", Body: "Hello Ada", Direction: crmsync.DirectionOutbound, OccurredAt: at},
		{ExternalID: "sha-call-1", ContactCRMID: contactCRMID, Kind: crmsync.ActivityCall, Subject: "Discovery call", Body: "Talked budgets", Direction: crmsync.DirectionOutbound, OccurredAt: at, Duration: 5 * time.Minute, Outcome: "connected"},
		{ExternalID: "sha-meeting-1", ContactCRMID: contactCRMID, Kind: crmsync.ActivityMeeting, Subject: "Demo", Body: "Product demo", OccurredAt: at, EndsAt: at.Add(30 * time.Minute), Attendees: []string{"ada@example.com"}},
	}
}

func testActivityAttached(t *testing.T, e *Env) {
	res := upsert(t, e, "", contactInput(e, "shc-act", adaAs("shc-act")))
	mustOK(t, res)
	ins := activityInputs(res[0].CRMID)
	out, err := e.Connector.LogActivities(ctxT(t), e.Account, ins, "")
	if err != nil {
		t.Fatalf("LogActivities: %v", err)
	}
	mustOK(t, out)
	for i, r := range out {
		got, err := e.GetActivity(ctxT(t), ins[i].Kind, r.CRMID)
		if err != nil {
			t.Fatalf("get %s %s: %v", ins[i].Kind, r.CRMID, err)
		}
		if got.ContactCRMID != res[0].CRMID {
			t.Errorf("%s attached to %q, want contact %q", ins[i].Kind, got.ContactCRMID, res[0].CRMID)
		}
	}
	// Re-push as the sync engine does after a crash: with the CRM ids the
	// ledger recorded. No second record may appear.
	for i := range ins {
		ins[i].CRMID = out[i].CRMID
		ins[i].Subject += " (updated)"
	}
	again, err := e.Connector.LogActivities(ctxT(t), e.Account, ins, "")
	if err != nil {
		t.Fatalf("LogActivities again: %v", err)
	}
	mustOK(t, again)
	for i, r := range again {
		if r.CRMID != out[i].CRMID || r.Created {
			t.Errorf("%s re-push: CRM id %q created=%v, want %q updated", ins[i].Kind, r.CRMID, r.Created, out[i].CRMID)
		}
		if e.Account.Schema.ActivityExternalID != "" {
			obj := e.ActivityObject(ins[i].Kind)
			if n := count(t, e, obj, e.Account.Schema.ActivityExternalID, ins[i].ExternalID); n != 1 {
				t.Errorf("%s records with external id %s = %d, want 1", obj, ins[i].ExternalID, n)
			}
		}
	}
}

func testUnicode(t *testing.T, e *Env) {
	c := crmsync.Contact{FirstName: "Zoë", LastName: "Ångström-Łukasiewicz 山田", Email: "zoe@example.com"}
	res := upsert(t, e, "", contactInput(e, "shc-unicode", c))
	mustOK(t, res)
	got := getContact(t, e, res[0].CRMID)
	if got.Fields["first_name"] != c.FirstName || got.Fields["last_name"] != c.LastName {
		t.Errorf("stored name %q %q, want %q %q", got.Fields["first_name"], got.Fields["last_name"], c.FirstName, c.LastName)
	}
	if got.Fields["title"] != "" {
		t.Errorf("empty optional title stored as %q", got.Fields["title"])
	}
}

func testBatchOneInvalid(t *testing.T, e *Env) {
	n := 5
	if bs := e.Connector.BatchSize(); bs < n {
		n = bs
	}
	ins := make([]crm.ContactInput, 0, 5)
	for i := range 5 {
		c := ada
		c.Email = fmt.Sprintf("batch%d@example.com", i)
		c.LastName = fmt.Sprintf("Batch %d", i)
		if i == 2 {
			// Refused by every CRM: no name (Salesforce, Zoho and Pipedrive
			// require one) and a malformed email (HubSpot checks it).
			c.FirstName, c.LastName, c.Email = "", "", "not-an-email"
		}
		ins = append(ins, contactInput(e, fmt.Sprintf("shc-batch-%d", i), c))
	}
	var res []crm.Result
	for start := 0; start < len(ins); start += n {
		res = append(res, upsert(t, e, "", ins[start:min(start+n, len(ins))]...)...)
	}
	for i, r := range res {
		if i == 2 {
			if r.Err == nil {
				t.Errorf("invalid record landed with CRM id %q", r.CRMID)
			} else if p := r.Err.Problem; p != crmsync.ProblemInvalidValue && p != crmsync.ProblemRequiredFieldMissing {
				t.Errorf("invalid record problem = %s, want invalid_value or required_field_missing", p)
			} else if r.Err.CRMMessage == "" {
				t.Errorf("invalid record has no CRM message")
			}
			continue
		}
		if r.Err != nil || r.CRMID == "" {
			t.Errorf("record %d did not land: %v", i, r.Err)
		}
	}
}

func testRevokedToken(t *testing.T, e *Env) {
	if err := e.Control.RevokeAllTokens(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	_, err := e.Connector.UpsertContacts(ctxT(t), e.Account, []crm.ContactInput{contactInput(e, "shc-revoked", adaAs("shc-revoked"))}, "")
	if p := crm.ProblemOf(err); p != crmsync.ProblemAuthRevoked {
		t.Fatalf("problem = %q (%v), want auth_revoked", p, err)
	}
}

func testThrottling(t *testing.T, e *Env) {
	ctx := ctxT(t)
	if err := e.Throttle(ctx); err != nil {
		t.Fatal(err)
	}
	// The connector's limiter does not know the tiny limit, so the CRM
	// throttles; the client must report rate_limited with a wait or wait
	// itself, and succeed once the window passes.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 12 && time.Now().Before(deadline); i++ {
		_, err := e.Connector.UpsertContacts(ctx, e.Account, []crm.ContactInput{contactInput(e, fmt.Sprintf("shc-throttle-%d", i), adaAs(fmt.Sprintf("shc-throttle-%d", i)))}, "")
		if err == nil {
			continue
		}
		ce := crm.AsError(err)
		if ce.Problem != crmsync.ProblemRateLimited {
			t.Fatalf("request %d: problem %s (%v), want rate_limited", i, ce.Problem, err)
		}
		if ce.RetryAfter <= 0 {
			t.Fatalf("rate_limited without a wait: %v", err)
		}
		time.Sleep(ce.RetryAfter)
	}
	if err := e.Unthrottle(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := e.Connector.UpsertContacts(ctx, e.Account, []crm.ContactInput{contactInput(e, "shc-after-throttle", adaAs("shc-after-throttle"))}, "")
	if err != nil {
		t.Fatalf("after throttling: %v", err)
	}
	mustOK(t, res)
	st, err := e.Control.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Throttled == 0 {
		t.Errorf("the sandbox never throttled; Throttle did not take effect, so nothing was tested")
	}
}

func testDroppedAfterCommit(t *testing.T, e *Env) {
	ctx := ctxT(t)
	if err := e.Control.SetFaults(ctx, Faults{DropAfterCommitRate: 1, Remaining: 1, WritesOnly: true}); err != nil {
		t.Fatal(err)
	}
	in := contactInput(e, "shc-dropped", adaAs("shc-dropped"))
	res0, err := e.Connector.UpsertContacts(ctx, e.Account, []crm.ContactInput{in}, "")
	if p := droppedProblem(res0, err); p != crmsync.ProblemCRMUnavailable {
		t.Errorf("dropped response: problem %q (%v), want crm_unavailable for the call or the record", p, err)
	}
	// The sync engine retries without knowing the CRM id.
	res := upsert(t, e, "", in)
	mustOK(t, res)
	if n := count(t, e, e.ContactObject, e.Account.Schema.ContactExternalID, "shc-dropped"); n != 1 {
		t.Errorf("records after retry = %d, want 1", n)
	}
	// The same for activities, whose retry carries no CRM id either.
	acts := activityInputs(res[0].CRMID)[:1]
	if err := e.Control.SetFaults(ctx, Faults{DropAfterCommitRate: 1, Remaining: 1, WritesOnly: true}); err != nil {
		t.Fatal(err)
	}
	if p := droppedProblem(e.Connector.LogActivities(ctx, e.Account, acts, "")); p != crmsync.ProblemCRMUnavailable {
		t.Fatalf("activity push with dropped response: problem %q, want crm_unavailable", p)
	}
	out, err := e.Connector.LogActivities(ctx, e.Account, acts, "")
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, out)
	if f := e.Account.Schema.ActivityExternalID; f != "" {
		obj := e.ActivityObject(acts[0].Kind)
		if n := count(t, e, obj, f, acts[0].ExternalID); n != 1 {
			t.Errorf("%s records after retry = %d, want 1", obj, n)
		}
	}
}

func testExpiredMidBatch(t *testing.T, e *Env) {
	ctx := ctxT(t)
	mustOK(t, upsert(t, e, "", contactInput(e, "shc-exp-1", adaAs("shc-exp-1"))))
	before, err := refreshes(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Control.ExpireAllTokens(ctx); err != nil {
		t.Fatal(err)
	}
	mustOK(t, upsert(t, e, "", contactInput(e, "shc-exp-2", adaAs("shc-exp-2"))))
	mustOK(t, upsert(t, e, "", contactInput(e, "shc-exp-3", adaAs("shc-exp-3"))))
	after, err := refreshes(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 1 {
		t.Errorf("token refreshes = %d, want exactly 1", after-before)
	}
}

func testConcurrentRefresh(t *testing.T, e *Env) {
	ctx := ctxT(t)
	mustOK(t, upsert(t, e, "", contactInput(e, "shc-conc-0", adaAs("shc-conc-0"))))
	before, err := refreshes(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Control.ExpireAllTokens(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.Connector.UpsertContacts(ctx, e.Account, []crm.ContactInput{contactInput(e, fmt.Sprintf("shc-conc-%d", i+1), adaAs(fmt.Sprintf("shc-conc-%d", i+1)))}, "")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	after, err := refreshes(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 1 {
		t.Errorf("token refreshes = %d, want exactly 1", after-before)
	}
}

func testCancellation(t *testing.T, e *Env) {
	if err := e.Control.SetFaults(ctxT(t), Faults{LatencyMS: 10000}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Control.ClearFaults(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Connector.UpsertContacts(ctx, e.Account, []crm.ContactInput{contactInput(e, "shc-cancel", adaAs("shc-cancel"))}, "")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("cancelled upsert took %v, want prompt return", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func testSchemaIdempotent(t *testing.T, e *Env) {
	s1, err := e.Connector.EnsureSchema(ctxT(t), e.Account)
	if err != nil {
		t.Fatalf("EnsureSchema again: %v", err)
	}
	if s1.ContactExternalID == "" || s1.ContactExternalID != e.Account.Schema.ContactExternalID {
		t.Errorf("EnsureSchema again = %+v, want the same contact field %q", s1, e.Account.Schema.ContactExternalID)
	}
}

func testFieldsAndUsers(t *testing.T, e *Env) {
	fields, err := e.Connector.ContactFields(ctxT(t), e.Account)
	if err != nil {
		t.Fatalf("ContactFields: %v", err)
	}
	names := map[string]bool{}
	for _, f := range fields {
		names[f.Name] = true
	}
	for _, m := range e.Connector.DefaultMappings() {
		if !names[m.CRMField] {
			t.Errorf("default mapping target %q is not among the CRM's contact fields", m.CRMField)
		}
	}
	if !names[e.Account.Schema.ContactExternalID] {
		t.Errorf("external id field %q is not listed", e.Account.Schema.ContactExternalID)
	}
	id, err := e.Connector.Identity(ctxT(t), e.Account)
	if err != nil || id.Label == "" {
		t.Errorf("Identity = %+v, %v; want a label", id, err)
	}
}

func refreshes(ctx context.Context, e *Env) (int64, error) {
	st, err := e.Control.Stats(ctx)
	return st.TokenRefreshes, err
}

// droppedProblem is the problem a push reported when the CRM committed but
// its answer was lost: a per-record CRM reports it on the record, a batch
// CRM for the whole call. Either way the sync retries it.
func droppedProblem(res []crm.Result, err error) crmsync.Problem {
	if err != nil {
		return crm.ProblemOf(err)
	}
	if len(res) == 1 && res[0].Err != nil {
		return res[0].Err.Problem
	}
	return ""
}
