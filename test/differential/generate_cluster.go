package differential

import (
	"fmt"
	"math/rand"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// Family is the kind of cluster-scoped policies a cluster holds. Each family
// is judged by the reference's evaluator pipeline for it, in the order the
// reference's own binaries wire them (cmd/kube-network-policies/...):
//
//   - FamilyNP (also the zero value ""): NetworkPolicies only;
//     [StandardNetworkPolicy].
//   - FamilyCNP: ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 (the
//     engine may get some as v1beta1); [ClusterNetworkPolicy tier Admin,
//     StandardNetworkPolicy, ClusterNetworkPolicy tier Baseline]
//     (npa-v1alpha2/main.go).
//   - FamilyANP: AdminNetworkPolicy and BaselineAdminNetworkPolicy
//     policy.networking.k8s.io/v1alpha1; [AdminNetworkPolicy,
//     StandardNetworkPolicy, BaselineAdminNetworkPolicy]
//     (npa-v1alpha1/main.go).
type Family string

const (
	FamilyNP  Family = "np"
	FamilyCNP Family = "cnp"
	FamilyANP Family = "anp"
)

// Families lists every family, in the order Generate draws them from.
var Families = []Family{FamilyNP, FamilyCNP, FamilyANP}

const (
	cnpGroup              = "policy.networking.k8s.io"
	cnpV1alpha2APIVersion = cnpGroup + "/v1alpha2"
	cnpV1beta1APIVersion  = cnpGroup + "/v1beta1"
	anpAPIVersion         = cnpGroup + "/v1alpha1"
)

// Priorities drawn (without replacement within a tier, so that no two
// policies of one tier share a priority: the API leaves their order
// undefined). The same number may appear in both CNP tiers, which checks
// that the tier, not the priority, decides.
var policyPriorities = []int32{0, 1, 2, 5, 10, 20, 50, 100, 500, 999, 1000}

// networks vocabulary for egress `networks` peers: every CIDR of the ipBlock
// vocabulary (all masked, as CEL validation requires), some containing pod
// IPs and some containing the external addresses, plus host routes.
var (
	ipv4Networks = appendCIDRs(ipv4Blocks, "8.8.8.8/32", "192.0.2.10/32", "10.0.200.0/24", "10.0.0.10/32", "10.0.1.11/32")
	ipv6Networks = appendCIDRs(ipv6Blocks, "2001:db8::10/128", "fd00:10::ffff/128", "fd00:10::a/128")
)

func appendCIDRs(blocks []cidrChoice, extra ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, b := range blocks {
		add(b.cidr)
		for _, e := range b.excepts {
			add(e)
		}
	}
	for _, e := range extra {
		add(e)
	}
	return out
}

// generateClusterPolicies adds the cluster-scoped policies of c.Family to c.
// It also thins out the NetworkPolicies (each kept with probability 1/2) so
// that many pods are not selected by any and reach the Baseline tier.
func generateClusterPolicies(r *rand.Rand, c *Cluster) {
	var kept = c.Policies[:0]
	for _, np := range c.Policies {
		if chance(r, 0.5) {
			kept = append(kept, np)
		}
	}
	c.Policies = kept
	if len(c.Policies) == 0 {
		c.Policies = nil
	}
	switch c.Family {
	case FamilyCNP:
		// Whether the engine gets the policies as v1beta1: none, all, or
		// each on its own.
		beta := r.Intn(3)
		nAdmin, nBaseline := r.Intn(5), r.Intn(3)
		adminPrio := shuffled(r, policyPriorities)
		baselinePrio := shuffled(r, policyPriorities)
		for i := 0; i < nAdmin+nBaseline; i++ {
			tier, prio := npav1alpha2.AdminTier, adminPrio[i]
			if i >= nAdmin {
				tier, prio = npav1alpha2.BaselineTier, baselinePrio[i-nAdmin]
			}
			cnp := generateCNP(r, fmt.Sprintf("cnp-%d", i), tier, prio)
			if beta == 1 || (beta == 2 && chance(r, 0.5)) {
				cnp.APIVersion = cnpV1beta1APIVersion
			}
			c.CNPs = append(c.CNPs, cnp)
		}
		// Shuffle so that list order differs from both name and priority
		// order.
		r.Shuffle(len(c.CNPs), func(i, j int) { c.CNPs[i], c.CNPs[j] = c.CNPs[j], c.CNPs[i] })
	case FamilyANP:
		nAdmin := r.Intn(5)
		prio := shuffled(r, policyPriorities)
		for i := 0; i < nAdmin; i++ {
			c.ANPs = append(c.ANPs, generateANP(r, fmt.Sprintf("anp-%d", i), prio[i]))
		}
		r.Shuffle(len(c.ANPs), func(i, j int) { c.ANPs[i], c.ANPs[j] = c.ANPs[j], c.ANPs[i] })
		if chance(r, 0.75) {
			c.BANP = generateBANP(r)
		}
	}
}

func shuffled[T any](r *rand.Rand, xs []T) []T {
	out := append([]T(nil), xs...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Shared shapes of the v1alpha1 and v1alpha2 APIs, generated once and
// copied into each API's own types.

// subjectShape is a subject or a namespaces/pods peer: exactly one of ns
// and pods is set.
type subjectShape struct {
	ns   *metav1.LabelSelector
	pods *[2]metav1.LabelSelector // namespaceSelector, podSelector
}

func generateSubjectShape(r *rand.Rand) subjectShape {
	if chance(r, 0.4) {
		return subjectShape{ns: generateSelector(r, nsLabelVocab, "kubernetes.io/metadata.name")}
	}
	return subjectShape{pods: &[2]metav1.LabelSelector{
		*generateSelector(r, nsLabelVocab, "kubernetes.io/metadata.name"),
		*generateSelector(r, podLabelVocab),
	}}
}

// portShape is one port match: exactly one of number, rng and named is set.
type portShape struct {
	proto  corev1.Protocol // "" = unspecified (v1alpha1 defaults it to TCP)
	number int32
	rng    [2]int32
	named  string
}

func generatePortShapes(r *rand.Rand, allowNamed bool) []portShape {
	n := 1 + r.Intn(3)
	out := make([]portShape, 0, n)
	for i := 0; i < n; i++ {
		var p portShape
		if !chance(r, 0.25) {
			p.proto = pick(r, protocols)
		}
		k := r.Intn(5)
		if k == 4 && !allowNamed {
			k = r.Intn(4)
		}
		switch k {
		case 0, 1:
			if chance(r, 0.15) {
				p.number = 1 + r.Int31n(65535)
			} else {
				p.number = pick(r, policyPortNumbers)
			}
		case 2, 3:
			rg := pick(r, policyPortRanges)
			if rg[0] >= rg[1] || chance(r, 0.15) {
				lo := 1 + r.Int31n(65534)
				rg = [2]int32{lo, lo + 1 + r.Int31n(65535-lo)}
			}
			p.rng = rg
		case 4:
			p.named = pick(r, policyPortNames)
		}
		out = append(out, p)
	}
	return out
}

func hasNamed(ps []portShape) bool {
	for _, p := range ps {
		if p.named != "" {
			return true
		}
	}
	return false
}

// peerShape is an egress peer: a subjectShape or networks.
type peerShape struct {
	subjectShape
	networks []string
}

func generatePeerShapes(r *rand.Rand, allowNetworks bool) []peerShape {
	n := 1 + r.Intn(3)
	out := make([]peerShape, 0, n)
	for i := 0; i < n; i++ {
		if allowNetworks && chance(r, 0.35) {
			k := 1 + r.Intn(3)
			var nets []string
			seen := map[string]bool{}
			for j := 0; j < k; j++ {
				vocab := ipv4Networks
				if chance(r, 0.3) {
					vocab = ipv6Networks
				}
				if s := pick(r, vocab); !seen[s] {
					seen[s] = true
					nets = append(nets, s)
				}
			}
			out = append(out, peerShape{networks: nets})
			continue
		}
		out = append(out, peerShape{subjectShape: generateSubjectShape(r)})
	}
	return out
}

// ruleShape is one rule: action index, peers and ports (nil: all ports).
type ruleShape struct {
	action int
	peers  []peerShape
	ports  []portShape
}

// generateRuleShapes returns nil (no rules in this direction, about a fifth
// of the time) or 1-4 rules. actionWeights are the relative frequencies of
// the actions.
func generateRuleShapes(r *rand.Rand, egress bool, actionWeights []int) []ruleShape {
	if chance(r, 0.2) {
		return nil
	}
	n := 1 + r.Intn(4)
	out := make([]ruleShape, 0, n)
	for i := 0; i < n; i++ {
		var rs ruleShape
		rs.action = weighted(r, actionWeights)
		if !chance(r, 0.35) {
			rs.ports = generatePortShapes(r, true)
		}
		// Named ports cannot be combined with networks peers in one
		// egress rule (CEL rule on the egress rule types).
		rs.peers = generatePeerShapes(r, egress && !hasNamed(rs.ports))
		out = append(out, rs)
	}
	return out
}

func weighted(r *rand.Rand, ws []int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	x := r.Intn(total)
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// v1alpha2 (ClusterNetworkPolicy).

var cnpActions = []npav1alpha2.ClusterNetworkPolicyRuleAction{
	npav1alpha2.ClusterNetworkPolicyRuleActionAccept,
	npav1alpha2.ClusterNetworkPolicyRuleActionDeny,
	npav1alpha2.ClusterNetworkPolicyRuleActionPass,
}

func generateCNP(r *rand.Rand, name string, tier npav1alpha2.Tier, prio int32) *npav1alpha2.ClusterNetworkPolicy {
	weights := []int{35, 35, 30}
	if tier == npav1alpha2.BaselineTier {
		weights = []int{45, 45, 10}
	}
	cnp := &npav1alpha2.ClusterNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: cnpV1alpha2APIVersion, Kind: "ClusterNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: npav1alpha2.ClusterNetworkPolicySpec{
			Tier:     tier,
			Priority: prio,
		},
	}
	s := generateSubjectShape(r)
	cnp.Spec.Subject = npav1alpha2.ClusterNetworkPolicySubject{Namespaces: s.ns, Pods: cnpNamespacedPod(s.pods)}
	for _, rs := range generateRuleShapes(r, false, weights) {
		rule := npav1alpha2.ClusterNetworkPolicyIngressRule{Action: cnpActions[rs.action], Protocols: cnpProtocols(rs.ports)}
		for _, p := range rs.peers {
			rule.From = append(rule.From, npav1alpha2.ClusterNetworkPolicyIngressPeer{Namespaces: p.ns, Pods: cnpNamespacedPod(p.pods)})
		}
		cnp.Spec.Ingress = append(cnp.Spec.Ingress, rule)
	}
	for _, rs := range generateRuleShapes(r, true, weights) {
		rule := npav1alpha2.ClusterNetworkPolicyEgressRule{Action: cnpActions[rs.action], Protocols: cnpProtocols(rs.ports)}
		for _, p := range rs.peers {
			peer := npav1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: p.ns, Pods: cnpNamespacedPod(p.pods)}
			for _, n := range p.networks {
				peer.Networks = append(peer.Networks, npav1alpha2.CIDR(n))
			}
			rule.To = append(rule.To, peer)
		}
		cnp.Spec.Egress = append(cnp.Spec.Egress, rule)
	}
	return cnp
}

func cnpNamespacedPod(p *[2]metav1.LabelSelector) *npav1alpha2.NamespacedPod {
	if p == nil {
		return nil
	}
	return &npav1alpha2.NamespacedPod{NamespaceSelector: p[0], PodSelector: p[1]}
}

// cnpProtocols renders port shapes as v1alpha2 protocols. The protocol of
// a number or range without one is drawn from the shape's other bits (v1alpha2
// has no unspecified protocol: a port always sits under tcp, udp or sctp).
func cnpProtocols(ps []portShape) []npav1alpha2.ClusterNetworkPolicyProtocol {
	if ps == nil {
		return nil
	}
	out := make([]npav1alpha2.ClusterNetworkPolicyProtocol, 0, len(ps))
	for _, p := range ps {
		if p.named != "" {
			out = append(out, npav1alpha2.ClusterNetworkPolicyProtocol{DestinationNamedPort: p.named})
			continue
		}
		port := &npav1alpha2.Port{Number: p.number}
		if p.number == 0 {
			port = &npav1alpha2.Port{Range: &npav1alpha2.PortRange{Start: p.rng[0], End: p.rng[1]}}
		}
		proto := p.proto
		if proto == "" {
			proto = protocols[(p.number+p.rng[0])%int32(len(protocols))]
		}
		switch proto {
		case corev1.ProtocolTCP:
			out = append(out, npav1alpha2.ClusterNetworkPolicyProtocol{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}})
		case corev1.ProtocolUDP:
			out = append(out, npav1alpha2.ClusterNetworkPolicyProtocol{UDP: &npav1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}})
		default:
			out = append(out, npav1alpha2.ClusterNetworkPolicyProtocol{SCTP: &npav1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}})
		}
	}
	return out
}

// v1alpha1 (AdminNetworkPolicy, BaselineAdminNetworkPolicy).

var anpActions = []npav1alpha1.AdminNetworkPolicyRuleAction{
	npav1alpha1.AdminNetworkPolicyRuleActionAllow,
	npav1alpha1.AdminNetworkPolicyRuleActionDeny,
	npav1alpha1.AdminNetworkPolicyRuleActionPass,
}

var banpActions = []npav1alpha1.BaselineAdminNetworkPolicyRuleAction{
	npav1alpha1.BaselineAdminNetworkPolicyRuleActionAllow,
	npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny,
}

func generateANP(r *rand.Rand, name string, prio int32) *npav1alpha1.AdminNetworkPolicy {
	anp := &npav1alpha1.AdminNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: anpAPIVersion, Kind: "AdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       npav1alpha1.AdminNetworkPolicySpec{Priority: prio, Subject: anpSubject(generateSubjectShape(r))},
	}
	weights := []int{35, 35, 30}
	for _, rs := range generateRuleShapes(r, false, weights) {
		anp.Spec.Ingress = append(anp.Spec.Ingress, npav1alpha1.AdminNetworkPolicyIngressRule{
			Action: anpActions[rs.action], From: anpIngressPeers(rs.peers), Ports: anpPorts(rs.ports),
		})
	}
	for _, rs := range generateRuleShapes(r, true, weights) {
		rule := npav1alpha1.AdminNetworkPolicyEgressRule{Action: anpActions[rs.action], Ports: anpPorts(rs.ports)}
		for _, p := range rs.peers {
			peer := npav1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: p.ns, Pods: anpNamespacedPod(p.pods)}
			for _, n := range p.networks {
				peer.Networks = append(peer.Networks, npav1alpha1.CIDR(n))
			}
			rule.To = append(rule.To, peer)
		}
		anp.Spec.Egress = append(anp.Spec.Egress, rule)
	}
	return anp
}

func generateBANP(r *rand.Rand) *npav1alpha1.BaselineAdminNetworkPolicy {
	banp := &npav1alpha1.BaselineAdminNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: anpAPIVersion, Kind: "BaselineAdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"}, // the singleton name CEL requires
		Spec:       npav1alpha1.BaselineAdminNetworkPolicySpec{Subject: anpSubject(generateSubjectShape(r))},
	}
	weights := []int{50, 50}
	for _, rs := range generateRuleShapes(r, false, weights) {
		banp.Spec.Ingress = append(banp.Spec.Ingress, npav1alpha1.BaselineAdminNetworkPolicyIngressRule{
			Action: banpActions[rs.action], From: anpIngressPeers(rs.peers), Ports: anpPorts(rs.ports),
		})
	}
	for _, rs := range generateRuleShapes(r, true, weights) {
		rule := npav1alpha1.BaselineAdminNetworkPolicyEgressRule{Action: banpActions[rs.action], Ports: anpPorts(rs.ports)}
		for _, p := range rs.peers {
			peer := npav1alpha1.BaselineAdminNetworkPolicyEgressPeer{Namespaces: p.ns, Pods: anpNamespacedPod(p.pods)}
			for _, n := range p.networks {
				peer.Networks = append(peer.Networks, npav1alpha1.CIDR(n))
			}
			rule.To = append(rule.To, peer)
		}
		banp.Spec.Egress = append(banp.Spec.Egress, rule)
	}
	return banp
}

func anpSubject(s subjectShape) npav1alpha1.AdminNetworkPolicySubject {
	return npav1alpha1.AdminNetworkPolicySubject{Namespaces: s.ns, Pods: anpNamespacedPod(s.pods)}
}

func anpNamespacedPod(p *[2]metav1.LabelSelector) *npav1alpha1.NamespacedPod {
	if p == nil {
		return nil
	}
	return &npav1alpha1.NamespacedPod{NamespaceSelector: p[0], PodSelector: p[1]}
}

func anpIngressPeers(ps []peerShape) []npav1alpha1.AdminNetworkPolicyIngressPeer {
	out := make([]npav1alpha1.AdminNetworkPolicyIngressPeer, 0, len(ps))
	for _, p := range ps {
		out = append(out, npav1alpha1.AdminNetworkPolicyIngressPeer{Namespaces: p.ns, Pods: anpNamespacedPod(p.pods)})
	}
	return out
}

// anpPorts renders port shapes as v1alpha1 ports; a shape without protocol
// is written without one (the CRD defaults it to TCP).
func anpPorts(ps []portShape) *[]npav1alpha1.AdminNetworkPolicyPort {
	if ps == nil {
		return nil
	}
	out := make([]npav1alpha1.AdminNetworkPolicyPort, 0, len(ps))
	for _, p := range ps {
		switch {
		case p.named != "":
			name := p.named
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{NamedPort: &name})
		case p.number != 0:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortNumber: &npav1alpha1.Port{Protocol: p.proto, Port: p.number}})
		default:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortRange: &npav1alpha1.PortRange{Protocol: p.proto, Start: p.rng[0], End: p.rng[1]}})
		}
	}
	return &out
}
