package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
)

// api calls a CRM endpoint with a bearer token and returns status and body.
func api(t *testing.T, method, url, token string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSandbox_OAuthWithX_OAuth2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sb := sandbox.MustStart(t, sandbox.Config{})
	info, err := sb.CRMInfo(ctx, "hubspot")
	if err != nil || info.BaseURL != sb.URL("hubspot") || info.ClientID != "crmsync-hubspot" {
		t.Fatalf("info = %+v, %v", info, err)
	}
	// An unmodified OAuth client library, pointed at the sandbox.
	conf := &oauth2.Config{
		ClientID: info.ClientID, ClientSecret: info.ClientSecret, RedirectURL: "https://app.example/cb",
		Scopes:   []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"},
		Endpoint: oauth2.Endpoint{AuthURL: info.BaseURL + "/oauth/authorize", TokenURL: info.BaseURL + "/oauth/v1/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	back, err := sb.Authorize(ctx, conf.AuthCodeURL("xyz"), true)
	if err != nil || back.Query().Get("state") != "xyz" {
		t.Fatalf("authorize = %v, %v", back, err)
	}
	tok, err := conf.Exchange(ctx, back.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if hub, _ := tok.Extra("hub_id").(float64); hub != 62515 || tok.Expiry.IsZero() {
		t.Fatalf("token = %+v hub_id %v", tok, tok.Extra("hub_id"))
	}
	client := conf.Client(ctx, tok)
	resp, err := client.Get(info.BaseURL + "/crm/v3/objects/contacts")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("API through oauth2 client = %v %v", resp, err)
	}
	resp.Body.Close()

	// Expire every token; the library refreshes when it sees its token as expired.
	if err := sb.ExpireAllTokens(ctx, "hubspot"); err != nil {
		t.Fatal(err)
	}
	if code, body := api(t, http.MethodGet, info.BaseURL+"/crm/v3/objects/contacts", tok.AccessToken, nil); code != http.StatusUnauthorized || !strings.Contains(body, "EXPIRED_AUTHENTICATION") {
		t.Fatalf("expired = %d %s", code, body)
	}
	tok.Expiry = time.Now().Add(-time.Minute)
	resp, err = conf.Client(ctx, tok).Get(info.BaseURL + "/crm/v3/objects/contacts")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after refresh = %v %v", resp, err)
	}
	resp.Body.Close()
	if st, _ := sb.Stats(ctx, "hubspot"); st.TokenRefreshes != 1 || st.TokensIssued != 2 {
		t.Fatalf("stats = %+v", st)
	}

	// Revoke everything: API and refresh both fail.
	if err := sb.RevokeAllTokens(ctx, "hubspot"); err != nil {
		t.Fatal(err)
	}
	tok.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.Client(ctx, tok).Get(info.BaseURL + "/crm/v3/objects/contacts"); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("refresh after revoke-all = %v", err)
	}
}

func TestSandbox_ControlAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sb := sandbox.MustStart(t, sandbox.Config{})
	base := sb.URL("hubspot")
	tok, err := sb.MintToken(ctx, "hubspot", sandbox.MintRequest{})
	if err != nil {
		t.Fatal(err)
	}
	prop := map[string]any{"name": "saleshive_external_id", "label": "SalesHive External ID", "type": "string", "fieldType": "text", "groupName": "contactinformation", "hasUniqueValue": true}
	if code, body := api(t, http.MethodPost, base+"/crm/v3/properties/contacts", tok.AccessToken, prop); code != http.StatusCreated {
		t.Fatalf("property = %d %s", code, body)
	}
	upsert := map[string]any{"inputs": []any{map[string]any{"idProperty": "saleshive_external_id", "id": "SH-1", "properties": map[string]any{"email": "a@example.com"}}}}

	t.Run("DropAfterCommitThenRetryMakesNoDuplicate", func(t *testing.T) {
		if err := sb.SetFaults(ctx, "hubspot", emu.FaultConfig{DropAfterCommitRate: 1, PathContains: "batch/upsert", Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		if code, _ := api(t, http.MethodPost, base+"/crm/v3/objects/contacts/batch/upsert", tok.AccessToken, upsert); code != 0 {
			t.Fatalf("dropped call answered %d", code)
		}
		if code, body := api(t, http.MethodPost, base+"/crm/v3/objects/contacts/batch/upsert", tok.AccessToken, upsert); code != http.StatusOK || !strings.Contains(body, `"new":false`) {
			t.Fatalf("retry = %d %s", code, body)
		}
		if n, err := sb.Count(ctx, "hubspot", "contacts", "saleshive_external_id", "SH-1"); err != nil || n != 1 {
			t.Fatalf("count = %d, %v", n, err)
		}
	})
	t.Run("ErrorFaultUsesHubSpotBody", func(t *testing.T) {
		_ = sb.SetFaults(ctx, "hubspot", emu.FaultConfig{ErrorRate: 1, ErrorStatus: 503, Remaining: 1})
		code, body := api(t, http.MethodGet, base+"/crm/v3/objects/contacts", tok.AccessToken, nil)
		if code != 503 || !strings.Contains(body, `"status":"error"`) || !strings.Contains(body, "correlationId") {
			t.Fatalf("503 = %d %s", code, body)
		}
		if err := sb.SetFaults(ctx, "hubspot", emu.FaultConfig{ErrorRate: 3}); err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("bad fault config = %v", err)
		}
		if err := sb.ClearFaults(ctx, "hubspot"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Records", func(t *testing.T) {
		list, err := sb.Records(ctx, "hubspot", "contacts", 0, 10)
		if err != nil || list.Total != 1 || list.Records[0].Fields["email"] != "a@example.com" {
			t.Fatalf("records = %+v, %v", list, err)
		}
		rec, err := sb.Record(ctx, "hubspot", "contacts", list.Records[0].ID)
		if err != nil || rec.ID != list.Records[0].ID || rec.LinkedFrom == nil {
			t.Fatalf("record = %+v, %v", rec, err)
		}
		if _, err := sb.Record(ctx, "hubspot", "contacts", "nope"); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("missing record = %v", err)
		}
		fields, err := sb.Fields(ctx, "hubspot", "contacts")
		if err != nil || len(fields) < 10 {
			t.Fatalf("fields = %d, %v", len(fields), err)
		}
	})
	t.Run("RequiredField", func(t *testing.T) {
		if err := sb.SetRequiredField(ctx, "hubspot", "contacts", "jobtitle"); err != nil {
			t.Fatal(err)
		}
		code, body := api(t, http.MethodPost, base+"/crm/v3/objects/contacts", tok.AccessToken, map[string]any{"properties": map[string]any{"email": "b@example.com"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "jobtitle") {
			t.Fatalf("required = %d %s", code, body)
		}
		_ = sb.ClearRequiredField(ctx, "hubspot", "contacts", "jobtitle")
		if code, _ := api(t, http.MethodPost, base+"/crm/v3/objects/contacts", tok.AccessToken, map[string]any{"properties": map[string]any{"email": "b@example.com"}}); code != http.StatusCreated {
			t.Fatalf("after clear = %d", code)
		}
	})
	t.Run("RateLimits", func(t *testing.T) {
		rl, err := sb.SetRateLimits(ctx, "hubspot", sandbox.RateLimits{Windows: map[string]emu.Window{"ten_secondly_rolling": {Max: 1, PeriodMS: 10_000, Rolling: true}}})
		if err != nil || rl.Windows["ten_secondly_rolling"].Max != 1 {
			t.Fatalf("set = %+v, %v", rl, err)
		}
		api(t, http.MethodGet, base+"/crm/v3/objects/contacts", tok.AccessToken, nil)
		if code, body := api(t, http.MethodGet, base+"/crm/v3/objects/contacts", tok.AccessToken, nil); code != http.StatusTooManyRequests || !strings.Contains(body, "TEN_SECONDLY_ROLLING") {
			t.Fatalf("limited = %d %s", code, body)
		}
		if err := sb.AdvanceClock(ctx, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if code, _ := api(t, http.MethodGet, base+"/crm/v3/objects/contacts", tok.AccessToken, nil); code != http.StatusOK {
			t.Fatalf("after advancing the clock = %d", code)
		}
		if _, err := sb.SetRateLimits(ctx, "hubspot", sandbox.RateLimits{Disabled: true}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if code, _ := api(t, http.MethodGet, base+"/crm/v3/objects/contacts", tok.AccessToken, nil); code != http.StatusOK {
				t.Fatalf("disabled limits still throttle: %d", code)
			}
		}
		if _, err := sb.SetRateLimits(ctx, "hubspot", sandbox.RateLimits{Windows: map[string]emu.Window{"nope": {Max: 1, PeriodMS: 1}}}); err == nil {
			t.Fatal("unknown window accepted")
		}
		if st, _ := sb.Stats(ctx, "hubspot"); st.Throttled != 1 {
			t.Fatalf("throttled = %d", st.Throttled)
		}
	})
	t.Run("RequestLog", func(t *testing.T) {
		reqs, err := sb.Requests(ctx, "hubspot", 2)
		if err != nil || len(reqs) != 2 || reqs[1].Path != "/crm/v3/objects/contacts" || reqs[1].Status != http.StatusOK {
			t.Fatalf("requests = %+v, %v", reqs, err)
		}
		for _, r := range reqs {
			if strings.Contains(r.RequestBody, tok.AccessToken) {
				t.Fatal("token in request log")
			}
		}
		_ = sb.ClearRequests(ctx, "hubspot")
		if reqs, _ := sb.Requests(ctx, "hubspot", 0); len(reqs) != 0 {
			t.Fatalf("after clear = %d entries", len(reqs))
		}
	})
	t.Run("Reset", func(t *testing.T) {
		if err := sb.Reset(ctx, "hubspot"); err != nil {
			t.Fatal(err)
		}
		if list, _ := sb.Records(ctx, "hubspot", "contacts", 0, 0); list.Total != 0 {
			t.Fatalf("contacts after reset = %d", list.Total)
		}
		if list, _ := sb.Records(ctx, "hubspot", "owners", 0, 0); list.Total != 4 {
			t.Fatalf("owners after reset = %d (seed must run again)", list.Total)
		}
		if code, _ := api(t, http.MethodGet, base+"/crm/v3/objects/contacts", tok.AccessToken, nil); code != http.StatusUnauthorized {
			t.Fatalf("token after reset = %d", code)
		}
		if err := sb.ResetAll(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UnknownCRM", func(t *testing.T) {
		if err := sb.Reset(ctx, "dynamics"); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("unknown crm = %v", err)
		}
	})
}

func TestSandbox_IndexAndOnly(t *testing.T) {
	t.Parallel()
	srv, sb := sandbox.MustStart(t, sandbox.Config{Only: []string{"hubspot"}, Configure: func(name string, c *emu.Config) { c.AccountName = "Test Portal" }})
	crms, err := sb.Info(context.Background())
	if err != nil || len(crms) != 1 || crms[0].AccountName != "Test Portal" {
		t.Fatalf("info = %+v, %v", crms, err)
	}
	if infos := sandbox.New(sandbox.Config{}).Infos("http://sandbox.example/"); len(infos) != 4 || infos[1].BaseURL != "http://sandbox.example/hubspot" {
		t.Fatalf("Infos = %+v", infos)
	}
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), srv.URL+"/hubspot") {
		t.Fatalf("index page lacks the base URL:\n%s", page)
	}
}

func TestSandbox_EveryCRMMountedAndControlled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sb := sandbox.MustStart(t, sandbox.Config{})
	crms, err := sb.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range crms {
		names = append(names, c.Name)
		if c.BaseURL != sb.URL(c.Name) || c.ClientID != "crmsync-"+c.Name || c.ClientSecret != "crmsync-"+c.Name+"-secret" {
			t.Errorf("%s info = %+v", c.Name, c)
		}
	}
	if strings.Join(names, ",") != "salesforce,hubspot,pipedrive,zoho" {
		t.Fatalf("served CRMs = %v", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if _, err := sb.MintToken(ctx, name, sandbox.MintRequest{}); err != nil {
				t.Fatal(err)
			}
			if st, err := sb.Stats(ctx, name); err != nil || st.TokensIssued != 1 {
				t.Fatalf("stats = %+v, %v", st, err)
			}
			if rl, err := sb.RateLimits(ctx, name); err != nil || len(rl.Windows) == 0 {
				t.Fatalf("rate limits = %+v, %v (every CRM defines its windows)", rl, err)
			}
			if err := sb.Reset(ctx, name); err != nil {
				t.Fatal(err)
			}
			if st, _ := sb.Stats(ctx, name); st.TokensIssued != 0 {
				t.Fatalf("stats after reset = %+v", st)
			}
		})
	}
}
