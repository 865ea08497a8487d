package crmtest

import (
	"context"

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
