package query_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func loadSnapshot(t *testing.T, files ...string) *query.Snapshot {
	t.Helper()
	s, err := query.NewSnapshot(loadObjects(t, files...), query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loadObjects reads manifests as the command does.
func loadObjects(t *testing.T, files ...string) []runtime.Object {
	t.Helper()
	objs, err := load.Manifests(load.Source{Filenames: files, Namespace: "default"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// canPorts is what "can" answers for a pair of workloads: the ports every
// pod pair may use; empty when either side does not exist.
func canPorts(t *testing.T, s *query.Snapshot, src, dst string) query.PortSet {
	t.Helper()
	ports, _ := canAnswer(t, s, src, dst)
	return ports
}

// canAnswer asks "can src dst" for all ports: the allowed ports, and the
// ports it says are ambiguous.
func canAnswer(t *testing.T, s *query.Snapshot, src, dst string) (ports, ambiguous query.PortSet) {
	t.Helper()
	f, err := query.ParseFlow([]string{src, dst})
	if err != nil {
		t.Fatal(err)
	}
	ans, err := s.Can(f, "default")
	if err != nil {
		return query.PortSet{}, query.PortSet{}
	}
	for _, a := range ans.Ambiguities {
		ambiguous = ambiguous.Union(a.Ports)
	}
	return ans.AllowedPorts, ambiguous
}

// endpointOf turns "deployment prod/api" into "prod/deployment/api", and
// "pods prod/{app=x}" into the selector "prod/app=x".
func endpointOf(unit string) string {
	kind, key, _ := strings.Cut(unit, " ")
	ns, name, _ := strings.Cut(key, "/")
	if kind == "pods" {
		return ns + "/" + strings.Trim(name, "{}")
	}
	return ns + "/" + kind + "/" + name
}

// checkDiffAgreesWithCan compares Diff with "can" asked pair by pair before
// and after, for every pair of workloads of either snapshot.
func checkDiffAgreesWithCan(t *testing.T, base, next *query.Snapshot) {
	t.Helper()
	units := map[string]bool{}
	pods := map[string]int{}
	for _, s := range []*query.Snapshot{base, next} {
		for _, u := range s.Units("") {
			units[u.String()] = true
			pods[u.String()] = max(pods[u.String()], len(u.Pods))
		}
	}
	got := map[string]string{}
	for _, c := range query.Diff(base, next).Changes {
		if units[c.Source] && units[c.Destination] {
			got[c.Source+" -> "+c.Destination] = c.Before.String() + " => " + c.After.String()
		}
	}
	want := map[string]string{}
	for a := range units {
		for b := range units {
			if a == b && pods[a] < 2 {
				continue // a single pod talking to itself: always allowed, not policy
			}
			before := canPorts(t, base, endpointOf(a), endpointOf(b))
			after := canPorts(t, next, endpointOf(a), endpointOf(b))
			if !before.Equal(after) {
				want[a+" -> "+b] = before.String() + " => " + after.String()
			}
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: diff says %q, can pair by pair says %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: diff reports %q, but can pair by pair sees no change", k, g)
		}
	}
}

func TestDiffScenariosAgreeWithCan(t *testing.T) {
	threeTier := loadSnapshot(t, "../testdata/three-tier/")
	withFile := func(s *query.Snapshot, file string) *query.Snapshot {
		objs, err := load.Manifests(load.Source{Filenames: []string{file}, Namespace: "default"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		next, err := s.With(objs...)
		if err != nil {
			t.Fatal(err)
		}
		return next
	}
	loose := loadSnapshot(t, "../testdata/whatif/shop/", "../testdata/whatif/db-loose.yaml")
	tight := loadSnapshot(t, "../testdata/whatif/shop/", "../testdata/whatif/db-tight.yaml")
	without, err := threeTier.Without(query.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]*query.Snapshot{
		"default deny in dev":         {threeTier, withFile(threeTier, "../testdata/whatif/deny-all-dev.yaml")},
		"tightened database policy":   {loose, withFile(loose, "../testdata/whatif/db-tight.yaml")},
		"relabelled namespace":        {tight, withFile(tight, "../testdata/whatif/test-relabelled.yaml")},
		"deleted policy":              {threeTier, without},
		"no change":                   {threeTier, withFile(threeTier, "../testdata/whatif/no-change.yaml")},
		"namespace deleted":           {threeTier, mustWithout(t, threeTier, query.ObjectRef{Kind: "Namespace", Name: "kube-system"})},
		"workload relabelled in prod": {threeTier, relabelDeployment(t, threeTier)},
	} {
		t.Run(name, func(t *testing.T) { checkDiffAgreesWithCan(t, pair[0], pair[1]) })
	}
}

func mustWithout(t *testing.T, s *query.Snapshot, refs ...query.ObjectRef) *query.Snapshot {
	t.Helper()
	next, err := s.Without(refs...)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// relabelDeployment gives prod/web's pods role=api, as a changed Deployment
// would.
func relabelDeployment(t *testing.T, s *query.Snapshot) *query.Snapshot {
	t.Helper()
	objs, err := load.Manifests(load.Source{Filenames: []string{"../testdata/three-tier/app-prod.yaml"}, Namespace: "default"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok && d.Name == "web" {
			d = d.DeepCopy()
			d.Spec.Template.Labels["role"] = "api"
			next, err := s.With(d)
			if err != nil {
				t.Fatal(err)
			}
			return next
		}
	}
	t.Fatal("no deployment web")
	return nil
}

// TestDiffRandomOverlaysAgreeWithCan applies random policies, namespace
// relabels and deletions to the example and checks Diff against "can".
func TestDiffRandomOverlaysAgreeWithCan(t *testing.T) {
	base := loadSnapshot(t, "../testdata/three-tier/")
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		var objs []runtime.Object
		for i := range 1 + r.IntN(3) {
			objs = append(objs, randomPolicy(r, fmt.Sprintf("random-%d", i)))
		}
		if r.IntN(3) == 0 {
			objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pick(r, "dev", "test", "prod"), Labels: map[string]string{"env": pick(r, "prod", "dev", "staging")}}})
		}
		for i := range r.IntN(3) {
			objs = append(objs, randomClusterPolicy(r, fmt.Sprintf("cnp-%d", i)))
		}
		next, err := base.With(objs...)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if r.IntN(3) == 0 {
			next = mustWithout(t, next, query.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: pick(r, "db", "api", "web", "default-deny", "allow-dns")})
		}
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { checkDiffAgreesWithCan(t, base, next) })
	}
}

// randomClusterPolicy makes an Admin or Baseline tier ClusterNetworkPolicy
// over the example's labels, with every action, peer kind and protocol
// shape.
func randomClusterPolicy(r *rand.Rand, name string) *npav1beta1.ClusterNetworkPolicy {
	nsSel := func() *metav1.LabelSelector {
		if r.IntN(3) == 0 {
			return &metav1.LabelSelector{}
		}
		return &metav1.LabelSelector{MatchLabels: map[string]string{"env": pick(r, "prod", "dev", "test")}}
	}
	pods := func() *npav1beta1.NamespacedPod {
		return &npav1beta1.NamespacedPod{NamespaceSelector: *nsSel(), PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": pick(r, "web", "api", "db")}}}
	}
	protocols := func() []npav1beta1.ClusterNetworkPolicyProtocol {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []npav1beta1.ClusterNetworkPolicyProtocol{{TCP: &npav1beta1.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1beta1.Port{Number: int32([]int{80, 3306, 5000}[r.IntN(3)])}}}}
		case 2:
			return []npav1beta1.ClusterNetworkPolicyProtocol{{TCP: &npav1beta1.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1beta1.Port{Range: &npav1beta1.PortRange{Start: 1000, End: 5000}}}}, {UDP: &npav1beta1.ClusterNetworkPolicyProtocolUDP{DestinationPort: &npav1beta1.Port{Number: 53}}}}
		default:
			return []npav1beta1.ClusterNetworkPolicyProtocol{{DestinationNamedPort: pick(r, "mysql", "http")}}
		}
	}
	action := func() npav1beta1.ClusterNetworkPolicyRuleAction {
		return npav1beta1.ClusterNetworkPolicyRuleAction(pick(r, "Accept", "Deny", "Pass"))
	}
	c := &npav1beta1.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Spec.Tier = npav1beta1.Tier(pick(r, "Admin", "Baseline"))
	c.Spec.Priority = int32(r.IntN(50))
	if r.IntN(2) == 0 {
		c.Spec.Subject.Namespaces = nsSel()
	} else {
		c.Spec.Subject.Pods = pods()
	}
	for range r.IntN(3) {
		rule := npav1beta1.ClusterNetworkPolicyIngressRule{Action: action(), Protocols: protocols()}
		if r.IntN(2) == 0 {
			rule.From = []npav1beta1.ClusterNetworkPolicyIngressPeer{{Namespaces: nsSel()}}
		} else {
			rule.From = []npav1beta1.ClusterNetworkPolicyIngressPeer{{Pods: pods()}}
		}
		c.Spec.Ingress = append(c.Spec.Ingress, rule)
	}
	for range r.IntN(3) {
		rule := npav1beta1.ClusterNetworkPolicyEgressRule{Action: action(), Protocols: protocols()}
		switch r.IntN(3) {
		case 0:
			rule.To = []npav1beta1.ClusterNetworkPolicyEgressPeer{{Namespaces: nsSel()}}
		case 1:
			rule.To = []npav1beta1.ClusterNetworkPolicyEgressPeer{{Pods: pods()}}
		default:
			if rule.Protocols != nil && rule.Protocols[0].DestinationNamedPort != "" {
				rule.Protocols = nil
			}
			rule.To = []npav1beta1.ClusterNetworkPolicyEgressPeer{{Networks: []npav1beta1.CIDR{npav1beta1.CIDR(pick(r, "192.168.0.0/16", "192.168.5.0/24", "0.0.0.0/0"))}}}
		}
		c.Spec.Egress = append(c.Spec.Egress, rule)
	}
	return c
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func randomPolicy(r *rand.Rand, name string) *networkingv1.NetworkPolicy {
	sel := func() *metav1.LabelSelector {
		if r.IntN(4) == 0 {
			return &metav1.LabelSelector{}
		}
		return &metav1.LabelSelector{MatchLabels: map[string]string{"role": pick(r, "web", "api", "db")}}
	}
	peer := func() networkingv1.NetworkPolicyPeer {
		switch r.IntN(4) {
		case 0:
			return networkingv1.NetworkPolicyPeer{PodSelector: sel()}
		case 1:
			return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": pick(r, "prod", "dev", "test")}}}
		case 2:
			return networkingv1.NetworkPolicyPeer{PodSelector: sel(), NamespaceSelector: &metav1.LabelSelector{}}
		default:
			return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.0.0/16", Except: []string{"192.168.5.0/24"}}}
		}
	}
	ports := func() []networkingv1.NetworkPolicyPort {
		if r.IntN(3) == 0 {
			return nil
		}
		p := []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(int32([]int{80, 3306, 5000}[r.IntN(3)])))}}
		if r.IntN(2) == 0 {
			p = append(p, networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromString(pick(r, "mysql", "http"))), Protocol: ptr.To(corev1.ProtocolTCP)})
		}
		return p
	}
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: pick(r, "prod", "dev", "test"), Name: name}}
	np.Spec.PodSelector = *sel()
	if r.IntN(2) == 0 {
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{peer()}, Ports: ports()}}
	}
	if r.IntN(2) == 0 {
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{peer(), peer()}, Ports: ports()}}
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	return np
}

// TestDiffOnGeneratedClustersAgreesWithCan applies random changes to
// generated clusters: deleting a policy, relabelling a namespace, adding a
// policy.
func TestDiffOnGeneratedClustersAgreesWithCan(t *testing.T) {
	for seed := range int64(4) {
		objs := gen.Cluster(gen.Config{Pods: 120, Policies: 30, Seed: seed})
		base, err := query.NewSnapshot(objs, query.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		var policies []*networkingv1.NetworkPolicy
		var namespaces []*corev1.Namespace
		for _, o := range objs {
			switch o := o.(type) {
			case *networkingv1.NetworkPolicy:
				policies = append(policies, o)
			case *corev1.Namespace:
				namespaces = append(namespaces, o)
			}
		}
		victim := policies[r.IntN(len(policies))]
		next := mustWithout(t, base, query.ObjectRef{Kind: "NetworkPolicy", Namespace: victim.Namespace, Name: victim.Name})
		ns := namespaces[r.IntN(len(namespaces))].DeepCopy()
		ns.Labels["env"] = pick(r, "prod", "staging", "dev")
		added := randomPolicy(r, "random")
		added.Namespace = namespaces[r.IntN(len(namespaces))].Name
		next, err = next.With(ns, added)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %d pairs change", seed, query.Diff(base, next).Summary.Pairs)
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { checkDiffAgreesWithCan(t, base, next) })
	}
}

// BenchmarkDiffOnePolicyChanged is "diff --with changed-policy.yaml" on a
// generated 2,000-pod / 400-policy cluster: the overlay and the comparison
// (reading the manifests is measured by the map benchmarks).
func BenchmarkDiffOnePolicyChanged(b *testing.B) {
	objs := gen.Cluster(gen.Config{Pods: 2000, Policies: 400, Seed: 1})
	base, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	var changed *networkingv1.NetworkPolicy
	for _, o := range objs {
		if np, ok := o.(*networkingv1.NetworkPolicy); ok && len(np.Spec.Ingress) > 0 && len(np.Spec.PodSelector.MatchLabels) > 0 {
			changed = np.DeepCopy()
			break
		}
	}
	// Open the policy's workload to every namespace.
	changed.Spec.Ingress = append(changed.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{
		From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
	})
	b.ResetTimer()
	for b.Loop() {
		next, err := base.With(changed)
		if err != nil {
			b.Fatal(err)
		}
		res := query.Diff(base, next)
		b.ReportMetric(float64(res.Summary.Pairs), "changed-pairs")
	}
}
