package query

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Writing the plan out: per namespace a default deny, DNS egress, and a
// policy per workload with its rules. A rule's peers that need the same
// ports share the rule; addresses outside the cluster are merged into the
// fewest prefixes that hold exactly them.

// policyObjectRef names the object a compiled policy came from, for the
// namespaced kinds Generate writes.
func policyObjectRef(p *Policy) (ObjectRef, bool) {
	switch p.kind {
	case "NetworkPolicy":
		return ObjectRef{Kind: "NetworkPolicy", Namespace: p.namespace, Name: p.name}, true
	case "CiliumNetworkPolicy":
		return ObjectRef{Kind: "CiliumNetworkPolicy", Group: "cilium.io", Namespace: p.namespace, Name: p.name}, true
	}
	return ObjectRef{}, false
}

// genRule is one rule to write: its peers, which need the same ports.
type genRule struct {
	peers []*genPeer
	all   bool
	ports []genPort
}

// rulesOf groups a side's peers into rules: peers with equal ports share
// one, in the order of their first peer's name. Addresses of one rule
// are written as one peer each, merged.
func rulesOf(side map[string]*genPeer) []genRule {
	var out []genRule
	for _, name := range slices.Sorted(maps.Keys(side)) {
		gp := side[name]
		slices.SortFunc(gp.ports, func(a, b genPort) int {
			return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port))
		})
		i := slices.IndexFunc(out, func(r genRule) bool { return r.all == gp.all && slices.Equal(r.ports, gp.ports) })
		if i < 0 {
			out = append(out, genRule{all: gp.all, ports: gp.ports})
			i = len(out) - 1
		}
		out[i].peers = append(out[i].peers, gp)
	}
	return out
}

// write writes the policies of one namespace.
func (pl *genPlan) write(ns string, taken map[string]map[string]bool) ([]GeneratedPolicy, error) {
	if pl.opts.Cilium {
		return pl.writeCilium(ns, taken)
	}
	var out []GeneratedPolicy
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: freeName(taken[ns], name), Namespace: ns, Labels: map[string]string{ManagedByLabel: ManagedBy}}
	}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	deny := &networkingv1.NetworkPolicy{ObjectMeta: meta("default-deny"), Spec: networkingv1.NetworkPolicySpec{PolicyTypes: both}}
	out = append(out, genPolicy(deny, fmt.Sprintf("Every pod in %s is isolated for ingress and egress: only what the policies below allow may flow.", ns), nil))
	out[0].defaultDeny = true

	dnsPeer, dnsNote := pl.dnsPeer()
	dns := &networkingv1.NetworkPolicy{ObjectMeta: meta("allow-dns"), Spec: networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{dnsPeer}, Ports: npPorts(dnsPorts, false)}},
	}}
	out = append(out, genPolicy(dns, "Egress is restricted, so every pod may still resolve names: "+dnsNote, []RuleNote{{Path: "spec.egress[0]", Note: "to the cluster DNS on UDP and TCP 53"}}))
	if ns == dnsNamespace && len(pl.s.dnsPods()) > 0 {
		serve := &networkingv1.NetworkPolicy{ObjectMeta: meta("allow-dns-queries"), Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: dnsLabels},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
				Ports: npPorts(dnsPorts, false),
			}},
		}}
		out = append(out, genPolicy(serve, dnsServeComment, []RuleNote{{Path: "spec.ingress[0]", Note: "from every pod of every namespace, on UDP and TCP 53"}}))
	}

	for _, sub := range pl.subjectsIn(ns) {
		sel := pl.sels[sub.end.unit]
		np := &networkingv1.NetworkPolicy{ObjectMeta: meta(sub.end.name), Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: sel.labels},
		}}
		var notes []RuleNote
		for i, r := range rulesOf(sub.ingress) {
			peers, pn, err := pl.npPeers(ns, r.peers)
			if err != nil {
				return nil, err
			}
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: npPorts(r.ports, r.all)})
			notes = append(notes, peerNotes(fmt.Sprintf("spec.ingress[%d].from", i), pn)...)
		}
		for i, r := range rulesOf(sub.egress) {
			peers, pn, err := pl.npPeers(ns, r.peers)
			if err != nil {
				return nil, err
			}
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: npPorts(numbered(r.ports), r.all)})
			notes = append(notes, peerNotes(fmt.Sprintf("spec.egress[%d].to", i), pn)...)
		}
		if len(np.Spec.Ingress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		if len(np.Spec.Egress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		out = append(out, genPolicy(np, subjectComment(sub, sel), notes))
	}
	return out, nil
}

func genPolicy(np *networkingv1.NetworkPolicy, comment string, notes []RuleNote) GeneratedPolicy {
	np.TypeMeta = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
	return GeneratedPolicy{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name, Object: np, Comment: comment, Rules: notes}
}

// dnsServeComment explains the policy that lets the cluster DNS pods
// answer when their namespace is in scope.
const dnsServeComment = "The cluster DNS pods take queries from every pod: without this, the namespace's default deny would stop every lookup in the cluster. Their own egress (the API server, upstream resolvers) is only what the required flows give them."

// subjectComment explains the selector of a workload's policy.
func subjectComment(sub *genSubject, sel genSelection) string {
	s := fmt.Sprintf("The flows %s needs. Selected by %s: %s.", sub.end.unit, labels.FormatLabels(sel.labels), sel.why)
	if len(sel.also) > 0 {
		s += " These labels also select " + strings.Join(sel.also, ", ") + ", which no stable label tells apart."
	}
	return s
}

// numbered drops port names: an egress rule's named port resolves at
// every destination, which the source's manifests cannot vouch for.
func numbered(ports []genPort) []genPort {
	out := make([]genPort, len(ports))
	for i, p := range ports {
		out[i] = genPort{proto: p.proto, port: p.port}
	}
	return out
}

func npPorts(ports []genPort, all bool) []networkingv1.NetworkPolicyPort {
	if all {
		return nil
	}
	var out []networkingv1.NetworkPolicyPort
	for _, p := range ports {
		proto := p.proto
		port := intstr.FromInt32(p.port)
		if p.name != "" {
			port = intstr.FromString(p.name)
		}
		out = append(out, networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port})
	}
	return out
}

// rulePeers are a rule's peers as both writers need them: the workloads
// with their selections and words, and the addresses outside the cluster
// merged, with the words of them all.
type rulePeers struct {
	pods      []podPeer
	addrs     []netip.Prefix
	addrWords string
}

// podPeer is a workload peer of a rule.
type podPeer struct {
	end   *genEnd
	sel   genSelection
	words string
}

// rulePeersOf splits a rule's peers into workloads and addresses.
func (pl *genPlan) rulePeersOf(peers []*genPeer) (rulePeers, error) {
	var rp rulePeers
	var addrs []netip.Prefix
	var addrFlows []string
	for _, gp := range peers {
		e := gp.end
		if e.external() {
			addrs = append(addrs, pl.widened(e.prefix))
			addrFlows = append(addrFlows, gp.flows...)
			continue
		}
		sel, err := pl.selection(e)
		if err != nil {
			return rp, err
		}
		rp.pods = append(rp.pods, podPeer{end: e, sel: sel, words: pl.peerWords(e, sel, gp.flows)})
	}
	if len(addrs) > 0 {
		rp.addrs = mergePrefixes(addrs)
		names := make([]string, len(rp.addrs))
		for i, p := range rp.addrs {
			names[i] = p.String()
		}
		rp.addrWords = addressWords(names, addrFlows)
	}
	return rp, nil
}

// npPeers writes a rule's peers, and says of each in words what it is
// and which flows need it ("" for the ipBlocks after the first, which
// share the first's note).
func (pl *genPlan) npPeers(ns string, peers []*genPeer) ([]networkingv1.NetworkPolicyPeer, []string, error) {
	rp, err := pl.rulePeersOf(peers)
	if err != nil {
		return nil, nil, err
	}
	var out []networkingv1.NetworkPolicyPeer
	var words []string
	for _, pp := range rp.pods {
		peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: pp.sel.labels}}
		if pp.end.ns != ns {
			peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: pp.end.ns}}
		}
		out = append(out, peer)
		words = append(words, pp.words)
	}
	for i, p := range rp.addrs {
		out = append(out, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: p.String()}})
		if i == 0 {
			words = append(words, rp.addrWords)
		} else {
			words = append(words, "")
		}
	}
	return out, words, nil
}

// peerWords says what a peer is, how it is selected and for which flows.
func (pl *genPlan) peerWords(e *genEnd, sel genSelection, flows []string) string {
	w := fmt.Sprintf("%s (%s, %s)", e.unit, labels.FormatLabels(sel.labels), sel.brief)
	if len(sel.also) > 0 {
		w += ", which also selects " + strings.Join(sel.also, ", ")
	}
	return w + ", for " + flowList(flows)
}

// addressWords says which addresses outside the cluster a rule names.
func addressWords(names, flows []string) string {
	return "addresses outside the cluster " + strings.Join(names, ", ") + ", for " + flowList(flows)
}

// peerNotes puts each peer's words on the peer's item of the rule.
func peerNotes(path string, words []string) []RuleNote {
	var out []RuleNote
	for j, w := range words {
		if w != "" {
			out = append(out, RuleNote{Path: fmt.Sprintf("%s[%d]", path, j), Note: w})
		}
	}
	return out
}

// flowList names the flows that need a peer, the first three and a count.
func flowList(flows []string) string {
	const shown = 3
	q := make([]string, 0, shown)
	for _, f := range flows[:min(len(flows), shown)] {
		q = append(q, strconvQuote(f))
	}
	s := strings.Join(q, ", ")
	if len(flows) > shown {
		s += fmt.Sprintf(" and %d more", len(flows)-shown)
	}
	return s
}

func strconvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `'`) + `"` }

// dnsPeer is the peer of the DNS egress rule: the cluster DNS pods by
// their namespace and k8s-app label.
func (pl *genPlan) dnsPeer() (networkingv1.NetworkPolicyPeer, string) {
	peer := networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: dnsNamespace}},
		PodSelector:       &metav1.LabelSelector{MatchLabels: dnsLabels},
	}
	if len(pl.s.dnsPods()) == 0 {
		return peer, fmt.Sprintf("the input has no cluster DNS pods, so this assumes the standard ones (namespace %s, label %s).", dnsNamespace, labels.FormatLabels(dnsLabels))
	}
	var names []string
	for _, u := range pl.s.unitsOf(pl.s.dnsPods()) {
		names = append(names, u.String())
	}
	return peer, fmt.Sprintf("%s (%s in %s).", strings.Join(names, ", "), labels.FormatLabels(dnsLabels), dnsNamespace)
}

// mergePrefixes returns the fewest prefixes that hold exactly the
// addresses of ps: duplicates and prefixes inside others dropped, sibling
// halves joined.
func mergePrefixes(ps []netip.Prefix) []netip.Prefix {
	set := slices.Clone(ps)
	for i := range set {
		set[i] = set[i].Masked()
	}
	for changed := true; changed; {
		changed = false
		slices.SortFunc(set, func(a, b netip.Prefix) int {
			return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
		})
		var out []netip.Prefix
		for _, p := range set {
			if n := len(out); n > 0 {
				last := out[n-1]
				if last.Contains(p.Addr()) && last.Bits() <= p.Bits() {
					continue // inside the previous one
				}
				if last.Bits() == p.Bits() && last.Bits() > 0 {
					parent, _ := last.Addr().Prefix(last.Bits() - 1)
					if parent.Contains(p.Addr()) && parent.Addr() == last.Addr() {
						out[n-1] = parent
						changed = true
						continue
					}
				}
			}
			out = append(out, p)
		}
		set = out
	}
	return set
}
