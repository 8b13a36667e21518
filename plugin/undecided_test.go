package plugin

import (
	"strings"
	"testing"
)

// TestManyFlowsUndecided runs map, explain, diff and audit on the ipBlock
// profile fixture: under antrea the client -> db flow depends on
// whether ipBlock matches pod IPs, so it is marked undecided, with one
// warning; under cilium and the API text it is decided; every answer
// names its profile.
func TestManyFlowsUndecided(t *testing.T) {
	ipblock := "../testdata/profiles/ipblock"
	const (
		warnEdge   = `1 edge is marked undecided: it depends on whether ipBlock matches pod IPs on this CNI ("can" exits 2 on it)`
		warnPeer   = `1 peer is marked undecided: it depends on whether ipBlock matches pod IPs on this CNI ("can" exits 2 on it)`
		warnChange = `1 change is marked undecided: it depends on whether ipBlock matches pod IPs on this CNI ("can" exits 2 on it)`
		kubeRouter = "judged as: antrea: given with --cni\n"
	)
	tests := []struct {
		name     string
		args     []string
		code     int
		want     []string // parts of stdout, in order
		warning  string   // on stderr exactly once; "" for no undecided warning
		nowanted string
	}{
		{"map: antrea marks the edge over the ipBlock undecided", []string{"map", "--cni", "antrea"}, 0,
			[]string{"pod shop/client         pod shop/db             UNDECIDED all ports\n", "pod shop/db             pod shop/client         all ports\n", "\n" + kubeRouter}, warnEdge, ""},
		{"map -o json: the edge carries its undecided ports, the map its profile", []string{"map", "--cni", "antrea", "-o", "json"}, 0,
			[]string{`{"from":"pod shop/client","to":"pod shop/db","ports":[{"protocol":"TCP","ranges":[{"from":1,"to":65535}]},{"protocol":"UDP","ranges":[{"from":1,"to":65535}]},{"protocol":"SCTP","ranges":[{"from":1,"to":65535}]}],"undecided":[{"protocol":"TCP"`,
				`"profile": {"name":"antrea","plugin":"Antrea","why":"given with --cni","unknown":["cluster-network-policy","ipblock-matches-pod-ips"`}, warnEdge, ""},
		{"map -o dot: the undecided edge is dotted orange", []string{"map", "--cni", "antrea", "-o", "dot"}, 0,
			[]string{`"pod shop/client" -> "pod shop/db" [label="UNDECIDED all ports", style=dotted, color="#d97706"];`, `label="judged as: antrea: given with --cni";`}, warnEdge, ""},
		{"map --port: the undecided edge stays, narrowed", []string{"map", "--cni", "antrea", "--port", "5432"}, 0,
			[]string{"pod shop/client         pod shop/db             UNDECIDED TCP 5432\n", kubeRouter}, warnEdge, ""},
		{"map: cilium decides it, the edge is gone", []string{"map", "--cni", "cilium"}, 0,
			[]string{"judged as: cilium: given with --cni\n"}, "", "pod shop/client         pod shop/db"},
		{"map: the API text decides it", []string{"map", "--expand"}, 0,
			[]string{"pod shop/client         pod shop/db             all ports\n", "judged as: spec (the Kubernetes API text): the default for manifests"}, "", "UNDECIDED"},
		{"explain: the peer is undecided", []string{"explain", "shop/client", "--cni", "antrea"}, 0,
			[]string{"may reach:\n      pod shop/db    UNDECIDED all ports\n", "\n" + kubeRouter}, warnPeer, ""},
		{"explain a namespace: the table says it", []string{"explain", "-n", "shop", "--cni", "antrea"}, 0,
			[]string{"UNDECIDED all ports: shop/db | all ports: 10.244.0.0/16\n", kubeRouter},
			`2 peers are marked undecided: they depend on whether ipBlock matches pod IPs on this CNI ("can" exits 2 on them)`, ""},
		{"explain -o json: the peer carries its undecided ports", []string{"explain", "shop/client", "--cni", "antrea", "-o", "json"}, 0,
			[]string{`"peer": "pod shop/db",`, `"undecided": [`, `"profile": {`, `"name": "antrea",`}, warnPeer, ""},
		{"explain: cilium decides it", []string{"explain", "shop/client", "--cni", "cilium"}, 0,
			[]string{"may reach:\n      10.244.0.0/16  all ports\n", "judged as: cilium: given with --cni\n"}, "", "UNDECIDED"},
		{"diff: a pair that changes only under one value is undecided", []string{"diff", "--without", "networkpolicy/shop/client-egress", "--cni", "antrea"}, 1,
			[]string{"pod shop/client -> pod shop/db\n  ? undecided:   all ports", "4 pairs change: 3 with newly allowed ports, 0 with newly denied ports, 1 with undecided ports.\n" + kubeRouter}, warnChange, ""},
		{"diff -o json: the change carries its undecided ports", []string{"diff", "--without", "networkpolicy/shop/client-egress", "--cni", "antrea", "-o", "json"}, 1,
			[]string{`"undecided": 1`, `"destination": "pod shop/db",`, `"undecided": [`, `"profile": {`}, warnChange, ""},
		{"diff: cilium decides it, newly allowed", []string{"diff", "--without", "networkpolicy/shop/client-egress", "--cni", "cilium"}, 1,
			[]string{"pod shop/client -> pod shop/db\n  + now allowed: all ports", "judged as: cilium: given with --cni\n"}, "", "undecided"},
		{"audit names its profile", []string{"audit", "-n", "shop", "--cni", "antrea"}, 1,
			[]string{"findings: ", kubeRouter}, "", ""},
		{"audit -o json carries the profile", []string{"audit", "-n", "shop", "--cni", "antrea", "-o", "json"}, 1,
			[]string{`"profile": {`, `"name": "antrea",`}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append(tc.args, "-f", ipblock)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			rest := r.stdout
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order)\nstdout:\n%s", w, r.stdout)
				}
				rest = rest[i+len(w):]
			}
			if n := strings.Count(r.stderr, "marked undecided"); tc.warning != "" && (n != 1 || !strings.Contains(r.stderr, tc.warning)) {
				t.Errorf("stderr has %d undecided warnings, want once %q:\n%s", n, tc.warning, r.stderr)
			} else if tc.warning == "" && n > 0 {
				t.Errorf("stderr warns of undecided items:\n%s", r.stderr)
			}
			if tc.nowanted != "" && strings.Contains(r.stdout, tc.nowanted) {
				t.Errorf("stdout has %q:\n%s", tc.nowanted, r.stdout)
			}
		})
	}
}
