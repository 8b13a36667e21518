package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNamePrintsTheObjectsTheAnswerPointsAt pins what -o name prints for
// each command, as kubectl's name printer writes it, and that the exit
// code is still the answer.
func TestNamePrintsTheObjectsTheAnswerPointsAt(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
		code int
	}{
		{"can: the policies that judge both halves", []string{"can", "web", "db:3306"}, []string{
			"networkpolicy.networking.k8s.io/allow-dns", "networkpolicy.networking.k8s.io/default-deny",
			"networkpolicy.networking.k8s.io/web", "networkpolicy.networking.k8s.io/db"}, ExitNo},
		{"can: cluster policies by their kind", []string{"can", "api", "db:3306", "-f", threeTier, "-f", "../testdata/tiers/"}, []string{
			"networkpolicy.networking.k8s.io/allow-dns", "networkpolicy.networking.k8s.io/api",
			"networkpolicy.networking.k8s.io/default-deny", "networkpolicy.networking.k8s.io/db",
			"clusternetworkpolicy.policy.networking.k8s.io/protect-prod-db"}, ExitOK},
		{"can: Cilium's policies", append([]string{"can", "api", "db:3306"}, shopOnCilium...), []string{
			"ciliumnetworkpolicy.cilium.io/allow-dns", "ciliumnetworkpolicy.cilium.io/api",
			"ciliumnetworkpolicy.cilium.io/default-deny", "ciliumnetworkpolicy.cilium.io/db",
			"ciliumclusterwidenetworkpolicy.cilium.io/prod-db-only-from-prod"}, ExitOK},
		{"explain: the workloads explained", []string{"explain", "prod/db"}, []string{"deployment.apps/db"}, ExitOK},
		{"diff: the workloads at the ends of changed flows", []string{"diff", "--with", whatIf + "db-loose.yaml"}, []string{
			"deployment.apps/api", "deployment.apps/db", "deployment.apps/api"}, ExitNo},
		{"map: the workloads drawn, without their namespaces as kubectl get -A -o name", []string{"map", "-n", "kube-system"}, []string{
			"deployment.apps/api", "deployment.apps/db", "deployment.apps/web", // dev
			"deployment.apps/coredns",
			"deployment.apps/api", "deployment.apps/db", "deployment.apps/web", // prod
			"deployment.apps/api", "deployment.apps/db", "deployment.apps/web"}, ExitOK}, // test
		{"test: the endpoints of failing expectations", []string{"test", expectations + "wrong.yaml"}, []string{
			"deployment.apps/web", "deployment.apps/db", "deployment.apps/api"}, ExitNo},
		{"test: nothing when every expectation holds", []string{"test", threeTier + "expectations.yaml"}, []string{}, ExitOK},
		{"audit: the objects of the findings, each once", []string{"audit", "-A", "-f", "../testdata/audit/shop.yaml"}, []string{
			"deployment.apps/api", "deployment.apps/cache", "networkpolicy.networking.k8s.io/postgres",
			"deployment.apps/api", // of another namespace
			"namespace/shop", "namespace/shop-dev", "networkpolicy.networking.k8s.io/api", "deployment.apps/coredns",
			"namespace/kube-system", "networkpolicy.networking.k8s.io/postgress-backup"}, ExitNo},
		{"replay: the workloads of connections that change verdict", []string{"replay", hubbleDay, "--without", "networkpolicy/prod/allow-dns"}, []string{
			"deployment.apps/api", "deployment.apps/coredns", "deployment.apps/db", "deployment.apps/web"}, ExitNo},
		{"generate: the generated policies", []string{"generate", "--from", threeTier + "traffic.yaml"}, []string{
			"networkpolicy.networking.k8s.io/default-deny-generated", "networkpolicy.networking.k8s.io/allow-dns-generated",
			"networkpolicy.networking.k8s.io/api-generated", "networkpolicy.networking.k8s.io/db-generated",
			"networkpolicy.networking.k8s.io/web-generated"}, ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "-o", "name")
			if !strings.Contains(strings.Join(args, " "), " -f ") {
				args = append(args, "-f", threeTier)
			}
			r := run(t, "", args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			got := strings.Fields(r.stdout)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("-o name (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTemplatesReadTheJSONDocument: jsonpath and go-template, given after
// "=", in a file or with --template, read the document -o json writes,
// apiVersion and kind included.
func TestTemplatesReadTheJSONDocument(t *testing.T) {
	dir := t.TempDir()
	jsonpathFile := filepath.Join(dir, "workloads.jsonpath")
	goTemplateFile := filepath.Join(dir, "count.tmpl")
	for path, text := range map[string]string{
		jsonpathFile:   `{range .workloads[*]}{.workload}{"\n"}{end}`,
		goTemplateFile: `{{.passed}} passed, {{.failed}} failed{{"\n"}}`,
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int
	}{
		{"jsonpath reads apiVersion and kind", []string{"map", "-o", "jsonpath={.apiVersion} {.kind}"}, "netpol.kubectl.io/v1 Graph", ExitOK},
		{"jsonpath ranges over a list", []string{"explain", "-o", `jsonpath={range .workloads[*]}{.workload}{"\n"}{end}`},
			"deployment prod/api\ndeployment prod/db\ndeployment prod/web\n", ExitOK},
		{"jsonpath-file", []string{"explain", "-o", "jsonpath-file=" + jsonpathFile},
			"deployment prod/api\ndeployment prod/db\ndeployment prod/web\n", ExitOK},
		{"the verdict is still the exit code", []string{"can", "web", "db:3306", "-o", "jsonpath={.allowed}"}, "false", ExitNo},
		{"go-template", []string{"can", "api", "db:3306", "-o", "go-template={{.kind}} {{.allowed}}"}, "CanAnswer true", ExitOK},
		{"go-template-file", []string{"test", expectations + "wrong.yaml", "-o", "go-template-file=" + goTemplateFile}, "1 passed, 2 failed\n", ExitNo},
		{"--template with the bare format", []string{"audit", "-A", "-o", "jsonpath", "--template", "{.kind}"}, "AuditResult", ExitNo},
		{"--template alone is a go-template, as in kubectl", []string{"diff", "--with", whatIf + "db-loose.yaml", "--template", "{{.kind}}"}, "DiffResult", ExitNo},
		{"version", []string{"version", "-o", "jsonpath={.kind}"}, "Version", ExitOK},
		{"a missing key prints nothing by default", []string{"map", "-o", "jsonpath={.nope}"}, "", ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.args[0] != "version" {
				args = append(args, "-f", threeTier)
			}
			r := run(t, "", args...)
			if r.code != tc.code || r.stdout != tc.want {
				t.Errorf("exit %d, stdout %q; want exit %d, %q (stderr %q)", r.code, r.stdout, tc.code, tc.want, r.stderr)
			}
		})
	}
}

// TestTemplateErrorsAreOneLine: a template that does not parse, or fails
// on the document, is one line of error and exit 2, with nothing on stdout
// (kubectl's printers write a debugging dump there).
func TestTemplateErrorsAreOneLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"jsonpath that does not parse", []string{"map", "-o", "jsonpath={.nodes"},
			"-o jsonpath={.nodes: unclosed action"},
		{"go-template that does not parse", []string{"map", "-o", "go-template={{.nodes"},
			"-o go-template={{.nodes: template: output:1: unclosed action"},
		{"an index past the end", []string{"audit", "-A", "-o", "jsonpath={.findings[99]}"},
			"-o jsonpath={.findings[99]}: array index out of bounds: index 99, length 10"},
		{"a go-template that fails on the document", []string{"audit", "-A", "-o", "go-template={{index .findings 99}}"},
			`-o go-template={{index .findings 99}}: template: output:1:2: executing "output" at <index .findings 99>: error calling index: index out of range: 99`},
		{"a missing key, when asked to fail on it", []string{"map", "-o", "jsonpath={.nope}", "--allow-missing-template-keys=false"},
			"-o jsonpath={.nope}: nope is not found"},
		{"a template format without a template", []string{"map", "-o", "jsonpath"},
			"-o jsonpath: template format specified but no template given"},
		{"-o name where the answer names no objects", []string{"version", "-o", "name"},
			"-o name: this command's answer names no objects; use -o jsonpath=TEMPLATE or -o json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.args[0] != "version" {
				args = append(args, "-f", "../testdata/three-tier/policies-prod.yaml")
			}
			r := run(t, "", args...)
			want := "error: " + tc.want + "\n"
			if r.code != ExitError || r.stdout != "" || r.stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing, %q", r.code, r.stdout, r.stderr, want)
			}
		})
	}
}

// TestTemplateErrorsComeBeforeReading: a template that does not parse
// fails before the input is read, as kubectl parses it before it asks the
// API server.
func TestTemplateErrorsComeBeforeReading(t *testing.T) {
	r := run(t, "", "map", "-f", "does-not-exist.yaml", "-o", "jsonpath={.nodes")
	want := "error: -o jsonpath={.nodes: unclosed action\n"
	if r.code != ExitError || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 2, %q", r.code, r.stderr, want)
	}
}
