package ops_test

import (
	"testing"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/ops"
)

func TestConnectors(t *testing.T) {
	t.Run("Sandbox", func(t *testing.T) {
		cs := ops.Connectors(ops.SandboxConnectors("http://127.0.0.1:8081/", "http://127.0.0.1:8080"))
		if len(cs) != len(crmsync.Providers) {
			t.Fatalf("%d connectors, want %d", len(cs), len(crmsync.Providers))
		}
		for i, c := range cs {
			if c.Provider() != crmsync.Providers[i] {
				t.Errorf("connector %d is %s, want %s", i, c.Provider(), crmsync.Providers[i])
			}
		}
	})
	t.Run("NoClientIDNotOffered", func(t *testing.T) {
		cs := ops.Connectors(ops.ConnectorConfig{PublicURL: "https://crmsync.example", Clients: map[crmsync.Provider]ops.OAuthClient{
			crmsync.ProviderZoho:      {ClientID: "z", ClientSecret: "s"},
			crmsync.ProviderPipedrive: {ClientSecret: "no id"},
		}})
		if len(cs) != 1 || cs[0].Provider() != crmsync.ProviderZoho {
			t.Errorf("connectors %v, want only Zoho", cs)
		}
	})
}
