package gen

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func cilium(objs []runtime.Object, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if u, ok := o.(*unstructured.Unstructured); ok && u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

func withoutCilium(objs []runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, o := range objs {
		if _, ok := o.(*unstructured.Unstructured); !ok {
			out = append(out, o)
		}
	}
	return out
}

func TestCiliumExactCounts(t *testing.T) {
	for _, cfg := range []Config{
		{Pods: 0, CiliumPolicies: 3, Seed: 1},
		{Pods: 5, CiliumPolicies: 40, Namespaces: 1, Seed: 2},
		{Pods: 99, Policies: 20, CiliumPolicies: 20, Seed: 4},
		{Pods: 250, CiliumPolicies: 400, Namespaces: 3, Seed: 6},
		{Pods: 1000, CiliumPolicies: 200, Seed: 7},
		{Pods: 2000, Policies: 200, CiliumPolicies: 200, Seed: 8},
		{Pods: 3000, CiliumPolicies: 30, Seed: 9},
	} {
		objs := Cluster(cfg)
		if got := len(cilium(objs, "CiliumNetworkPolicy")); got != cfg.CiliumPolicies {
			t.Errorf("%+v: %d CiliumNetworkPolicies", cfg, got)
		}
		if got := len(cilium(objs, "CiliumClusterwideNetworkPolicy")); got != len(ClusterwidePolicies) {
			t.Errorf("%+v: %d CiliumClusterwideNetworkPolicies, want %d", cfg, got, len(ClusterwidePolicies))
		}
		if got := count[*networkingv1.NetworkPolicy](objs); got != cfg.Policies {
			t.Errorf("%+v: %d NetworkPolicies", cfg, got)
		}
	}
	if got := len(cilium(Cluster(Config{Pods: 500, Policies: 100, Seed: 1}), "CiliumClusterwideNetworkPolicy")); got != 0 {
		t.Errorf("a cluster without CiliumNetworkPolicies has %d cluster-wide ones", got)
	}
}

// TestCiliumLeavesTheRestAlone pins that the Cilium policies come from a
// stream of their own: the other objects are those of the cluster
// without them, and the same seed gives the same policies.
func TestCiliumLeavesTheRestAlone(t *testing.T) {
	cfg := Config{Pods: 800, Policies: 160, Seed: 3}
	plain := Cluster(cfg)
	cfg.CiliumPolicies = 160
	with := Cluster(cfg)
	if !reflect.DeepEqual(withoutCilium(with), plain) {
		t.Fatal("the cluster's other objects change with CiliumPolicies")
	}
	if !reflect.DeepEqual(with, Cluster(cfg)) {
		t.Fatal("two clusters from the same seed differ")
	}
	cfg.Seed++
	if reflect.DeepEqual(cilium(with, "CiliumNetworkPolicy"), cilium(Cluster(cfg), "CiliumNetworkPolicy")) {
		t.Fatal("Cilium policies from different seeds are equal")
	}
}

// TestCiliumLoads writes clusters with Cilium policies (alone and beside
// NetworkPolicies) as manifests and reads them back as kubectl netpol
// does: the loader warns of nothing, every policy compiles, none is left
// unevaluated and the map has no warning (no undecided or ambiguous
// edge).
func TestCiliumLoads(t *testing.T) {
	for _, cfg := range []Config{
		{Pods: 2000, CiliumPolicies: 400, Seed: 1},
		{Pods: 2000, CiliumPolicies: 400, Seed: 2},
		{Pods: 1000, Policies: 100, CiliumPolicies: 100, Seed: 3},
		{Pods: 300, CiliumPolicies: 600, Seed: 4}, // fillers of every kind
	} {
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			objs := Cluster(cfg)
			for _, o := range objs {
				if u, ok := o.(*unstructured.Unstructured); ok {
					if err := query.CheckPluginObject(u); err != nil {
						t.Errorf("%s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
					}
				}
			}
			dir := t.TempDir()
			if err := WriteManifests(dir, objs); err != nil {
				t.Fatal(err)
			}
			var warn bytes.Buffer
			got, err := load.Manifests(load.Source{Filenames: []string{dir}, Namespace: "default"}, &warn)
			if err != nil {
				t.Fatal(err)
			}
			if warn.Len() > 0 {
				t.Errorf("loader warnings:\n%s", warn.String())
			}
			if len(got) != len(objs) {
				t.Fatalf("read back %d objects, wrote %d", len(got), len(objs))
			}
			snap, err := query.NewSnapshot(got, query.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if u := snap.Unevaluated(); len(u) > 0 {
				t.Errorf("unevaluated: %v", u)
			}
			if w := snap.Graph(query.GraphOptions{}).Warnings; len(w) > 0 {
				t.Errorf("map warnings: %v", w)
			}
		})
	}
}

// unitEdges are the map's edges between workloads, with their ports.
func unitEdges(t *testing.T, objs []runtime.Object) map[string]string {
	t.Helper()
	snap, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	g := snap.Graph(query.GraphOptions{})
	external := map[string]bool{}
	for _, n := range g.Nodes {
		external[n.ID] = n.Kind == "External"
	}
	out := map[string]string{}
	for _, e := range g.Edges {
		if !external[e.From] && !external[e.To] {
			out[e.From+" -> "+e.To] = e.Ports.String()
		}
	}
	return out
}

// TestCiliumChangesReachability checks that the Cilium policies are not
// decoration: the map between workloads with them differs from the map
// without, and taking away one policy at a time changes it for a fair
// share of them. The rest are redundant by design: default deny in a
// namespace whose workloads all have allow-lists, DNS allowed twice,
// stale policies, guard rails no call crosses; beside NetworkPolicies,
// also the CiliumNetworkPolicies that allow the same calls as the
// NetworkPolicies of their namespace. (Seeds 1 to 5 give 57-71% alone
// and 37-53% beside NetworkPolicies.)
func TestCiliumChangesReachability(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		atLeast float64
	}{
		{Config{Pods: 400, CiliumPolicies: 80, Seed: 1}, 0.5},
		{Config{Pods: 400, Policies: 40, CiliumPolicies: 40, Seed: 1}, 1.0 / 3},
	} {
		cfg := tc.cfg
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			objs := Cluster(cfg)
			all := unitEdges(t, objs)
			if reflect.DeepEqual(all, unitEdges(t, withoutCilium(objs))) {
				t.Fatal("the map is the same without the Cilium policies")
			}
			changed, total := 0, 0
			var kinds []string
			for i, o := range objs {
				u, ok := o.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				total++
				rest := append(append([]runtime.Object{}, objs[:i]...), objs[i+1:]...)
				if !reflect.DeepEqual(all, unitEdges(t, rest)) {
					changed++
					kinds = append(kinds, u.GetName())
				}
			}
			t.Logf("%d of %d Cilium policies change the map alone: %s", changed, total, strings.Join(kinds, " "))
			if float64(changed) < tc.atLeast*float64(total) {
				t.Errorf("only %d of %d Cilium policies change the map when taken away", changed, total)
			}
		})
	}
}

// TestCiliumShapes checks that a cluster, and one with policies to spare
// (fillers), have the shapes the Cilium generator promises.
func TestCiliumShapes(t *testing.T) {
	seen := map[string]int{}
	objs := append(Cluster(Config{Pods: 2000, CiliumPolicies: 400, Seed: 1}), Cluster(Config{Pods: 300, CiliumPolicies: 300, Seed: 1})...)
	for _, u := range cilium(objs, "CiliumNetworkPolicy") {
		var p ciliumPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
			t.Fatal(err)
		}
		rules := p.Specs
		if p.Spec != nil {
			rules = append(rules, *p.Spec)
		} else {
			seen["specs"]++
		}
		for _, r := range rules {
			ciliumShapes(&r, seen)
		}
	}
	for _, want := range []string{
		"specs", "ingress: [{}]", "egress: [{}]", "ingressDeny", "egressDeny", "enableDefaultDeny false",
		"fromEndpoints", "toEndpoints", "peer namespace name", "peer namespace labels", "peer matchExpressions",
		"peer {}", "fromCIDR", "fromCIDRSet except", "toCIDR", "toCIDRSet except", "toCIDRSet IPv6",
		"fromEntities world", "fromEntities cluster", "fromEntities all", "toEntities world", "toEntities cluster",
		"toPorts only", "port number", "named port", "endPort", "protocol ANY", "UDP", "L7 http", "L7 dns", "icmps",
		"selector with source",
	} {
		if seen[want] == 0 {
			t.Errorf("no %s in the cluster", want)
		}
	}
	t.Logf("%v", seen)
}

func ciliumShapes(r *ciliumRule, seen map[string]int) {
	if r.EnableDefaultDeny != nil {
		seen["enableDefaultDeny false"]++
	}
	for k := range r.EndpointSelector.MatchLabels {
		if strings.HasPrefix(k, "k8s:") {
			seen["selector with source"]++
		}
	}
	peers := func(p *ciliumPeers) {
		eps := append(append([]metav1.LabelSelector{}, p.FromEndpoints...), p.ToEndpoints...)
		for _, s := range eps {
			if len(s.MatchLabels)+len(s.MatchExpressions) == 0 {
				seen["peer {}"]++
			}
			if len(s.MatchExpressions) > 0 {
				seen["peer matchExpressions"]++
			}
			for k := range s.MatchLabels {
				switch {
				case k == ciliumNSKey:
					seen["peer namespace name"]++
				case strings.HasPrefix(k, ciliumNSLabels):
					seen["peer namespace labels"]++
				}
			}
		}
		add := func(name string, n int) {
			if n > 0 {
				seen[name]++
			}
		}
		add("fromEndpoints", len(p.FromEndpoints))
		add("toEndpoints", len(p.ToEndpoints))
		add("fromCIDR", len(p.FromCIDR))
		add("toCIDR", len(p.ToCIDR))
		for _, c := range p.FromCIDRSet {
			add("fromCIDRSet except", len(c.Except))
		}
		for _, c := range p.ToCIDRSet {
			add("toCIDRSet except", len(c.Except))
			if strings.Contains(c.CIDR, ":") {
				seen["toCIDRSet IPv6"]++
			}
		}
		for _, e := range p.FromEntities {
			seen["fromEntities "+e]++
		}
		for _, e := range p.ToEntities {
			seen["toEntities "+e]++
		}
		add("icmps", len(p.ICMPs))
		if len(eps)+len(p.FromCIDR)+len(p.ToCIDR)+len(p.FromCIDRSet)+len(p.ToCIDRSet)+len(p.FromEntities)+len(p.ToEntities) == 0 && len(p.ToPorts) > 0 {
			seen["toPorts only"]++
		}
		for _, pr := range p.ToPorts {
			if pr.Rules != nil {
				add("L7 http", len(pr.Rules.HTTP))
				add("L7 dns", len(pr.Rules.DNS))
			}
			for _, pt := range pr.Ports {
				switch {
				case pt.EndPort != 0:
					seen["endPort"]++
				case isPortName(pt.Port):
					seen["named port"]++
				default:
					seen["port number"]++
				}
				switch pt.Protocol {
				case "", "ANY":
					seen["protocol ANY"]++
				case "UDP":
					seen["UDP"]++
				}
			}
		}
	}
	for _, list := range []struct {
		name  string
		rules []ciliumPeers
	}{{"ingress", r.Ingress}, {"ingressDeny", r.IngressDeny}, {"egress", r.Egress}, {"egressDeny", r.EgressDeny}} {
		for i := range list.rules {
			seen[list.name]++
			if reflect.DeepEqual(list.rules[i], ciliumPeers{}) {
				seen[list.name+": [{}]"]++
			}
			peers(&list.rules[i])
		}
	}
}

func isPortName(s string) bool {
	return strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz")
}
