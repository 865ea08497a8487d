package crmtest

import (
	"context"

	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
)

// SandboxControl is the Control of one CRM of a running sandbox.
type SandboxControl struct {
	Client *sandbox.Client
	CRM    string // "hubspot", "salesforce", "pipedrive" or "zoho"
}

var _ Control = SandboxControl{}

// Count implements Control.
func (s SandboxControl) Count(ctx context.Context, object, field, value string) (int, error) {
	return s.Client.Count(ctx, s.CRM, object, field, value)
}

// RevokeAllTokens implements Control.
func (s SandboxControl) RevokeAllTokens(ctx context.Context) error {
	return s.Client.RevokeAllTokens(ctx, s.CRM)
}

// ExpireAllTokens implements Control.
func (s SandboxControl) ExpireAllTokens(ctx context.Context) error {
	return s.Client.ExpireAllTokens(ctx, s.CRM)
}

// SetFaults implements Control.
func (s SandboxControl) SetFaults(ctx context.Context, f Faults) error {
	return s.Client.SetFaults(ctx, s.CRM, f)
}

// ClearFaults implements Control.
func (s SandboxControl) ClearFaults(ctx context.Context) error {
	return s.Client.ClearFaults(ctx, s.CRM)
}

// Stats implements Control.
func (s SandboxControl) Stats(ctx context.Context) (emu.StatsSnapshot, error) {
	return s.Client.Stats(ctx, s.CRM)
}

// SandboxThrottle returns Env.Throttle and Env.Unthrottle for crmName of
// the sandbox c controls: Throttle saves the CRM's rate limits and sets
// window to 2 requests per rolling second; Unthrottle restores the saved.
func SandboxThrottle(c *sandbox.Client, crmName, window string) (throttle, unthrottle func(context.Context) error) {
	var saved sandbox.RateLimits
	throttle = func(ctx context.Context) error {
		var err error
		if saved, err = c.RateLimits(ctx, crmName); err != nil {
			return err
		}
		_, err = c.SetRateLimits(ctx, crmName, sandbox.RateLimits{Windows: map[string]emu.Window{
			window: {Max: 2, PeriodMS: 1000, Rolling: true},
		}})
		return err
	}
	unthrottle = func(ctx context.Context) error {
		_, err := c.SetRateLimits(ctx, crmName, saved)
		return err
	}
	return throttle, unthrottle
}

// Canonical maps a stored contact's CRM fields back to SalesHive field
// names through conn's default mappings, leaving out empty values.
func Canonical(conn crm.Connector, rec emu.Record) map[string]string {
	out := map[string]string{}
	for _, m := range conn.DefaultMappings() {
		if v := rec.String(m.CRMField); v != "" {
			out[m.SourceField] = v
		}
	}
	return out
}
