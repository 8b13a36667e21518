// Package differential compares the verdicts of kubectl-netpol's query engine
// with those of the SIG Network reference implementation,
// sigs.k8s.io/kube-network-policies, on randomly generated clusters.
//
// This is a separate Go module so that the product never depends on the
// reference implementation.
package differential

import (
	"fmt"
	"math/rand"
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// Cluster is a generated set of objects. The objects are "raw": exactly what a
// user could write in a manifest (policyTypes may be missing, protocols may be
// nil, `ingress: []` may be an empty non-nil slice, container port protocols
// may be empty). Use APIServerDefaults to get what a live API server would
// store.
//
// Family says which cluster-scoped policies the cluster may hold and so which
// of the reference's evaluator pipelines judges it (see Family). A
// ClusterNetworkPolicy whose TypeMeta.APIVersion is v1beta1 is given to the
// engine converted to v1beta1 (the reference always gets v1alpha2).
type Cluster struct {
	Family     Family
	Namespaces []*corev1.Namespace
	Pods       []*corev1.Pod
	Policies   []*networkingv1.NetworkPolicy
	CNPs       []*npav1alpha2.ClusterNetworkPolicy     // FamilyCNP only
	ANPs       []*npav1alpha1.AdminNetworkPolicy       // FamilyANP only
	BANP       *npav1alpha1.BaselineAdminNetworkPolicy // FamilyANP only; named "default"
}

// NodeName is the node every generated pod runs on.
const NodeName = "node-1"

// Address plan.
//
// Pods have exactly one IP. Most pods are IPv4 (10.0.<ns>.<pod+10>); in about
// a third of the clusters some pods are IPv6 (fd00:10::<ns>:<pod+10>) instead.
// Pod-to-pod flows are only generated between pods of the same family, and
// pod<->external flows only with external addresses of the pod's family: a
// single-stack pod cannot talk across families, so a verdict for such a flow
// would be meaningless. IPv6 ipBlocks are therefore exercised both against
// IPv6 pod IPs and against external IPv6 addresses.
//
// External addresses belong to no pod (the engine may resolve a pod's IP to
// the pod). Some of them lie inside the pod ranges on purpose.
var (
	ExternalIPv4 = []string{"192.0.2.10", "198.51.100.7", "8.8.8.8", "10.0.200.5"}
	ExternalIPv6 = []string{"2001:db8::10", "2001:db8:1::5", "2606:4700::1111", "fd00:10::ffff"}
)

func podIPv4(nsIdx, podIdx int) string { return fmt.Sprintf("10.0.%d.%d", nsIdx, podIdx+10) }
func podIPv6(nsIdx, podIdx int) string {
	return netip.MustParseAddr(fmt.Sprintf("fd00:10::%x:%x", nsIdx, podIdx+10)).String()
}

// ipBlock vocabulary: canonical CIDRs and strict-subset excepts, so that the
// API server would accept them.
type cidrChoice struct {
	cidr    string
	excepts []string // candidates; each must be a strict subset of cidr
}

var ipv4Blocks = []cidrChoice{
	{"0.0.0.0/0", []string{"10.0.0.0/8", "10.0.1.0/24", "192.0.2.0/24", "10.0.0.10/32", "8.8.8.8/32"}},
	{"10.0.0.0/16", []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.1.11/32", "10.0.200.0/24"}},
	{"10.0.0.0/24", []string{"10.0.0.10/32", "10.0.0.11/32", "10.0.0.12/31"}},
	{"10.0.1.0/24", []string{"10.0.1.10/32", "10.0.1.12/32"}},
	{"10.0.2.0/24", nil},
	{"10.0.3.10/32", nil},
	{"10.0.0.11/32", nil},
	{"10.0.1.8/29", []string{"10.0.1.10/31"}},
	{"192.0.2.0/24", []string{"192.0.2.0/28", "192.0.2.10/32"}},
	{"198.51.100.0/24", nil},
	{"8.0.0.0/7", []string{"8.8.8.0/24"}},
}

var ipv6Blocks = []cidrChoice{
	{"::/0", []string{"2001:db8::/32", "fd00:10::/64", "fd00:10::1:b/128"}},
	{"fd00:10::/64", []string{"fd00:10::/112", "fd00:10::1:0/112", "fd00:10::2:a/128", "fd00:10::ffff/128"}},
	{"fd00:10::1:0/112", []string{"fd00:10::1:a/128"}},
	{"fd00:10::a/128", nil},
	{"fd00:10::2:0/112", nil},
	{"2001:db8::/32", []string{"2001:db8:1::/48", "2001:db8::10/128"}},
	{"2001:db8::/64", nil},
	{"2606:4700::/32", nil},
}

// Container port vocabulary. Some names are shared by pods with different
// numbers (http, serve-80-tcp, metrics) or different protocols (dns, grpc).
type portVariant struct {
	number int32
	proto  corev1.Protocol
}

var containerPortVocab = map[string][]portVariant{
	"http":         {{80, corev1.ProtocolTCP}, {8080, corev1.ProtocolTCP}},
	"https":        {{443, corev1.ProtocolTCP}},
	"dns":          {{53, corev1.ProtocolUDP}, {53, corev1.ProtocolTCP}, {5353, corev1.ProtocolUDP}},
	"serve-80-tcp": {{80, corev1.ProtocolTCP}, {8081, corev1.ProtocolTCP}},
	"metrics":      {{9090, corev1.ProtocolTCP}, {9100, corev1.ProtocolTCP}},
	"sctp-app":     {{7777, corev1.ProtocolSCTP}},
	"grpc":         {{9000, corev1.ProtocolTCP}, {9000, corev1.ProtocolUDP}},
}

// Names used in policies; "nosuchport" is declared by no pod.
var policyPortNames = []string{"http", "https", "dns", "serve-80-tcp", "metrics", "sctp-app", "grpc", "nosuchport"}

var policyPortNumbers = []int32{53, 80, 443, 8080, 8081, 9090, 9100, 7777, 9000, 5353}

var policyPortRanges = [][2]int32{{80, 90}, {8000, 8100}, {50, 60}, {1, 1024}, {9000, 9999}, {443, 443}, {7000, 8000}, {5000, 5353}}

var protocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

// Label vocabularies.
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
	namespaceNames = []string{"ns-x", "ns-y", "ns-z", "ns-w"}
	podNames       = []string{"pod-a", "pod-b", "pod-c", "pod-d"}
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

// Generate returns a random valid cluster of a random family. The same
// *rand.Rand state gives the same cluster.
func Generate(r *rand.Rand) Cluster { return GenerateFamily(r, "") }

// GenerateFamily returns a random valid cluster of family f, or of a random
// family (each about a third of the time) if f is "". For FamilyNP the
// cluster is the one Generate made before cluster-scoped policies existed
// for the same seed.
func GenerateFamily(r *rand.Rand, f Family) Cluster {
	var c Cluster
	nNS := 2 + r.Intn(3)
	mixedFamilies := chance(r, 0.35)
	for i := 0; i < nNS; i++ {
		name := namespaceNames[i]
		labels := randomLabels(r, nsLabelVocab, 0.6)
		labels["kubernetes.io/metadata.name"] = name
		c.Namespaces = append(c.Namespaces, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		})
		nPods := 2 + r.Intn(3)
		for j := 0; j < nPods; j++ {
			ip := podIPv4(i, j)
			if mixedFamilies && chance(r, 0.35) {
				ip = podIPv6(i, j)
			}
			c.Pods = append(c.Pods, generatePod(r, name, podNames[j], ip))
		}
	}
	nPol := 1 + r.Intn(5)
	for i := 0; i < nPol; i++ {
		ns := pick(r, c.Namespaces).Name
		c.Policies = append(c.Policies, generatePolicy(r, ns, fmt.Sprintf("np-%d", i)))
	}
	// Drawn after the NetworkPolicies so that FamilyNP clusters stay what
	// they were for the same seed.
	drawn := Families[r.Intn(len(Families))]
	if f == "" {
		f = drawn
	}
	c.Family = f
	if f != FamilyNP {
		generateClusterPolicies(r, &c)
	}
	return c
}

func generatePod(r *rand.Rand, ns, name, ip string) *corev1.Pod {
	labels := randomLabels(r, podLabelVocab, 0.6)
	if len(labels) == 0 {
		labels = nil // as decoded from a manifest without labels
	}
	// Container ports: up to 3 distinct names, unique (number, protocol).
	names := sortedKeys(containerPortVocab)
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	nPorts := r.Intn(4)
	type key struct {
		n int32
		p corev1.Protocol
	}
	seen := map[key]bool{}
	var ports []corev1.ContainerPort
	for _, pn := range names[:nPorts] {
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
	containers := []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10"}}
	if chance(r, 0.4) {
		containers = append(containers, corev1.Container{Name: "side", Image: "registry.k8s.io/pause:3.10"})
	}
	for _, p := range ports {
		ci := r.Intn(len(containers))
		containers[ci].Ports = append(containers[ci].Ports, p)
	}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: NodeName, Containers: containers},
		Status: corev1.PodStatus{
			Phase:  corev1.PodRunning,
			PodIP:  ip,
			PodIPs: []corev1.PodIP{{IP: ip}},
		},
	}
}

// generateSelector returns a valid label selector over vocab. It may be
// empty ({}), which selects everything.
func generateSelector(r *rand.Rand, vocab map[string][]string, extraKeys ...string) *metav1.LabelSelector {
	sel := &metav1.LabelSelector{}
	if chance(r, 0.25) {
		return sel
	}
	keys := sortedKeys(vocab)
	keys = append(keys, extraKeys...)
	values := func(k string) []string {
		if v, ok := vocab[k]; ok {
			return v
		}
		// kubernetes.io/metadata.name
		return namespaceNames
	}
	mode := r.Intn(3) // 0 matchLabels, 1 matchExpressions, 2 both
	if mode != 1 {
		n := 1 + r.Intn(2)
		sel.MatchLabels = map[string]string{}
		for i := 0; i < n; i++ {
			k := pick(r, keys)
			sel.MatchLabels[k] = pick(r, values(k))
		}
	}
	if mode != 0 {
		n := 1 + r.Intn(2)
		for i := 0; i < n; i++ {
			k := pick(r, keys)
			req := metav1.LabelSelectorRequirement{Key: k}
			switch r.Intn(4) {
			case 0:
				req.Operator = metav1.LabelSelectorOpIn
			case 1:
				req.Operator = metav1.LabelSelectorOpNotIn
			case 2:
				req.Operator = metav1.LabelSelectorOpExists
			case 3:
				req.Operator = metav1.LabelSelectorOpDoesNotExist
			}
			if req.Operator == metav1.LabelSelectorOpIn || req.Operator == metav1.LabelSelectorOpNotIn {
				vs := append([]string(nil), values(k)...)
				r.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
				req.Values = vs[:1+r.Intn(len(vs))]
				sort.Strings(req.Values)
			}
			sel.MatchExpressions = append(sel.MatchExpressions, req)
		}
	}
	return sel
}

func generatePolicy(r *rand.Rand, ns, name string) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}
	if chance(r, 0.3) {
		np.Spec.PodSelector = metav1.LabelSelector{}
	} else {
		np.Spec.PodSelector = *generateSelector(r, podLabelVocab)
	}
	switch r.Intn(5) {
	case 0, 1: // missing, sometimes written as `policyTypes: []`
		if chance(r, 0.2) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{}
		}
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 4:
		if chance(r, 0.5) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		} else {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}
		}
	}
	// ingress/egress: nil, [], [{}], or 1-3 random rules.
	switch r.Intn(6) {
	case 0:
		np.Spec.Ingress = nil
	case 1:
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
	case 2:
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
	default:
		n := 1 + r.Intn(3)
		for i := 0; i < n; i++ {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{
				From:  generatePeers(r),
				Ports: generatePorts(r),
			})
		}
	}
	switch r.Intn(6) {
	case 0:
		np.Spec.Egress = nil
	case 1:
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{}
	case 2:
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{}}
	default:
		n := 1 + r.Intn(3)
		for i := 0; i < n; i++ {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
				To:    generatePeers(r),
				Ports: generatePorts(r),
			})
		}
	}
	return np
}

func generatePeers(r *rand.Rand) []networkingv1.NetworkPolicyPeer {
	switch r.Intn(6) {
	case 0:
		return nil
	case 1:
		return []networkingv1.NetworkPolicyPeer{}
	}
	n := 1 + r.Intn(3)
	peers := make([]networkingv1.NetworkPolicyPeer, 0, n)
	for i := 0; i < n; i++ {
		var p networkingv1.NetworkPolicyPeer
		switch r.Intn(5) {
		case 0:
			p.PodSelector = generateSelector(r, podLabelVocab)
		case 1:
			p.NamespaceSelector = generateSelector(r, nsLabelVocab, "kubernetes.io/metadata.name")
		case 2:
			p.PodSelector = generateSelector(r, podLabelVocab)
			p.NamespaceSelector = generateSelector(r, nsLabelVocab, "kubernetes.io/metadata.name")
		default:
			p.IPBlock = generateIPBlock(r)
		}
		peers = append(peers, p)
	}
	return peers
}

func generateIPBlock(r *rand.Rand) *networkingv1.IPBlock {
	vocab := ipv4Blocks
	if chance(r, 0.35) {
		vocab = ipv6Blocks
	}
	c := pick(r, vocab)
	b := &networkingv1.IPBlock{CIDR: c.cidr}
	if len(c.excepts) > 0 && chance(r, 0.5) {
		ex := append([]string(nil), c.excepts...)
		r.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
		b.Except = ex[:1+r.Intn(len(ex))]
	}
	return b
}

func generatePorts(r *rand.Rand) []networkingv1.NetworkPolicyPort {
	switch r.Intn(5) {
	case 0:
		return nil
	case 1:
		return []networkingv1.NetworkPolicyPort{}
	}
	n := 1 + r.Intn(3)
	ports := make([]networkingv1.NetworkPolicyPort, 0, n)
	for i := 0; i < n; i++ {
		var p networkingv1.NetworkPolicyPort
		if !chance(r, 0.35) { // else protocol missing (defaults to TCP)
			proto := pick(r, protocols)
			p.Protocol = &proto
		}
		switch r.Intn(6) {
		case 0: // port missing: every port of the protocol
		case 1, 2:
			var v int32
			if chance(r, 0.15) {
				v = 1 + r.Int31n(65535)
			} else {
				v = pick(r, policyPortNumbers)
			}
			port := intstr.FromInt32(v)
			p.Port = &port
		case 3, 4:
			rg := pick(r, policyPortRanges)
			if chance(r, 0.15) {
				lo := 1 + r.Int31n(65535)
				rg = [2]int32{lo, lo + r.Int31n(65536-lo)}
			}
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
