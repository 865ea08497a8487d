package hubspot_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOfficialNodeSDK runs HubSpot's own Node client, unmodified, against
// the sandbox (testdata/sdk/run.js). It needs node and npm, installs the
// pinned client once into testdata/sdk/node_modules, and runs only when
// CRMSYNC_SDK_TESTS=1, since it reaches the npm registry.
func TestOfficialNodeSDK(t *testing.T) {
	if os.Getenv("CRMSYNC_SDK_TESTS") != "1" {
		t.Skip("set CRMSYNC_SDK_TESTS=1 to run HubSpot's Node client against the sandbox")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("CRMSYNC_SDK_TESTS=1 needs %s: %v", tool, err)
		}
	}
	dir := filepath.Join("testdata", "sdk")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@hubspot", "api-client")); err != nil {
		install := exec.Command("npm", "install", "--no-audit", "--no-fund")
		install.Dir = dir
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("npm install: %v\n%s", err, out)
		}
	}
	f := newFixture(t)
	run := exec.Command("node", "run.js", f.base)
	run.Dir = dir
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("official HubSpot client against the sandbox: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
