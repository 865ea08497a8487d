package salesforce

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// TestJSForce drives the sandbox with jsforce, an unmodified Salesforce client library
// (OAuth web-server flow, identity, SOQL, limits, Tooling create, single and collection
// upsert, retrieve, create, describe, error mapping, refresh). It runs when JSFORCE_DIR
// names a folder where `npm install jsforce@3` was run and node is on PATH; CI skips it.
func TestJSForce(t *testing.T) {
	dir := os.Getenv("JSFORCE_DIR")
	if dir == "" {
		t.Skip("JSFORCE_DIR not set")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	s := mustStart(t, emu.Config{})
	script, _ := filepath.Abs(filepath.Join("testdata", "jsforce", "check.js"))
	cmd := exec.Command(node, script, s.base, "crmsync-salesforce", "crmsync-salesforce-secret")
	cmd.Env = append(os.Environ(), "JSFORCE_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jsforce: %v\n%s", err, out)
	}
	var got struct {
		OrgID, UserID, InstanceURL, IdentityUser string
		Users, DailyMax                          int
		FieldCreated, Single, Task               bool
		Many                                     [][2]bool
		GotTitle                                 string
		DescribeHasField                         bool
		Found                                    int
		BadError                                 string
		Refreshed                                bool
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("jsforce output %s: %v", out, err)
	}
	t.Logf("jsforce: %s", out)
	want := [][2]bool{{true, false}, {true, true}, {false, false}}
	if got.OrgID != s.crm.OrgID() || got.UserID != s.admin || got.InstanceURL != s.base || got.IdentityUser != "grace.hopper@acme.example" ||
		got.Users != 3 || got.DailyMax != DefaultDailyAPIRequests || !got.FieldCreated || !got.Single || !got.Task ||
		len(got.Many) != 3 || got.Many[0] != want[0] || got.Many[1] != want[1] || got.Many[2][0] ||
		got.GotTitle != "Countess" || !got.DescribeHasField || got.Found != 2 || got.BadError != CodeInvalidEmailAddress || !got.Refreshed {
		t.Errorf("jsforce results %+v", got)
	}
}
