// Package ciliumdiff compares the verdicts of kubectl-netpol's query engine,
// judging under the Cilium network-plugin profile, with those of Cilium's own
// policy engine (the cilium-oracle binary of .ci/cilium-oracle, Cilium
// v1.20.2) on randomly generated clusters holding NetworkPolicies,
// CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies.
//
// This is a separate Go module so that the product never depends on the
// test; it does not link Cilium either, which is in the oracle's own
// module.
package ciliumdiff

import (
	"fmt"
	"math/rand"
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Family is the kind of cluster generated.
type Family string

const (
	// FamilyNP clusters hold NetworkPolicies only: the engine's Cilium
	// profile against Cilium's own translation of NetworkPolicy.
	FamilyNP Family = "np"
	// FamilyCilium clusters hold 1-5 CiliumNetworkPolicies and
	// CiliumClusterwideNetworkPolicies and 0-3 NetworkPolicies.
	FamilyCilium Family = "cilium"
)

// Families lists the families, in the order totals are reported.
var Families = []Family{FamilyNP, FamilyCilium}

// Cluster is a generated set of objects, raw as a user could write them
// (NetworkPolicies without policyTypes or protocols, container ports
// without protocol); the oracle gets them after the API server's
// defaulting (apiServerDefaults).
type Cluster struct {
	Family Family
	// EnablePolicy is Cilium's enable-policy: "default" or "always".
	EnablePolicy string
	// IPv6 clusters have IPv6 pods and addresses only (single stack).
	IPv6 bool
	// FilteredLabels clusters have labels of filteredLabelVocab on pods
	// and in selectors.
	FilteredLabels bool
	Namespaces     []*corev1.Namespace
	Pods           []*corev1.Pod
	// Externals are the addresses outside the cluster flows go to and
	// come from.
	Externals []string
	Policies  []*networkingv1.NetworkPolicy
	// Cilium holds the CiliumNetworkPolicies and
	// CiliumClusterwideNetworkPolicies (cilium.io/v2), as the engine
	// gets them.
	Cilium []*unstructured.Unstructured
}

// NodeName is the node every generated pod runs on.
const NodeName = "node-1"

// Address plan: pods are 10.0.<ns>.<pod+10> (or fd00:10::<ns>:<pod+10>);
// the external addresses belong to no pod, one of them inside the pod
// range on purpose.
var (
	externalIPv4 = []string{"192.0.2.10", "198.51.100.7", "8.8.8.8", "10.0.200.5"}
	externalIPv6 = []string{"2001:db8::10", "2001:db8:1::5", "2606:4700::1111", "fd00:10::ffff"}
)

func podIP(v6 bool, nsIdx, podIdx int) string {
	if v6 {
		return netip.MustParseAddr(fmt.Sprintf("fd00:10::%x:%x", nsIdx, podIdx+10)).String()
	}
	return fmt.Sprintf("10.0.%d.%d", nsIdx, podIdx+10)
}

// cidrChoice is a canonical CIDR and candidate excepts, each inside it
// (both the API server and Cilium's sanitizer reject others).
type cidrChoice struct {
	cidr    string
	excepts []string
}

var ipv4Blocks = []cidrChoice{
	{"0.0.0.0/0", []string{"10.0.0.0/8", "192.0.2.0/24", "8.8.8.8/32", "10.0.200.5/32", "10.0.0.10/32"}},
	{"10.0.0.0/16", []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.200.0/24", "10.0.1.11/32"}},
	{"10.0.0.0/24", []string{"10.0.0.10/32", "10.0.0.12/31"}},
	{"10.0.200.0/24", nil},
	{"10.0.1.10/32", nil},
	{"192.0.2.0/24", []string{"192.0.2.0/28", "192.0.2.10/32"}},
	{"198.51.100.0/24", []string{"198.51.100.7/32"}},
	{"198.51.100.7/32", nil},
	{"8.0.0.0/7", []string{"8.8.8.0/24"}},
}

var ipv6Blocks = []cidrChoice{
	{"::/0", []string{"2001:db8::/32", "fd00:10::/64", "2606:4700::1111/128"}},
	{"fd00:10::/64", []string{"fd00:10::/112", "fd00:10::ffff/128", "fd00:10::1:a/128"}},
	{"fd00:10::1:0/112", []string{"fd00:10::1:b/128"}},
	{"2001:db8::/32", []string{"2001:db8:1::/48", "2001:db8::10/128"}},
	{"2001:db8::10/128", nil},
	{"2606:4700::/32", nil},
}

// Container port vocabulary. Some names are shared by pods with different
// numbers (http, metrics) or protocols (dns, grpc).
type portVariant struct {
	number int32
	proto  corev1.Protocol
}

var containerPortVocab = map[string][]portVariant{
	"http":     {{80, corev1.ProtocolTCP}, {8080, corev1.ProtocolTCP}},
	"https":    {{443, corev1.ProtocolTCP}},
	"dns":      {{53, corev1.ProtocolUDP}, {53, corev1.ProtocolTCP}, {5353, corev1.ProtocolUDP}},
	"metrics":  {{9090, corev1.ProtocolTCP}, {9100, corev1.ProtocolTCP}},
	"sctp-app": {{7777, corev1.ProtocolSCTP}},
	"grpc":     {{9000, corev1.ProtocolTCP}, {9000, corev1.ProtocolUDP}},
}

// unnamedPorts are container ports without a name.
var unnamedPorts = []portVariant{{8443, corev1.ProtocolTCP}, {6000, corev1.ProtocolUDP}, {3868, corev1.ProtocolSCTP}}

// Names used in policies; "nosuchport" is declared by no pod.
var policyPortNames = []string{"http", "https", "dns", "metrics", "sctp-app", "grpc", "nosuchport"}

var policyPortNumbers = []int32{53, 80, 443, 8080, 8443, 9090, 9100, 7777, 9000, 5353, 6000}

var policyPortRanges = [][2]int32{{80, 90}, {8000, 8100}, {50, 60}, {1, 1024}, {9000, 9999}, {443, 443}, {5000, 5353}}

var protocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

// Label vocabularies and names.
var (
	nsLabelVocab = map[string][]string{
		"env":  {"prod", "dev"},
		"team": {"a", "b"},
	}
	podLabelVocab = map[string][]string{
		"app":  {"web", "db", "api"},
		"role": {"frontend", "backend"},
		"tier": {"one", "two"},
	}
	// filteredLabelVocab are pod labels of clusters with FilteredLabels:
	// two that Cilium's default identity-relevant label filter leaves out
	// of identities (pkg/labelsfilter: !pod-template-hash,
	// !statefulset.kubernetes.io/pod-name), so that no selector sees
	// them, and one it keeps although it is under kubernetes.io (the
	// app.kubernetes.io include outweighs it).
	filteredLabelVocab = map[string][]string{
		"pod-template-hash":                  {"5d8f", "7c9b"},
		"statefulset.kubernetes.io/pod-name": {"db-0", "db-1"},
		"app.kubernetes.io/name":             {"web", "db"},
	}
	serviceAccounts = []string{"", "default", "robot"}
	namespaceNames  = []string{"ns-x", "ns-y", "ns-z", "ns-w"}
	podNames        = []string{"pod-a", "pod-b", "pod-c", "pod-d", "pod-e"}
)

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// some returns a random non-empty subset of xs (in xs's order).
func some[T any](r *rand.Rand, xs []T) []T {
	idx := r.Perm(len(xs))[:1+r.Intn(len(xs))]
	sort.Ints(idx)
	out := make([]T, 0, len(idx))
	for _, i := range idx {
		out = append(out, xs[i])
	}
	return out
}

// randomLabels draws each key of vocab with probability p.
func randomLabels(r *rand.Rand, vocab map[string][]string, p float64) map[string]string {
	l := map[string]string{}
	for _, k := range sortedKeys(vocab) {
		if chance(r, p) {
			l[k] = pick(r, vocab[k])
		}
	}
	return l
}

// Generate returns a random valid cluster of family f, or of a random
// family (half the time each) if f is "". The same *rand.Rand state gives
// the same cluster.
func Generate(r *rand.Rand, f Family) Cluster {
	drawn := Families[r.Intn(len(Families))]
	if f == "" {
		f = drawn
	}
	c := Cluster{Family: f, EnablePolicy: "default", IPv6: chance(r, 0.25), FilteredLabels: chance(r, 0.25)}
	if chance(r, 0.15) {
		c.EnablePolicy = "always"
	}
	c.Externals = externalIPv4
	if c.IPv6 {
		c.Externals = externalIPv6
	}
	nNS := 2 + r.Intn(3)
	for i := 0; i < nNS; i++ {
		name := namespaceNames[i]
		labels := randomLabels(r, nsLabelVocab, 0.6)
		labels["kubernetes.io/metadata.name"] = name
		c.Namespaces = append(c.Namespaces, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		})
		nPods := 2 + r.Intn(4)
		for j := 0; j < nPods; j++ {
			c.Pods = append(c.Pods, generatePod(r, &c, name, podNames[j], podIP(c.IPv6, i, j)))
		}
	}
	nNP, nCilium := 1+r.Intn(4), 0
	if f == FamilyCilium {
		nNP, nCilium = r.Intn(4), 1+r.Intn(5)
	}
	for i := 0; i < nNP; i++ {
		c.Policies = append(c.Policies, generatePolicy(r, &c, pick(r, c.Namespaces).Name, fmt.Sprintf("np-%d", i)))
	}
	for i := 0; i < nCilium; i++ {
		c.Cilium = append(c.Cilium, generateCiliumPolicy(r, &c, i))
	}
	return c
}

// podVocab is the pod label vocabulary of c.
func (c *Cluster) podVocab() map[string][]string {
	if !c.FilteredLabels {
		return podLabelVocab
	}
	v := map[string][]string{}
	for _, m := range []map[string][]string{podLabelVocab, filteredLabelVocab} {
		for k, vs := range m {
			v[k] = vs
		}
	}
	return v
}

func generatePod(r *rand.Rand, c *Cluster, ns, name, ip string) *corev1.Pod {
	labels := randomLabels(r, c.podVocab(), 0.6)
	if len(labels) == 0 {
		labels = nil
	}
	// Named container ports: up to 3 distinct names, unique (number,
	// protocol); sometimes an unnamed port.
	names := sortedKeys(containerPortVocab)
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	type key struct {
		n int32
		p corev1.Protocol
	}
	seen := map[key]bool{}
	var ports []corev1.ContainerPort
	for _, pn := range names[:r.Intn(4)] {
		v := pick(r, containerPortVocab[pn])
		if seen[key{v.number, v.proto}] {
			continue
		}
		seen[key{v.number, v.proto}] = true
		cp := corev1.ContainerPort{Name: pn, ContainerPort: v.number, Protocol: v.proto}
		if v.proto == corev1.ProtocolTCP && chance(r, 0.3) {
			cp.Protocol = "" // defaulted to TCP by the API server
		}
		ports = append(ports, cp)
	}
	if chance(r, 0.3) {
		if v := pick(r, unnamedPorts); !seen[key{v.number, v.proto}] {
			ports = append(ports, corev1.ContainerPort{ContainerPort: v.number, Protocol: v.proto})
		}
	}
	containers := []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10"}}
	if chance(r, 0.3) {
		containers = append(containers, corev1.Container{Name: "side", Image: "registry.k8s.io/pause:3.10"})
	}
	for _, p := range ports {
		ci := r.Intn(len(containers))
		containers[ci].Ports = append(containers[ci].Ports, p)
	}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: NodeName, ServiceAccountName: pick(r, serviceAccounts), Containers: containers},
		Status: corev1.PodStatus{
			Phase:  corev1.PodRunning,
			PodIP:  ip,
			PodIPs: []corev1.PodIP{{IP: ip}},
		},
	}
}

// generateSelector returns a valid label selector over vocab, sometimes
// empty ({}).
func generateSelector(r *rand.Rand, vocab map[string][]string) *metav1.LabelSelector {
	sel := &metav1.LabelSelector{}
	if chance(r, 0.25) {
		return sel
	}
	keys := sortedKeys(vocab)
	mode := r.Intn(3) // 0 matchLabels, 1 matchExpressions, 2 both
	if mode != 1 {
		sel.MatchLabels = map[string]string{}
		for i := 0; i < 1+r.Intn(2); i++ {
			k := pick(r, keys)
			sel.MatchLabels[k] = pick(r, vocab[k])
		}
	}
	if mode != 0 {
		for i := 0; i < 1+r.Intn(2); i++ {
			k := pick(r, keys)
			sel.MatchExpressions = append(sel.MatchExpressions, generateRequirement(r, k, vocab[k]))
		}
	}
	return sel
}

var operators = []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}

func generateRequirement(r *rand.Rand, key string, values []string) metav1.LabelSelectorRequirement {
	req := metav1.LabelSelectorRequirement{Key: key, Operator: pick(r, operators)}
	if req.Operator == metav1.LabelSelectorOpIn || req.Operator == metav1.LabelSelectorOpNotIn {
		req.Values = some(r, values)
	}
	return req
}

// namespaceVocab is nsLabelVocab with the name label.
func namespaceVocab() map[string][]string {
	v := map[string][]string{"kubernetes.io/metadata.name": namespaceNames}
	for k, vs := range nsLabelVocab {
		v[k] = vs
	}
	return v
}

func generatePolicy(r *rand.Rand, c *Cluster, ns, name string) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}
	np.Spec.PodSelector = *generateSelector(r, c.podVocab())
	switch r.Intn(4) {
	case 0, 1: // missing: the API server defaults it
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{pick(r, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress})}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	// ingress/egress: none, [{}], or 1-3 random rules.
	switch r.Intn(5) {
	case 0:
	case 1:
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
	default:
		for i := 0; i < 1+r.Intn(3); i++ {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: generatePeers(r, c), Ports: generatePorts(r)})
		}
	}
	switch r.Intn(5) {
	case 0:
	case 1:
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{}}
	default:
		for i := 0; i < 1+r.Intn(3); i++ {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: generatePeers(r, c), Ports: generatePorts(r)})
		}
	}
	return np
}

func generatePeers(r *rand.Rand, c *Cluster) []networkingv1.NetworkPolicyPeer {
	if chance(r, 0.2) {
		return nil
	}
	var peers []networkingv1.NetworkPolicyPeer
	for i := 0; i < 1+r.Intn(3); i++ {
		var p networkingv1.NetworkPolicyPeer
		switch r.Intn(5) {
		case 0:
			p.PodSelector = generateSelector(r, c.podVocab())
		case 1:
			p.NamespaceSelector = generateSelector(r, namespaceVocab())
		case 2:
			p.PodSelector = generateSelector(r, c.podVocab())
			p.NamespaceSelector = generateSelector(r, namespaceVocab())
		default:
			cc := pickBlock(r, c)
			p.IPBlock = &networkingv1.IPBlock{CIDR: cc.cidr}
			if len(cc.excepts) > 0 && chance(r, 0.5) {
				p.IPBlock.Except = some(r, cc.excepts)
			}
		}
		peers = append(peers, p)
	}
	return peers
}

// pickBlock picks a CIDR of the cluster's family, now and then of the
// other (which selects nothing there).
func pickBlock(r *rand.Rand, c *Cluster) cidrChoice {
	v6 := c.IPv6
	if chance(r, 0.1) {
		v6 = !v6
	}
	if v6 {
		return pick(r, ipv6Blocks)
	}
	return pick(r, ipv4Blocks)
}

func generatePorts(r *rand.Rand) []networkingv1.NetworkPolicyPort {
	if chance(r, 0.35) {
		return nil
	}
	var ports []networkingv1.NetworkPolicyPort
	for i := 0; i < 1+r.Intn(3); i++ {
		var p networkingv1.NetworkPolicyPort
		if !chance(r, 0.35) { // else protocol missing (defaults to TCP)
			proto := pick(r, protocols)
			p.Protocol = &proto
		}
		switch r.Intn(6) {
		case 0: // every port of the protocol
		case 1, 2:
			port := intstr.FromInt32(pick(r, policyPortNumbers))
			p.Port = &port
		case 3, 4:
			rg := pick(r, policyPortRanges)
			port := intstr.FromInt32(rg[0])
			end := rg[1]
			p.Port, p.EndPort = &port, &end
		case 5:
			port := intstr.FromString(pick(r, policyPortNames))
			p.Port = &port
		}
		ports = append(ports, p)
	}
	return ports
}
