package query

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// TestRangeMatchesAsPerPod checks rangeMatches, which tries range peers on
// one pod per stretch of addresses, against trying each on every pod: on
// generated clusters with NetworkPolicy ipBlocks (excepts, IPv6, /32s) and
// Cilium CIDR peers, and on pods at the edges: on a range's first and
// last address and just past it, host-network, IPv6, without IP.
func TestRangeMatchesAsPerPod(t *testing.T) {
	edge := func(name, ip string, host bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Labels: map[string]string{"app": "a"}}}
		p.Spec.HostNetwork = host
		if ip != "" {
			p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
			p.Status.PodIP = ip
		}
		return p
	}
	policy := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "p"}}
	policy.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{
		{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/24", Except: []string{"10.0.0.128/25"}}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.64/26"}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "fd00::/64"}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}},
	}}}
	policy.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	edges := []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, policy}
	for i, ip := range []string{"10.0.0.0", "10.0.0.63", "10.0.0.64", "10.0.0.127", "10.0.0.128", "10.0.0.255", "10.0.1.0",
		"9.255.255.255", "11.0.0.0", "fd00::1", "fd00:0:0:1::", "fe80::1", ""} {
		edges = append(edges, edge(fmt.Sprint("p", i), ip, false), edge(fmt.Sprint("h", i), ip, true))
	}
	inputs := map[string][]runtime.Object{
		"edges":     edges,
		"generated": gen.Cluster(gen.Config{Pods: 600, Policies: 150, Seed: 3}),
		"cilium":    gen.Cluster(gen.Config{Pods: 600, Policies: 60, CiliumPolicies: 60, Seed: 4}),
	}
	for name, objs := range inputs {
		t.Run(name, func(t *testing.T) {
			s, err := NewSnapshot(objs, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			byAddr := s.addressPeers()
			ids, answers := s.rangeMatches(byAddr)
			n := 0
			for i, p := range s.pods {
				end := podEnd(p)
				for j, pe := range byAddr {
					if !rangePeer(pe) {
						continue
					}
					n++
					want := byte('0')
					if s.matchPeer(pe, ActionAccept, end) == missNone {
						want = '1'
					}
					if got := answers[ids[i]][j]; got != want {
						t.Errorf("pod %s, peer %s %s: rangeMatches %c, matchPeer %c", p.Key(), pe.kind, pe.text, got, want)
					}
				}
			}
			if n < 20 {
				t.Errorf("only %d pod-peer pairs checked", n)
			}
		})
	}
}

// TestAllowListPoliciesPerClass checks that the allow-list policies kept per
// class are, for every pod, those that select it: on generated clusters
// with NetworkPolicies, and with Cilium's policies under the Cilium
// profile.
func TestAllowListPoliciesPerClass(t *testing.T) {
	for _, tc := range []struct {
		cfg  gen.Config
		opts Options
	}{
		{gen.Config{Pods: 400, Policies: 80, Seed: 11}, DefaultOptions()},
		{gen.Config{Pods: 400, Policies: 40, CiliumPolicies: 40, Seed: 12}, ciliumOptions()},
	} {
		s, err := NewSnapshot(gen.Cluster(tc.cfg), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Classes()
		judged := 0
		for _, p := range s.pods {
			for _, d := range []Direction{Ingress, Egress} {
				got := s.allowListPolicies(d, p)
				want := slices.Collect(s.judging(stageNetworkPolicy, d, p))
				if !slices.Equal(got, want) {
					t.Errorf("seed %d: %s %s: per class %v, by its own labels %v", tc.cfg.Seed, p.Key(), d, policyKeys(got), policyKeys(want))
				}
				judged += len(want)
			}
		}
		if judged == 0 {
			t.Errorf("seed %d: no pod is judged by any policy: the test checks nothing", tc.cfg.Seed)
		}
	}
}

func policyKeys(ps []*Policy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.key())
	}
	return out
}

// ciliumOptions are the default options under the Cilium profile.
func ciliumOptions() Options {
	opts := DefaultOptions()
	opts.Profile, _ = ProfileNamed("cilium")
	return opts
}

// TestClassesSplitByAddress checks that pods alike but for their address
// fall in different classes where an ipBlock tells them apart, and in one
// where none does.
func TestClassesSplitByAddress(t *testing.T) {
	objs := append([]runtime.Object{
		testNamespace("x", ""),
		testPod("x/client", "app=client", "10.0.9.1"),
		testPod("x/in-a", "app=db", "10.0.0.1"),
		testPod("x/in-b", "app=db", "10.0.0.2"),
		testPod("x/out", "app=db", "192.168.0.1"),
	}, testPolicies(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-range, namespace: x}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	s.Classes()
	class := map[string]*Class{}
	for _, p := range s.pods {
		class[p.Name] = s.classOf[p]
	}
	if class["in-a"] != class["in-b"] {
		t.Errorf("x/in-a and x/in-b are in different classes: no ipBlock tells them apart")
	}
	if class["in-a"] == class["out"] {
		t.Errorf("x/in-a and x/out are in one class: the ipBlock 10.0.0.0/24 holds only the first")
	}
	// Per class pair, as the map and diff judge: some db pods may be
	// reached from the client, not every one.
	var client, db []*Pod
	for _, p := range s.pods {
		if p.Name == "client" {
			client = append(client, p)
		} else {
			db = append(db, p)
		}
	}
	all, some := s.unitPorts(client, db)
	if !all.IsEmpty() || some.IsEmpty() {
		t.Errorf("client -> db pods: every pair %s, some pair %s; want none and some", all, some)
	}
}

// TestTwoPerClass checks that twoPerClass keeps the first two pods of each
// class in order, with few classes and with more than its slice holds.
func TestTwoPerClass(t *testing.T) {
	var objs []runtime.Object
	objs = append(objs, testNamespace("x", ""))
	for i := range 60 {
		objs = append(objs, testPod(fmt.Sprintf("x/p%02d", i), fmt.Sprintf("app=a%d", i%20), fmt.Sprintf("10.0.0.%d", i+1)))
	}
	s := testSnapshot(t, DefaultOptions(), objs...)
	s.Classes()
	for _, n := range []int{1, 5, 17, 60} {
		pods := s.pods[:n]
		var want [][]*Pod
		at := map[*Class]int{}
		for _, p := range pods {
			if i, ok := at[s.classOf[p]]; !ok {
				at[s.classOf[p]] = len(want)
				want = append(want, []*Pod{p})
			} else if len(want[i]) < 2 {
				want[i] = append(want[i], p)
			}
		}
		got := s.twoPerClass(pods)
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%d pods: kept %d groups, want %d", n, len(got), len(want))
		}
	}
}
