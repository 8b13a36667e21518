package plugin

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

const threeTier = "../testdata/three-tier/"

// TestCanThreeTier pins the verdicts, exit codes and rendered answers of the
// bundled example, in text and JSON.
func TestCanThreeTier(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
	}{
		{[]string{"api", "db:3306"}, 0},
		{[]string{"web", "db:3306"}, 1},
		{[]string{"db", "192.168.5.10:80"}, 0},
		{[]string{"db", "192.168.5.11:80"}, 1},
		{[]string{"dev/api", "prod/db:3306"}, 1},
		{[]string{"api", "db:mysql"}, 0},
		{[]string{"api", "db"}, 0},
		{[]string{"web", "svc/db"}, 1},
		{[]string{"web", "api"}, 0},
		{[]string{"role=web", "svc/api:http"}, 0},
		{[]string{"203.0.113.9", "web:80"}, 0},
		{[]string{"api", "kube-system/coredns:53/udp"}, 0},
		{[]string{"db", "kube-system/coredns:dns"}, 0},
		{[]string{"api", "dev/db:3306"}, 1},
	}
	for _, tc := range tests {
		name := goldenName(tc.args...)
		t.Run(name, func(t *testing.T) {
			text := run(t, "", append([]string{"can", "-f", threeTier}, tc.args...)...)
			if text.code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", text.code, tc.wantCode, text.stdout, text.stderr)
			}
			golden(t, "can/"+name+".txt", text.stdout)

			js := run(t, "", append([]string{"can", "-f", threeTier, "-o", "json"}, tc.args...)...)
			if js.code != tc.wantCode {
				t.Fatalf("-o json exit code = %d, want %d", js.code, tc.wantCode)
			}
			var ans struct {
				Allowed       bool   `json:"allowed"`
				SchemaVersion string `json:"schemaVersion"`
			}
			if err := json.Unmarshal([]byte(js.stdout), &ans); err != nil {
				t.Fatalf("-o json is not JSON: %v\n%s", err, js.stdout)
			}
			if ans.Allowed != (tc.wantCode == 0) || ans.SchemaVersion == "" {
				t.Errorf("-o json allowed = %v (schema %q), want %v", ans.Allowed, ans.SchemaVersion, tc.wantCode == 0)
			}
			golden(t, "can/"+name+".json", js.stdout)
		})
	}
}

func TestCanOutputModes(t *testing.T) {
	q := run(t, "", "can", "-f", threeTier, "-q", "web", "db:3306")
	if q.code != 1 || q.stdout != "" || q.stderr != "" {
		t.Errorf("-q: code %d, stdout %q, stderr %q; want 1 and nothing printed", q.code, q.stdout, q.stderr)
	}
	y := run(t, "", "can", "-f", threeTier, "-o", "yaml", "api", "db:3306")
	if y.code != 0 || !strings.Contains(y.stdout, "allowed: true") {
		t.Errorf("-o yaml: code %d, stdout:\n%s", y.code, y.stdout)
	}
	for _, args := range [][]string{
		{"api -> db:3306"},
		{"api", "to", "db:3306"},
		{"-n", "prod", "api", "db:3306"},
		{"prod/deploy/api", "prod/svc/db:mysql"},
	} {
		r := run(t, "", append([]string{"can", "-f", threeTier, "-q"}, args...)...)
		if r.code != 0 {
			t.Errorf("can %q: exit %d, want 0; stderr: %s", args, r.code, r.stderr)
		}
	}
}

func TestCanReadsStdin(t *testing.T) {
	policy := `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: dev}
spec: {podSelector: {}}
`
	r := run(t, policy, "can", "-f", threeTier, "-f", "-", "dev/web", "dev/api:5000")
	if r.code != 1 {
		t.Errorf("policy from stdin should deny dev/web -> dev/api: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCanBadInput pins that every kind of bad input is one clear line on
// stderr naming what is wrong, and exit code 2, never 1.
func TestCanBadInput(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown endpoint", []string{"-f", threeTier, "api", "cache:6379"}, `no pod, workload or service named "cache" in namespace prod`},
		{"unknown namespace", []string{"-f", threeTier, "api", "staging/db"}, "namespace staging does not exist"},
		{"ambiguous endpoint", []string{"-f", "../testdata/ambiguous/", "client", "db"}, `"db" is ambiguous in namespace prod: prod/deployment/db, prod/statefulset/db`},
		{"malformed YAML", []string{"-f", "../testdata/bad/malformed.yaml", "a", "b"}, "testdata/bad/malformed.yaml"},
		{"invalid CIDR", []string{"-f", "../testdata/bad/invalid-cidr.yaml", "a", "b"}, `invalid-cidr.yaml: networkpolicy prod/backup: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR "192.168.5.300/32"`},
		{"endPort with a named port", []string{"-f", "../testdata/bad/endport-named.yaml", "a", "b"}, "networkpolicy prod/range: spec.ingress[0].ports[0].endPort: may not be set when port is a named port"},
		{"unknown field", []string{"-f", "../testdata/bad/unknown-field.yaml", "a", "b"}, `unknown field "spec.podSelecter"`},
		{"missing file", []string{"-f", "../testdata/nope.yaml", "a", "b"}, "nope.yaml"},
		{"port out of range", []string{"-f", threeTier, "api", "db:65536"}, "port 65536 is not between 1 and 65535"},
		{"unknown protocol", []string{"-f", threeTier, "api", "db:3306/icmp"}, `unknown protocol "icmp"`},
		{"unknown named port", []string{"-f", threeTier, "api", "db:postgres"}, `declares no container port named "postgres"`},
		{"shell ate the arrow", []string{"-f", threeTier, "api", "-"}, "quote the arrow"},
		{"one endpoint only", []string{"-f", threeTier, "api"}, "want a source and a destination"},
		{"unknown flag", []string{"--frobnicate", "api", "db"}, "unknown flag: --frobnicate"},
		{"bad output format", []string{"-f", threeTier, "-o", "xml", "api", "db"}, `unsupported output format "xml"`},
		{"both ends outside", []string{"-f", threeTier, "10.0.0.1", "192.168.5.10:80"}, "both outside the cluster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"can"}, tc.args...)...)
			if r.code != ExitError {
				t.Fatalf("exit code = %d, want 2\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tc.wantErr)
			}
			if !strings.HasPrefix(r.stderr, "error: ") {
				t.Errorf("stderr should start with \"error: \": %q", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout should be empty on error, got %q", r.stdout)
			}
		})
	}
}

// TestUnknownKindsAreSkippedWithAWarning: a kind the tool does not read
// is skipped with a warning, even with -q; a ConfigMap (but Cilium's),
// which cannot change a verdict, silently.
func TestUnknownKindsAreSkippedWithAWarning(t *testing.T) {
	r := run(t, "", "can", "-f", threeTier, "-f", "../testdata/bad/unknown-kind.yaml", "-q", "api", "db:3306")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "Warning: ../testdata/bad/unknown-kind.yaml: skipping widget prod/w: kubectl netpol does not read kind Widget.example.com\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

// TestKubePrometheusGivesOneWarningLine: on a manifest set in the style of
// kube-prometheus, whose 91 objects of kinds the tool does not read gave
// as many warning lines, one line counts those that may matter; -v 2
// lists every skipped object.
func TestKubePrometheusGivesOneWarningLine(t *testing.T) {
	r := run(t, "", "audit", "-n", "monitoring", "-f", "../testdata/kube-prometheus", "-o", "name")
	want := "Warning: skipped 21 objects of kinds kubectl netpol does not read: 13 ServiceMonitor.monitoring.coreos.com, 6 PrometheusRule.monitoring.coreos.com, 1 Alertmanager.monitoring.coreos.com, 1 Prometheus.monitoring.coreos.com (-v 2 lists them)\n"
	if r.code != ExitNo || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 1, %q", r.code, r.stderr, want)
	}
	// The operator makes the Prometheus and Alertmanager pods from the
	// custom resources: the tool does not see them, and the policies for
	// them select nothing.
	for _, policy := range []string{"networkpolicy.networking.k8s.io/prometheus-k8s", "networkpolicy.networking.k8s.io/alertmanager-main"} {
		if !strings.Contains(r.stdout, policy+"\n") {
			t.Errorf("audit -o name does not name %s:\n%s", policy, r.stdout)
		}
	}
	t.Cleanup(func() { // -v sets klog's verbosity for the process
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		_ = fs.Set("v", "0")
	})
	r = run(t, "", "audit", "-n", "monitoring", "-f", "../testdata/kube-prometheus", "-q", "-v", "2")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1+91 || !strings.HasSuffix(lines[0], "1 Prometheus.monitoring.coreos.com:") {
		t.Errorf("-v 2: %d lines, want the warning and 91 skipped objects:\n%s", len(lines), r.stderr)
	}
}

// TestCanArrowAsItsOwnArgument: 'SRC' '->' 'DST' (the arrow quoted on its
// own) is the same question as SRC DST, and the arrow stands only between
// the two.
func TestCanArrowAsItsOwnArgument(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"the arrow between source and destination", []string{"api", "->", "db:3306"}, 0, ""},
		{"a denied flow answers no", []string{"web", "->", "db:3306"}, 1, ""},
		{"flags around the arrow", []string{"-n", "prod", "api", "->", "-o", "json", "db:3306"}, 0, ""},
		{"the arrow first is no question", []string{"->", "api", "db:3306"}, 2, `want a source and a destination (SRC DST[:PORT][/PROTO], 'SRC -> DST' or SRC to DST), got "-> api db:3306"`},
		{"the arrow last is no question", []string{"api", "db:3306", "->"}, 2, `got "api db:3306 ->"`},
		{"two arrows are no question", []string{"api", "->", "->", "db:3306"}, 2, `got "api -> -> db:3306"`},
		{"the arrow eaten by the shell leaves a lone '-'", []string{"api", "-"}, 2, "quote the arrow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"can", "-f", threeTier}, tc.args...)...)
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.wantErr) || (tc.wantErr == "" && r.stderr != "") {
				t.Errorf("can %q: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}
