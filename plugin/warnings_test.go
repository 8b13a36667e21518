package plugin

import (
	"path/filepath"
	"strings"
	"testing"
)

// failClosedWarning is the warning of the snapshot below: its cluster
// policy has a peer of a newer field, so the Accept rule fails closed.
const failClosedWarning = "Warning: ClusterNetworkPolicy/team-a-reads-db: spec.ingress[0].from[0] sets no field this tool knows (a newer CRD?): ignored (an Accept rule fails closed by matching nothing there)\n"

// TestEveryCommandPrintsTheSnapshotWarningsOnce pins that a warning about
// no pod in particular (a cluster policy that fails closed) reaches the
// user, exactly once, whatever the command: every answer depends on it.
func TestEveryCommandPrintsTheSnapshotWarningsOnce(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"app.yaml": clientAndDB,
		"cnp.yaml": strings.Replace(acceptFrom, "%s", "{serviceAccounts: {name: reader}}", 1),
		// Not a manifest: -f skips expectation files.
		"expectations.yaml": `- {from: dev/client, to: prod/db:5432, expect: deny}
- {from: prod/db, to: dev/client:80, expect: allow}
`,
	})
	expectations := filepath.Join(dir, "expectations.yaml")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"can prints it with its answer", []string{"can", "dev/client", "prod/db:5432"}},
		{"explain of a workload prints it", []string{"explain", "prod/db"}},
		{"explain -n of the namespace the policy selects prints it", []string{"explain", "-n", "prod"}},
		{"explain -n of another namespace prints it too: it depends on no pod", []string{"explain", "-n", "dev"}},
		{"map prints it", []string{"map", "-A"}},
		{"diff prints it once though base and what-if both hold it", []string{"diff", "--without", "networkpolicy/prod/db"}},
		{"test prints it once though every expectation carries it", []string{"test", expectations}},
		{"audit prints it", []string{"audit", "-A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append(tc.args, "-f", dir)...)
			if r.code == ExitError {
				t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
			}
			if n := strings.Count(r.stderr, failClosedWarning); n != 1 {
				t.Errorf("the fail-closed warning is printed %d times, want 1:\n%s", n, r.stderr)
			}
		})
	}
}

// TestAWarningBothEndpointsCarryIsPrintedOnce pins that a note about how
// an endpoint was understood, asked on both sides, is read once.
func TestAWarningBothEndpointsCarryIsPrintedOnce(t *testing.T) {
	dir := writeManifests(t, map[string]string{"pods.yaml": `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: prod}
spec: {containers: [{name: c, image: c}]}
status: {podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: prod}
spec: {containers: [{name: c, image: c}]}
status: {podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}]}
`})
	r := run(t, "", "can", "10.0.0.5", "10.0.0.5:80", "-f", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	const note = "Warning: 10.0.0.5 is held by 2 pods (prod/a, prod/b): each is judged\n"
	if n := strings.Count(r.stderr, note); n != 1 {
		t.Errorf("the note is printed %d times, want 1:\n%s", n, r.stderr)
	}
}

// TestQuietPrintsNoWarnings: with -q every command prints nothing but an
// error, as the README says: no snapshot warning, no answer warning. (The
// loader's warnings about skipped input stay: TestUnknownKindsAreSkippedWithAWarning.)
func TestQuietPrintsNoWarnings(t *testing.T) {
	dir := writeManifests(t, map[string]string{
		"app.yaml": clientAndDB,
		// A host-network pod: a snapshot warning every command prints
		// without -q.
		"agent.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: prod}\nspec: {hostNetwork: true, containers: [{name: c, image: busybox}]}\n",
		"expectations.yaml": `- {from: dev/client, to: prod/db:5432, expect: deny}
`,
	})
	for _, args := range [][]string{
		{"can", "dev/client", "prod/db:5432"},
		{"explain", "prod/db"},
		{"map", "-A"},
		{"diff", "--without", "networkpolicy/prod/db"},
		{"test", filepath.Join(dir, "expectations.yaml")},
		{"audit", "-A"},
	} {
		r := run(t, "", append(args, "-q", "-f", dir)...)
		if r.code == ExitError || r.stderr != "" || r.stdout != "" {
			t.Errorf("%s -q: exit %d, stdout %q, stderr %q; want nothing printed", args[0], r.code, r.stdout, r.stderr)
		}
	}
}
