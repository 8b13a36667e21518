package query

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
)

// egressToPodCIDR lets x/a reach only the addresses of 10.0.0.0/16, which
// hold the pods of x and y: whether that lets it reach them depends on
// whether ipBlock matches pod IPs.
const egressToPodCIDR = `
metadata: {name: to-pod-cidr}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16}}]}]`

// denyAgentIngress isolates the host-network pod x/agent for ingress:
// whether it does depends on whether NetworkPolicy applies to host-network
// pods, so the edges to it exist only where it does not.
const denyAgentIngress = `
metadata: {name: deny-agent}
spec:
  podSelector: {matchLabels: {app: agent}}`

// marks renders what an answer says of each item: "ports" or
// "ports; UNDECIDED ports".
func marks(ports PortSet, undecided *PortSet) string {
	if undecided == nil {
		return ports.String()
	}
	return ports.String() + "; UNDECIDED " + undecided.String()
}

func edgeMarks(g *Graph) map[string]string {
	out := map[string]string{}
	for _, e := range g.Edges {
		out[e.From+" -> "+e.To] = marks(*e.Ports, e.Undecided)
	}
	return out
}

func kindsOf(ws []Warning, kind WarningKind) []string {
	var out []string
	for _, w := range ws {
		if w.Kind == kind {
			out = append(out, w.Message)
		}
	}
	return out
}

// TestGraphUndecided pins that the map marks undecided exactly the edges
// whose ports differ under the values the profile leaves unknown, says so
// in one warning naming the behaviour, and names its profile.
func TestGraphUndecided(t *testing.T) {
	agent := []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}
	hostNetUnknown := SpecProfile().With(BehaviourHostNetworkSubjects, Unknown, "")
	tests := []struct {
		name     string
		profile  Profile
		policies string
		extra    []runtime.Object
		opts     GraphOptions
		want     map[string]string // edges of interest; "" for no edge
		warnings []string
	}{
		{"antrea: the edges over the ipBlock to pods are undecided on every port", mustProfile(t, "antrea"), egressToPodCIDR, nil, GraphOptions{},
			map[string]string{
				"pod x/a -> pod x/b":                "all ports; UNDECIDED all ports",
				"pod x/a -> pod y/a":                "all ports; UNDECIDED all ports",
				"pod x/a -> pod z/c":                "",
				"pod x/a -> 10.0.0.0/16":            "all ports",
				"pod x/b -> pod x/a":                "all ports",
				"pod y/a -> pod x/a":                "all ports",
				"any other IPv4 address -> pod x/a": "all ports",
			},
			[]string{"3 edges are marked undecided: they depend on whether ipBlock matches pod IPs on this CNI (\"can\" exits 2 on them)"}},
		{"cilium: ipBlock does not match pods, decided", mustProfile(t, "cilium"), egressToPodCIDR, nil, GraphOptions{},
			map[string]string{"pod x/a -> pod x/b": "", "pod x/a -> 10.0.0.0/16": "all ports", "pod x/b -> pod x/a": "all ports"}, nil},
		{"the API text: ipBlock matches pods, decided", SpecProfile(), egressToPodCIDR, nil, GraphOptions{},
			map[string]string{"pod x/a -> pod x/b": "all ports", "pod x/a -> 10.0.0.0/16": "all ports"}, nil},
		{"an edge only present on a variant is added with no ports, undecided", hostNetUnknown, denyAgentIngress, agent, GraphOptions{},
			map[string]string{"pod x/b -> pod x/agent": "no ports; UNDECIDED all ports", "pod x/agent -> pod x/b": "all ports"},
			[]string{"6 edges are marked undecided: they depend on whether NetworkPolicy applies to host-network pods on this CNI (\"can\" exits 2 on them)"}},
		{"whether policy is enforced at all is unknown: the map says every missing flow depends on it", SpecProfile().With(BehaviourEnforced, Unknown, ""), egressToPodCIDR, nil, GraphOptions{},
			map[string]string{"pod x/a -> pod x/b": "all ports", "pod x/a -> pod z/c": ""},
			[]string{"every flow not shown as allowed depends on whether the network plugin enforces policy at all"}},
		{"an edge only present on a variant brings its node into a namespace's map", hostNetUnknown, denyAgentIngress, agent, GraphOptions{Namespace: "y"},
			map[string]string{"pod y/a -> pod x/agent": "no ports; UNDECIDED all ports", "pod y/a -> pod x/a": "all ports"},
			[]string{"2 edges are marked undecided: they depend on whether NetworkPolicy applies to host-network pods on this CNI (\"can\" exits 2 on them)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(append(baseObjects(), tc.extra...), testPolicies(t, tc.policies)...)
			s := testSnapshot(t, Options{Profile: tc.profile, WorkloadStandIns: true}, objs...)
			g := s.Graph(tc.opts)
			all := edgeMarks(g)
			got := map[string]string{}
			for k := range tc.want {
				got[k] = all[k]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("edges (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.warnings, kindsOf(g.Warnings, WarnUndecided)); diff != "" {
				t.Errorf("undecided warnings (-want +got):\n%s", diff)
			}
			if g.Profile == nil || g.Profile.Name != tc.profile.Name {
				t.Errorf("the map does not name the profile %q: %v", tc.profile.Name, g.Profile)
			}
			checkGraphShape(t, g)
			// Every undecided edge is one "can" answers UNDECIDED for.
			for _, e := range g.Edges {
				if e.Undecided == nil || strings.Contains(e.From+e.To, "/16") || strings.Contains(e.From+e.To, "address") {
					continue
				}
				if ans := can(t, s, strings.TrimPrefix(e.From, "pod "), strings.TrimPrefix(e.To, "pod ")); ans.Decided {
					t.Errorf("%s -> %s is undecided on the map, decided by can", e.From, e.To)
				}
			}
		})
	}
}

// checkGraphShape fails on edges whose nodes the map lacks, and on nodes
// and edges out of their order (workloads in unit order, then regions).
func checkGraphShape(t *testing.T, g *Graph) {
	t.Helper()
	nodes := map[string]int{}
	for i, n := range g.Nodes {
		nodes[n.ID] = i
	}
	last := [4]int{-1}
	for _, e := range g.Edges {
		fi, ok1 := nodes[e.From]
		ti, ok2 := nodes[e.To]
		if !ok1 || !ok2 {
			t.Errorf("edge %s -> %s joins a node the map lacks", e.From, e.To)
			continue
		}
		r := [4]int{0, fi, ti, 0}
		if ext := g.Nodes[ti].Kind == "External"; ext {
			r = [4]int{1, ti, fi, 0}
		} else if g.Nodes[fi].Kind == "External" {
			r = [4]int{1, fi, ti, 1}
		}
		if cmpRank(r, last) < 0 {
			t.Errorf("edge %s -> %s out of order", e.From, e.To)
		}
		last = r
	}
}

func cmpRank(a, b [4]int) int {
	for i := range a {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return 0
}

// TestGraphWithPortKeepsUndecided pins that a map narrowed to a port
// keeps the edges undecided on it, and its warning and profile.
func TestGraphWithPortKeepsUndecided(t *testing.T) {
	objs := append(append(baseObjects(), hostNetPod("x/agent", "app=agent", "10.0.9.9")), testPolicies(t, denyAgentIngress)...)
	s := testSnapshot(t, Options{Profile: SpecProfile().With(BehaviourHostNetworkSubjects, Unknown, ""), WorkloadStandIns: true}, objs...)
	g := s.Graph(GraphOptions{}).WithPort("TCP", 80)
	if got := edgeMarks(g)["pod x/b -> pod x/agent"]; got != "no ports; UNDECIDED all ports" {
		t.Errorf("x/b -> x/agent on TCP 80: %q, want it kept undecided", got)
	}
	if w := kindsOf(g.Warnings, WarnUndecided); len(w) != 1 || !strings.Contains(w[0], "host-network pods") {
		t.Errorf("undecided warnings of the narrowed map: %q, want one naming the behaviour", w)
	}
	if g.Profile == nil {
		t.Error("the narrowed map lost its profile")
	}
}

func reachMarks(ds DirectionSummary) map[string]string {
	out := map[string]string{}
	for _, r := range ds.Peers {
		out[r.Peer] = marks(r.Ports, r.Undecided)
	}
	return out
}

// TestExplainUndecided pins that explain marks undecided the peers whose
// ports differ under the unknown values, adds those only a variant has,
// and says so once.
func TestExplainUndecided(t *testing.T) {
	kubeRouter := mustProfile(t, "antrea")
	objs := append(baseObjects(), testPolicies(t, egressToPodCIDR)...)
	s := testSnapshot(t, Options{Profile: kubeRouter, WorkloadStandIns: true}, objs...)
	ex, err := s.Explain(EndpointSpec{Namespace: "x", Name: "a", Raw: "x/a"}, "x")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"pod x/b":     "all ports; UNDECIDED all ports",
		"pod y/a":     "all ports; UNDECIDED all ports",
		"pod y/b":     "all ports; UNDECIDED all ports",
		"10.0.0.0/16": "all ports",
	}
	if diff := cmp.Diff(want, reachMarks(ex.Workloads[0].Egress)); diff != "" {
		t.Errorf("egress peers of x/a under antrea (-want +got):\n%s", diff)
	}
	for _, r := range ex.Workloads[0].Ingress.Peers {
		if r.Undecided != nil {
			t.Errorf("ingress peer %s of x/a is undecided: its ingress does not depend on the ipBlock", r.Peer)
		}
	}
	if diff := cmp.Diff([]string{"3 peers are marked undecided: they depend on whether ipBlock matches pod IPs on this CNI (\"can\" exits 2 on them)"}, kindsOf(ex.Warnings, WarnUndecided)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if ex.Profile == nil || ex.Profile.Name != "antrea" {
		t.Errorf("explain does not name its profile: %v", ex.Profile)
	}

	cilium := testSnapshot(t, Options{Profile: mustProfile(t, "cilium"), WorkloadStandIns: true}, objs...)
	ex, err = cilium.ExplainNamespace("x")
	if err != nil {
		t.Fatal(err)
	}
	for _, ue := range ex.Workloads {
		for _, r := range append(ue.Ingress.Peers, ue.Egress.Peers...) {
			if r.Undecided != nil {
				t.Errorf("cilium: %s peer %s undecided, want every peer decided", ue.Workload, r.Peer)
			}
		}
	}
	if w := kindsOf(ex.Warnings, WarnUndecided); len(w) > 0 {
		t.Errorf("cilium: undecided warnings %q", w)
	}

	// A peer only a variant has: the host-network pod's ingress.
	hostNet := testSnapshot(t, Options{Profile: SpecProfile().With(BehaviourHostNetworkSubjects, Unknown, ""), WorkloadStandIns: true},
		append(append(baseObjects(), hostNetPod("x/agent", "app=agent", "10.0.9.9")), testPolicies(t, denyAgentIngress)...)...)
	ex, err = hostNet.Explain(EndpointSpec{Namespace: "x", Name: "agent", Raw: "x/agent"}, "x")
	if err != nil {
		t.Fatal(err)
	}
	got := reachMarks(ex.Workloads[0].Ingress)
	if got["pod x/a"] != "no ports; UNDECIDED all ports" || got["pod z/c"] != "no ports; UNDECIDED all ports" {
		t.Errorf("ingress peers of the host-network pod: %v; want every pod added, undecided on all ports", got)
	}
	var order []string
	for _, r := range ex.Workloads[0].Ingress.Peers {
		order = append(order, r.Peer)
	}
	if diff := cmp.Diff([]string{"pod x/a", "pod x/b", "pod y/a", "pod y/b", "pod z/c", "any address"}, order); diff != "" {
		t.Errorf("added peers out of unit order (-want +got):\n%s", diff)
	}
}

func changeMarks(res *DiffResult) map[string]string {
	out := map[string]string{}
	for _, c := range res.Changes {
		out[c.Source+" -> "+c.Destination] = fmt.Sprintf("+%s -%s", c.NowAllowed, c.NowDenied)
		if c.Undecided != nil {
			out[c.Source+" -> "+c.Destination] += "; UNDECIDED " + c.Undecided.String()
		}
	}
	return out
}

// TestDiffUndecided pins that diff marks undecided the pairs whose before
// or after differs under the unknown values, including pairs that change
// only under some of them, whichever state holds the policy that depends
// on them.
func TestDiffUndecided(t *testing.T) {
	withPolicy := func(t *testing.T, p Profile) (*Snapshot, *Snapshot) {
		t.Helper()
		base := testSnapshot(t, Options{Profile: p, WorkloadStandIns: true}, baseObjects()...)
		next, err := base.With(testPolicies(t, egressToPodCIDR)...)
		if err != nil {
			t.Fatal(err)
		}
		return base, next
	}
	tests := []struct {
		name     string
		profile  Profile
		reverse  bool // the policy is removed rather than added
		want     map[string]string
		warnings []string
	}{
		{"antrea: a pair over the ipBlock changes only if ipBlock does not match pods", mustProfile(t, "antrea"), false,
			map[string]string{"pod x/a -> pod x/b": "+no ports -no ports; UNDECIDED all ports", "pod x/a -> pod z/c": "+no ports -all ports"},
			[]string{"3 changes are marked undecided: they depend on whether ipBlock matches pod IPs on this CNI (\"can\" exits 2 on them)"}},
		{"antrea: removing the policy is undecided the same way", mustProfile(t, "antrea"), true,
			map[string]string{"pod x/a -> pod x/b": "+no ports -no ports; UNDECIDED all ports", "pod x/a -> pod z/c": "+all ports -no ports"},
			[]string{"3 changes are marked undecided: they depend on whether ipBlock matches pod IPs on this CNI (\"can\" exits 2 on them)"}},
		{"cilium: the pair is newly denied, decided", mustProfile(t, "cilium"), false,
			map[string]string{"pod x/a -> pod x/b": "+no ports -all ports", "pod x/a -> pod z/c": "+no ports -all ports"}, nil},
		{"the API text: the pair does not change", SpecProfile(), false,
			map[string]string{"pod x/a -> pod x/b": "", "pod x/a -> pod z/c": "+no ports -all ports"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, next := withPolicy(t, tc.profile)
			if tc.reverse {
				base, next = next, base
			}
			res := Diff(base, next)
			all := changeMarks(res)
			got := map[string]string{}
			for k := range tc.want {
				got[k] = all[k]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.warnings, kindsOf(res.Warnings, WarnUndecided)); diff != "" {
				t.Errorf("undecided warnings (-want +got):\n%s", diff)
			}
			if res.Summary.Undecided != len(tc.warnings)*3 {
				t.Errorf("summary counts %d undecided pairs", res.Summary.Undecided)
			}
			if res.Profile == nil || res.Profile.Name != tc.profile.Name {
				t.Errorf("diff does not name the profile %q: %v", tc.profile.Name, res.Profile)
			}
		})
	}
}

// TestProfileErr pins that answers over many flows fail, as "can" does,
// when the profile leaves more behaviours unknown than can be judged.
func TestProfileErr(t *testing.T) {
	zero := testSnapshot(t, Options{WorkloadStandIns: true}, append(append(baseObjects(), hostNetPod("x/agent", "app=agent", "10.0.9.9")),
		testPolicies(t, egressToPodCIDR+"\n---\n"+`
metadata: {name: odd-ports}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, endPort: 90}, {port: 82, protocol: SCTP}, {port: serve-80-tcp}]}]`)...)...)
	if err := ProfileErr(zero); err == nil || !strings.Contains(err.Error(), "give --cni NAME") {
		t.Errorf("ProfileErr of a profile that knows nothing = %v, want the error to give --cni", err)
	}
	if err := ProfileErr(testSnapshot(t, Options{Profile: mustProfile(t, "antrea"), WorkloadStandIns: true}, baseObjects()...)); err != nil {
		t.Errorf("ProfileErr of antrea = %v", err)
	}
}
