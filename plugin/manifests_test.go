package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clientAndDB is dev/client and prod/db (port 5432), the two ends of the
// reproducers below; their namespaces carry team labels.
const clientAndDB = `apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {team: b}}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: dev, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: db, image: db, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {}}]}]}
`

// acceptFrom is an Admin-tier ClusterNetworkPolicy accepting traffic to
// prod/db on 5432 from the peer %s: what it accepts is decided there, over
// prod's NetworkPolicy, which lets in prod's pods only.
const acceptFrom = `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: team-a-reads-db}
spec:
  tier: Admin
  priority: 10
  subject: {pods: {namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - action: Accept
    from: [%s]
    protocols: [{tcp: {destinationPort: {number: 5432}}}]
`

// writeManifests writes files (name -> content) into a new directory.
func writeManifests(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestManifestErrorsOfCan runs "can dev/client prod/db:5432" on manifests
// the loader must refuse (exit 2, the file and object named) or read.
func TestManifestErrorsOfCan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		wantCode int
		want     []string // in stderr
	}{
		{
			name:     "the peer selector as written lets dev in, through the Admin tier",
			files:    map[string]string{"app.yaml": clientAndDB, "cnp.yaml": strings.Replace(acceptFrom, "%s", "{namespaces: {matchLabels: {team: b}}}", 1)},
			wantCode: 0,
		},
		{
			name:     "a misspelt matchLabels in an Accept peer is an error, not every namespace",
			files:    map[string]string{"app.yaml": clientAndDB, "cnp.yaml": strings.Replace(acceptFrom, "%s", "{namespaces: {matchLabel: {team: a}}}", 1)},
			wantCode: 2,
			want:     []string{"cnp.yaml: clusternetworkpolicy team-a-reads-db: spec.ingress[0].from[0].namespaces: unknown field \"matchLabel\" in a label selector"},
		},
		{
			name:     "sameLabels (removed in v0.1.2) is an error, not every namespace",
			files:    map[string]string{"app.yaml": clientAndDB, "cnp.yaml": strings.Replace(acceptFrom, "%s", "{namespaces: {sameLabels: [team]}}", 1)},
			wantCode: 2,
			want:     []string{"cnp.yaml: clusternetworkpolicy team-a-reads-db: spec.ingress[0].from[0].namespaces: unknown field \"sameLabels\""},
		},
		{
			name:     "a peer with a newer field beside namespaces is an error",
			files:    map[string]string{"app.yaml": clientAndDB, "cnp.yaml": strings.Replace(acceptFrom, "%s", "{namespaces: {}, serviceAccounts: {name: reader}}", 1)},
			wantCode: 2,
			want:     []string{`spec.ingress[0].from[0]: has a field this tool does not know ("serviceAccounts") beside namespaces`},
		},
		{
			name:     "a peer of a newer field only fails closed: the Accept matches nothing",
			files:    map[string]string{"app.yaml": clientAndDB, "cnp.yaml": strings.Replace(acceptFrom, "%s", "{serviceAccounts: {name: reader}}", 1)},
			wantCode: 1,
			want:     []string{`Warning: `, `spec.ingress[0].from[0]: unknown field "serviceAccounts"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeManifests(t, tc.files)
			r := run(t, "", "can", "-f", dir, "-q", "dev/client", "prod/db:5432")
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not hold %q:\n%s", w, r.stderr)
				}
			}
			if tc.wantCode == 2 && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want a one-line error, got:\n%s", r.stderr)
			}
		})
	}
}

// TestManifestInputErrors pins how the command reports input it cannot
// read: exit 2 and one line naming the file and the object.
func TestManifestInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		args  func(dir string) []string
		stdin string
		want  []string
	}{
		{
			name:  "a batch/v1beta1 CronJob is an error naming file and object that says batch/v1",
			files: map[string]string{"app.yaml": clientAndDB, "cron.yaml": "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: backup, namespace: prod}\nspec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: {containers: [{name: b, image: b}]}}}}}\n"},
			want:  []string{"cron.yaml: cronjob prod/backup: batch/v1beta1 CronJob is no longer served (since Kubernetes 1.25): use apiVersion batch/v1"},
		},
		{
			name:  "an apps/v1beta2 Deployment is an error naming file and object that says apps/v1",
			files: map[string]string{"app.yaml": clientAndDB, "deploy.yaml": "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: w, image: w}]}}}\n"},
			want:  []string{"deploy.yaml: deployment prod/web: apps/v1beta2 Deployment is no longer served (since Kubernetes 1.16): use apiVersion apps/v1"},
		},
		{
			name:  "a key given twice in YAML is an error naming the file and the line",
			files: map[string]string{"app.yaml": clientAndDB, "allow.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow, namespace: prod}\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n  podSelector: {matchLabels: {app: none}}\n"},
			want:  []string{`allow.yaml: line 8: duplicate key "podSelector"`},
		},
		{
			name:  "an empty directory is an error and not a cluster without the namespace",
			files: map[string]string{"app.yaml": clientAndDB},
			args: func(dir string) []string {
				if err := os.Mkdir(filepath.Join(dir, "policies"), 0o755); err != nil {
					t.Fatal(err)
				}
				return []string{"-f", filepath.Join(dir, "app.yaml"), "-f", filepath.Join(dir, "policies") + "/"}
			},
			want: []string{`policies/": the directory holds no .yaml, .yml or .json files`},
		},
		{
			name:  "a document that is a string says what is expected",
			files: map[string]string{"app.yaml": clientAndDB, "notes.yaml": "remember to add the policy\n"},
			want:  []string{"notes.yaml: not a Kubernetes object: expected a mapping, not a string"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeManifests(t, tc.files)
			args := []string{"-f", dir}
			if tc.args != nil {
				args = tc.args(dir)
			}
			r := run(t, tc.stdin, append([]string{"can", "-q"}, append(args, "dev/client", "prod/db:5432")...)...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not hold %q:\n%s", w, r.stderr)
				}
			}
			if strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want a one-line error, got:\n%s", r.stderr)
			}
		})
	}
}

// TestAFileNamedTwiceIsReadOnce gives the same file twice, and a
// directory with a file in it: no object is "also defined" in itself.
func TestAFileNamedTwiceIsReadOnce(t *testing.T) {
	dir := writeManifests(t, map[string]string{"app.yaml": clientAndDB})
	app := filepath.Join(dir, "app.yaml")
	for _, args := range [][]string{{"-f", app, "-f", app}, {"-f", dir, "-f", app}} {
		r := run(t, "", append([]string{"can", "-q"}, append(args, "dev/client", "prod/db:5432")...)...)
		if r.code != 1 {
			t.Errorf("%q: exit %d, want 1 (denied)\n%s", args, r.code, r.stderr)
		}
	}
}

// TestEmptyPathsAreErrors pins that an empty -f or --with (an unset
// variable) is an error, not a switch to the live cluster or no change.
func TestEmptyPathsAreErrors(t *testing.T) {
	dir := writeManifests(t, map[string]string{"app.yaml": clientAndDB})
	app := filepath.Join(dir, "app.yaml")
	for _, args := range [][]string{
		{"-f", ""},
		{"-f", app, "-f", ""},
		{"-f", app + ","},
		{"--filename=", "-f", app},
		{"-f", app, "--with", ""},
		{"-f", app, "--with", ","},
	} {
		r := run(t, "", append([]string{"can", "-q"}, append(args, "dev/client", "prod/db:5432")...)...)
		if r.code != 2 || !strings.Contains(r.stderr, `an empty path: give a file, a directory or "-" (is a variable unset?)`) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit 2 and an empty path error", args, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "kubeconfig") || strings.Contains(r.stderr, "cluster") {
			t.Errorf("%q: stderr speaks of the cluster:\n%s", args, r.stderr)
		}
	}
}

// TestALinkToADirectoryIsFollowed pins that -f LINK (no trailing slash)
// reads the directory it links to.
func TestALinkToADirectoryIsFollowed(t *testing.T) {
	dir := writeManifests(t, map[string]string{"app.yaml": clientAndDB})
	link := filepath.Join(t.TempDir(), "manifests")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatalf("cannot make a symbolic link: %v", err)
	}
	r := run(t, "", "can", "-q", "-f", link, "dev/client", "prod/db:5432")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (denied)\n%s", r.code, r.stderr)
	}
}
