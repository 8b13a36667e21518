package plugin

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func TestMapThreeTier(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"prod", []string{"-n", "prod"}},
		{"all", []string{"-A"}},
		{"focus-db", []string{"--focus", "prod/db"}},
		{"port-53-udp", []string{"-A", "--port", "53/udp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"", "json", "csv", "dot", "mermaid"} {
				args := append([]string{"map", "-f", threeTier}, tc.args...)
				ext := ".txt"
				if format != "" {
					args, ext = append(args, "-o", format), "."+format
				}
				r := run(t, "", args...)
				if r.code != 0 {
					t.Fatalf("-o %q: exit %d: %s", format, r.code, r.stderr)
				}
				golden(t, "map/"+tc.name+ext, r.stdout)
			}
		})
	}
}

// TestMapEdgesAgreeWithCan asks "can" for every pair of workloads the map
// knows and compares with the map's edges (--expand: one per pair); and
// the map with groups, expanded member by member, lists the same edges.
func TestMapEdgesAgreeWithCan(t *testing.T) {
	for _, files := range [][]string{{threeTier}, {whatIf + "shop/", whatIf + "db-loose.yaml"}, {"../testdata/audit/"}} {
		args := []string{"map", "-A", "-o", "json"}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		expanded := func(extra ...string) map[string]string {
			var g query.Graph
			r := run(t, "", append(args, extra...)...)
			if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
				t.Fatalf("%v\n%s", err, r.stderr)
			}
			out := map[string]string{}
			for _, e := range g.Expand().Edges {
				if e.From != e.To {
					out[e.From+" -> "+e.To] = e.Ports.String()
				}
			}
			return out
		}
		if diff := cmp.Diff(expanded("--expand"), expanded()); diff != "" {
			t.Errorf("%v: the map with groups, expanded (-want +got):\n%s", files, diff)
		}
		args = append(args, "--expand")
		r := run(t, "", args...)
		var g struct {
			Nodes []struct{ ID, Kind, Namespace, Name string }
			Edges []struct {
				From, To string
				Ports    json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
			t.Fatal(err)
		}
		edges := map[string]string{}
		for _, e := range g.Edges {
			var b bytes.Buffer
			_ = json.Compact(&b, e.Ports)
			edges[e.From+" -> "+e.To] = b.String()
		}
		for _, a := range g.Nodes {
			for _, b := range g.Nodes {
				if a.Kind == "External" || b.Kind == "External" || a.ID == b.ID {
					continue
				}
				canArgs := []string{"can", "-o", "json"}
				for _, f := range files {
					canArgs = append(canArgs, "-f", f)
				}
				ep := func(kind, ns, name string) string { return ns + "/" + strings.ToLower(kind) + "/" + name }
				c := run(t, "", append(canArgs, ep(a.Kind, a.Namespace, a.Name), ep(b.Kind, b.Namespace, b.Name))...)
				var ans struct {
					AllowedPorts json.RawMessage `json:"allowedPorts"`
				}
				if err := json.Unmarshal([]byte(c.stdout), &ans); err != nil {
					t.Fatalf("can %s %s: %v %s", a.ID, b.ID, err, c.stderr)
				}
				var want bytes.Buffer
				_ = json.Compact(&want, ans.AllowedPorts)
				got, ok := edges[a.ID+" -> "+b.ID]
				if !ok {
					got = "[]"
				}
				if got != want.String() {
					t.Errorf("%v: %s -> %s: map %s, can %s", files, a.ID, b.ID, got, want.String())
				}
			}
		}
	}
}

// TestMapDotRendersWithGraphviz runs Graphviz on the dot output.
func TestMapDotRendersWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("graphviz is not installed (apt-get install graphviz); .ci/run installs it")
		}
		t.Skip("graphviz (dot) is not installed")
	}
	// With the cluster guardrails, namespaces are joined by edges both
	// ways: the graph Graphviz 2.43 could not rank without newrank.
	// The 40 workloads of shop40: readable at that density means
	// Graphviz lays it out without complaint, with its legend.
	for _, tc := range []struct {
		files []string
		label string
	}{{[]string{"-f", threeTier}, "TCP 3306"}, {[]string{"-f", threeTier, "-f", "../testdata/tiers/"}, "TCP 3306"}, {[]string{"-f", "../testdata/shop40/"}, "TCP 5432"}} {
		r := run(t, "", append([]string{"map", "-A", "-o", "dot"}, tc.files...)...)
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(r.stdout)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !bytes.Contains(out, []byte("<svg")) || !bytes.Contains(out, []byte(tc.label)) || !bytes.Contains(out, []byte("denied by a cluster policy")) {
			t.Fatalf("%v: dot -Tsvg: %v\n%s\n%s", tc.files, err, stderr.String(), out)
		}
		if stderr.Len() > 0 {
			t.Errorf("%v: dot -Tsvg warns:\n%s", tc.files, stderr.String())
		}
	}
}

func TestMapBadInput(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-n", "nowhere"}, "namespace nowhere does not exist"},
		{[]string{"--focus", "cache"}, `--focus "cache": no pod, workload or service named "cache"`},
		{[]string{"-o", "svg"}, `unsupported output format "svg"`},
	} {
		r := run(t, "", append([]string{"map", "-f", threeTier}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.wantErr) {
			t.Errorf("map %v: exit %d, stderr %q", tc.args, r.code, r.stderr)
		}
	}
}

// TestMapPortShowsThePortAsked pins that --port narrows the PORTS column
// to the port asked: "all ports" read as if the filter had not applied.
func TestMapPortShowsThePortAsked(t *testing.T) {
	r := run(t, "", "map", "-A", "-f", threeTier, "--port", "3306")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rows, _, _ := strings.Cut(r.stdout, "\n\n")
	lines := strings.Split(rows, "\n")[1:]
	if len(lines) < 2 {
		t.Fatalf("want flows on port 3306, got:\n%s", r.stdout)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, "  TCP 3306") {
			t.Errorf("row %q: want PORTS to read TCP 3306", l)
		}
	}
}

// TestNamesWithControlCharactersAreShownNotRun feeds text that would clear
// a terminal or set its title to every text output. Object names and
// labels with such characters are rejected as the API server rejects them
// (the renderers' own tests cover those); the free-text names of cluster
// policy rules are not, and reach traces and explanations.
func TestNamesWithControlCharactersAreShownNotRun(t *testing.T) {
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 1
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - {name: "web\e[2J\e]0;pwned\a\rALLOWED", action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]}
`
	if err := os.WriteFile(dir+"/app.yaml", []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"map", "-n", "prod"},
		{"explain", "-n", "prod"},
		{"explain", "prod/db"},
		{"can", "prod/web", "prod/db:80"},
		{"can", "prod/db", "prod/web:80"},
		{"audit", "-n", "prod"},
	} {
		r := run(t, "", append(args, "-f", dir)...)
		if r.code == 2 {
			t.Errorf("%v: exit 2: %s", args, r.stderr)
		}
		if strings.ContainsAny(r.stdout, "\x1b\r\a") {
			t.Errorf("%v: control characters reach the terminal:\n%q", args, r.stdout)
		}
	}
	if r := run(t, "", "can", "prod/web", "prod/db:80", "-f", dir); !strings.Contains(r.stdout, `web\x1b[2J`) {
		t.Errorf("the rule name is not shown escaped:\n%s", r.stdout)
	}
}

// TestMapPortFlagErrors: a bad --port is named as the user wrote it, with
// what is wrong, and nothing of how it is parsed.
func TestMapPortFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name, port, wantErr string
	}{
		{"a port above 65535 is out of range", "99999", "--port 99999: port must be between 1 and 65535"},
		{"port 0 is out of range", "0", "--port 0: port must be between 1 and 65535"},
		{"a port name is not a number", "http", "--port http: want a port number, e.g. 5432 or 53/udp"},
		{"a leading colon is not a number", ":80", "--port :80: want a port number, e.g. 5432 or 53/udp"},
		{"the protocol is tcp, udp or sctp", "53/xyz", `--port 53/xyz: unknown protocol "xyz" (tcp, udp or sctp)`},
		{"one protocol only", "53/udp/tcp", `--port 53/udp/tcp: unknown protocol "udp/tcp" (tcp, udp or sctp)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", "map", "-f", threeTier, "--port", tc.port)
			if diff := cmp.Diff("error: "+tc.wantErr+"\n", r.stderr); r.code != 2 || diff != "" {
				t.Errorf("exit %d, want 2; stderr (-want +got):\n%s", r.code, diff)
			}
		})
	}
}

// TestMapPortKeepsAmbiguousEdgesAsDenied pins that --port does not turn an
// edge kept only because the port is ambiguous there into an allowed one:
// its ports on the asked port stay what name order gives, none here.
func TestMapPortKeepsAmbiguousEdgesAsDenied(t *testing.T) {
	none, db := query.PortSet{}, query.SinglePort(corev1.ProtocolTCP, 3306)
	all := query.AllPorts()
	g := &query.Graph{Edges: []query.Edge{
		{From: "a", To: "db", Ports: &none, Ambiguous: &db},
		{From: "b", To: "db", Ports: &all},
	}}
	got := onPort(g.WithPort(corev1.ProtocolTCP, 3306), corev1.ProtocolTCP, 3306)
	if len(got.Edges) != 2 {
		t.Fatalf("edges %+v, want both kept", got.Edges)
	}
	if !got.Edges[0].Ports.IsEmpty() || !got.Edges[0].Ambiguous.Equal(db) {
		t.Errorf("ambiguous edge: ports %s, ambiguous %s; want no ports and TCP 3306 ambiguous", got.Edges[0].Ports, got.Edges[0].Ambiguous)
	}
	if !got.Edges[1].Ports.Equal(db) {
		t.Errorf("open edge: ports %s, want TCP 3306", got.Edges[1].Ports)
	}
}

// TestMapGroupsNameListedNodes: every member a group of the map stands for
// is a node the map lists, as for the address regions of shop40's "every
// IPv4 address outside the cluster", one of which no edge names alone.
func TestMapGroupsNameListedNodes(t *testing.T) {
	r := run(t, "", "map", "-A", "-o", "json", "-f", "../testdata/shop40")
	var g query.Graph
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatalf("%v\n%s", err, r.stderr)
	}
	listed := map[string]bool{}
	groups := 0
	for _, n := range g.Nodes {
		listed[n.ID] = true
	}
	for _, n := range g.Nodes {
		if n.Kind != query.KindGroup {
			continue
		}
		groups++
		for _, m := range n.Members {
			if !listed[m] {
				t.Errorf("group %q stands for %q, which the map does not list", n.ID, m)
			}
		}
	}
	if groups == 0 {
		t.Fatal("shop40's map has no group: the test checks nothing")
	}
}
