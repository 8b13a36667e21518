package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Peer of a flow: a pod, or an address (or range) outside the cluster.
type flowEnd struct {
	pod *Pod
	// addr is the address the flow uses: the pod's primary IP (may be
	// invalid when unknown) or the external address.
	addr netip.Addr
	// cidr is set for an external range; addr is then invalid.
	cidr netip.Prefix
}

func podEnd(p *Pod) flowEnd {
	e := flowEnd{pod: p}
	if len(p.IPs) > 0 {
		e.addr = p.IPs[0]
	}
	return e
}

func (e flowEnd) String() string {
	switch {
	case e.pod != nil:
		return e.pod.Key()
	case e.cidr.IsValid():
		return e.cidr.String()
	default:
		return e.addr.String()
	}
}

// PolicyRef names a policy that selects a pod, with its effective types.
type PolicyRef struct {
	Name        string                    `json:"name"`
	PolicyTypes []networkingv1.PolicyType `json:"policyTypes"`
	// TypesDefaulted is true when policyTypes was not written and the API
	// server's defaulting decided them.
	TypesDefaulted bool `json:"typesDefaulted,omitempty"`
}

// Miss says why one peer or port entry of a rule did not match.
type Miss struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// RuleTrace is how one rule of a selecting policy judged the flow.
type RuleTrace struct {
	Policy string `json:"policy"`
	// Rule is the rule's field path, e.g. spec.ingress[0].
	Rule        string `json:"rule"`
	Description string `json:"description"`
	// PeerMatched is true when some peer matched (or the rule has none).
	PeerMatched bool `json:"peerMatched"`
	// MatchedPeer is the path of the first matching peer; empty when the
	// rule has no peers and so matches every peer.
	MatchedPeer string `json:"matchedPeer,omitempty"`
	PeerMisses  []Miss `json:"peerMisses,omitempty"`
	// Ports is what the rule's ports open towards the destination.
	Ports PortSet `json:"ports"`
	// MatchedPort is the path of the first port entry holding the asked
	// port; empty when no port was asked or the rule has no ports.
	MatchedPort string `json:"matchedPort,omitempty"`
	PortMisses  []Miss `json:"portMisses,omitempty"`
	// Allows is true when this rule allows the flow (the asked port, or at
	// least one port when none was asked).
	Allows bool `json:"allows"`
}

// DirectionTrace is one half of a flow: the source's egress or the
// destination's ingress.
type DirectionTrace struct {
	Direction Direction `json:"direction"`
	// Pod whose policies judge this half; empty when that end is outside
	// the cluster, where no NetworkPolicy applies.
	Pod      string      `json:"pod,omitempty"`
	Isolated bool        `json:"isolated"`
	Policies []PolicyRef `json:"policies"`
	// AllowedPorts is every port this half lets through.
	AllowedPorts PortSet     `json:"allowedPorts"`
	Allowed      bool        `json:"allowed"`
	Summary      string      `json:"summary"`
	Rules        []RuleTrace `json:"rules,omitempty"`
	// Tiers are the cluster policy rules (Admin tier, then Baseline tier)
	// that decided some of the asked ports, in precedence order. Rules are
	// then NetworkPolicy's, for the ports the Admin tier left to it.
	Tiers []TierRuleTrace `json:"tiers,omitempty"`
	// DecidedBy is the tier that decided the asked port when cluster
	// policies exist: Admin, NetworkPolicy, Baseline or Default.
	DecidedBy string   `json:"decidedBy,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// evalDirection judges one half of a flow. subject is the pod whose policies
// apply (the source for egress, the destination for ingress), peer the other
// end, and dst the flow's destination pod (nil outside the cluster), against
// which named ports resolve.
func (s *Snapshot) evalDirection(d Direction, subject *Pod, peer flowEnd, dst *Pod, ask portAsk) DirectionTrace {
	t := s.evalNetworkPolicies(d, subject, peer, dst, ask)
	if len(s.cluster) == 0 {
		return t
	}
	return s.applyTiers(t, d, subject, peer, dst, ask)
}

// evalNetworkPolicies is NetworkPolicy's judgement of one half.
func (s *Snapshot) evalNetworkPolicies(d Direction, subject *Pod, peer flowEnd, dst *Pod, ask portAsk) DirectionTrace {
	t := DirectionTrace{Direction: d, Pod: subject.Key(), Policies: []PolicyRef{}}
	var allowed PortSet
	for _, p := range s.policies[subject.Namespace] {
		if !p.HasType(d) || !p.Selects(subject) {
			continue
		}
		t.Isolated = true
		t.Policies = append(t.Policies, PolicyRef{Name: p.Key(), PolicyTypes: p.Types, TypesDefaulted: p.TypesDefaulted})
		for i := range p.Rules(d) {
			r := &p.Rules(d)[i]
			rt := s.evalRule(d, p, r, peer, dst, ask.brief)
			if ask.single {
				rt.askPort(r, dst, ask.proto, ask.port, ask.brief)
			}
			if rt.PeerMatched {
				allowed = allowed.Union(rt.Ports)
			}
			t.Rules = append(t.Rules, rt)
		}
	}
	if !t.Isolated {
		t.AllowedPorts, t.Allowed = AllPorts(), true
		t.Summary = fmt.Sprintf("not isolated for %s: no policy of type %s selects the pod", d, policyTypeOf(d))
		return t
	}
	t.AllowedPorts = allowed
	t.Allowed = !allowed.Intersect(ask.scope).IsEmpty()
	if t.Allowed {
		// The rules that allow it are the answer; the misses of the others
		// would only differ from pod to pod (labels, IPs).
		t.Rules = slices.DeleteFunc(t.Rules, func(r RuleTrace) bool { return !r.Allows })
	}
	names := make([]string, len(t.Policies))
	for i, p := range t.Policies {
		names[i] = p.Name
	}
	if len(t.Rules) == 0 {
		verb := "allows"
		if len(names) > 1 {
			verb = "allow"
		}
		t.Summary = fmt.Sprintf("isolated for %s by %s, which %s no %s (default deny)", d, strings.Join(names, ", "), verb, d)
	} else {
		t.Summary = fmt.Sprintf("isolated for %s by %s", d, strings.Join(names, ", "))
	}
	return t
}

func policyTypeOf(d Direction) networkingv1.PolicyType {
	if d == Egress {
		return networkingv1.PolicyTypeEgress
	}
	return networkingv1.PolicyTypeIngress
}

// evalRule judges one rule: does some peer match the other end, and which
// ports does it open towards the destination. brief leaves out the misses,
// which only a printed trace shows and which cost a string per entry.
func (s *Snapshot) evalRule(d Direction, p *Policy, r *Rule, peer flowEnd, dst *Pod, brief bool) RuleTrace {
	rt := RuleTrace{Policy: p.Key(), Rule: r.Path, Description: r.describe(d, p.Namespace)}
	if len(r.Peers) == 0 {
		rt.PeerMatched = true
	} else if i := r.firstPeer(s, p.Namespace, peer); i >= 0 {
		rt.PeerMatched, rt.MatchedPeer = true, r.Peers[i].Path
	} else if !brief {
		for i := range r.Peers {
			m := s.peerMatch(p.Namespace, &r.Peers[i], peer)
			rt.PeerMisses = append(rt.PeerMisses, Miss{Path: r.Peers[i].Path, Reason: s.missReason(m, p.Namespace, &r.Peers[i], peer)})
		}
	}
	rt.Ports = r.portsFor(dst)
	rt.Allows = rt.PeerMatched && !rt.Ports.IsEmpty()
	if !rt.Allows && rt.PeerMatched && !brief {
		rt.PortMisses = portMisses(r, dst, nil)
	}
	return rt
}

// firstPeer is the index of the first peer of r that matches the other
// end of the flow, or -1. It is peerMatch over the peers in order, with
// the ipBlock peers answered by the rule's index: an address outside the
// cluster needs no walk at all, a pod only one over the selector peers
// before the first ipBlock that holds its IP.
func (r *Rule) firstPeer(s *Snapshot, ns string, end flowEnd) int {
	if end.pod == nil && !end.cidr.IsValid() {
		return r.blocks.first(end.addr)
	}
	limit := len(r.Peers)
	ipBlocks := end.pod == nil || s.opts.IPBlockMatchesPods
	if end.pod != nil && ipBlocks {
		if b := r.blocks.first(end.addr); b >= 0 {
			limit = b
		}
	}
	for i := range limit {
		pe := &r.Peers[i]
		if pe.Kind == PeerIPBlock && end.pod != nil {
			continue // the index answered
		}
		if s.peerMatch(ns, pe, end) == missNone {
			return i
		}
	}
	if limit < len(r.Peers) {
		return limit
	}
	return -1
}

// MatchPath renders what matched as field paths: the peer ("any peer" when
// the rule has none) and, when a port was asked, the port entry, e.g.
// "spec.ingress[0].from[0] + ports[0]".
func (rt *RuleTrace) MatchPath() string {
	path := rt.Rule + " (any peer)"
	if rt.MatchedPeer != "" {
		path = rt.MatchedPeer
	}
	if rt.MatchedPort != "" {
		path += " + " + strings.TrimPrefix(rt.MatchedPort, rt.Rule+".")
	}
	return path
}

// askPort narrows a rule trace to one asked port: which entry holds it, or
// why none does.
func (rt *RuleTrace) askPort(r *Rule, dst *Pod, proto corev1.Protocol, port int32, brief bool) {
	rt.MatchedPort, rt.PortMisses = "", nil
	inRule := rt.Ports.Contains(proto, port)
	rt.Allows = rt.PeerMatched && inRule
	if !inRule {
		if !brief {
			rt.PortMisses = portMisses(r, dst, &askedPort{proto, port})
		}
		return
	}
	for i := range r.Ports {
		if r.Ports[i].holds(dst, proto, port) {
			rt.MatchedPort = r.Ports[i].Path
			return
		}
	}
}

type askedPort struct {
	proto corev1.Protocol
	port  int32
}

// portMisses explains why each port entry does not hold the asked port (or,
// with no asked port, why it opens nothing).
func portMisses(r *Rule, dst *Pod, ask *askedPort) []Miss {
	var out []Miss
	for i := range r.Ports {
		pe := &r.Ports[i]
		var why string
		switch {
		case pe.Port != nil && pe.Port.StrVal != "" && dst == nil:
			why = fmt.Sprintf("named port %q never matches an address outside the cluster", pe.Port.StrVal)
		case pe.Port != nil && pe.Port.StrVal != "" && pe.portsFor(dst).IsEmpty():
			why = fmt.Sprintf("the destination pod declares no %s container port named %q%s", pe.Protocol, pe.Port.StrVal, otherProtocols(dst, pe))
		case ask == nil:
			continue
		case ask.proto != pe.Protocol:
			why = fmt.Sprintf("protocol %s, not %s", pe.Protocol, ask.proto)
		default:
			why = fmt.Sprintf("%s does not include %s %d", pe.portsFor(dst), ask.proto, ask.port)
		}
		out = append(out, Miss{Path: pe.Path, Reason: why})
	}
	return out
}

// otherProtocols notes when the named port exists with another protocol, the
// most common mistake with named ports.
func otherProtocols(dst *Pod, pe *Port) string {
	for _, cp := range dst.Ports {
		if cp.Name == pe.Port.StrVal {
			return fmt.Sprintf(" (it declares %s/%s %d)", cp.Name, cp.Protocol, cp.Port)
		}
	}
	return ""
}

// miss says why a peer did not match; missNone means it matched.
type miss int

const (
	missNone miss = iota
	missOutside
	missOtherNamespace
	missNamespaceLabels
	missPodLabels
	missPodIPsOff
	missRangeOutside
	missRangeExcept
	missNoIP
	missNotInCIDR
	missExcept
)

// peerMatch tells whether one peer entry of a policy in namespace ns matches
// the other end of the flow. It is the hot path: no strings are built.
func (s *Snapshot) peerMatch(ns string, pe *Peer, end flowEnd) miss {
	if pe.Kind == PeerIPBlock {
		return s.ipBlockMatch(pe, end)
	}
	if end.pod == nil {
		return missOutside
	}
	pod := end.pod
	switch pe.Kind {
	case PeerPods:
		if pod.Namespace != ns {
			return missOtherNamespace
		}
	case PeerNamespaces, PeerPodAndNamespace:
		if !pe.nsSel.Matches(s.namespaces[pod.Namespace].Labels) {
			return missNamespaceLabels
		}
	}
	if pe.Kind != PeerNamespaces && !pe.podSel.Matches(pod.Labels) {
		return missPodLabels
	}
	return missNone
}

func (s *Snapshot) ipBlockMatch(pe *Peer, end flowEnd) miss {
	if end.pod != nil && !s.opts.IPBlockMatchesPods {
		return missPodIPsOff
	}
	if end.cidr.IsValid() {
		r := end.cidr
		if r.Addr().Is4() != pe.CIDR.Addr().Is4() || r.Bits() < pe.CIDR.Bits() || !pe.CIDR.Contains(r.Addr()) {
			return missRangeOutside
		}
		for _, ex := range pe.Except {
			if ex.Overlaps(r) {
				return missRangeExcept
			}
		}
		return missNone
	}
	if !end.addr.IsValid() {
		return missNoIP
	}
	if !pe.CIDR.Contains(end.addr) {
		return missNotInCIDR
	}
	for _, ex := range pe.Except {
		if ex.Contains(end.addr) {
			return missExcept
		}
	}
	return missNone
}

// missReason renders why a peer did not match, for traces.
func (s *Snapshot) missReason(m miss, ns string, pe *Peer, end flowEnd) string {
	switch m {
	case missOutside:
		return fmt.Sprintf("%s is outside the cluster; only ipBlock peers match it", end)
	case missOtherNamespace:
		return fmt.Sprintf("podSelector alone selects pods in the policy's namespace %s only; the pod is in %s", ns, end.pod.Namespace)
	case missNamespaceLabels:
		return fmt.Sprintf("namespace %s labels {%s} do not match namespaceSelector {%s}", end.pod.Namespace, s.namespaces[end.pod.Namespace].Labels, pe.NamespaceSelector)
	case missPodLabels:
		return fmt.Sprintf("pod labels {%s} do not match podSelector {%s}", end.pod.Labels, pe.PodSelector)
	case missPodIPsOff:
		return "ipBlock is set to match only addresses outside the cluster, and this end is a pod"
	case missRangeOutside:
		return fmt.Sprintf("%s is not entirely inside %s", end.cidr, pe.CIDR)
	case missRangeExcept:
		for _, ex := range pe.Except {
			if ex.Overlaps(end.cidr) {
				return fmt.Sprintf("%s overlaps except %s", end.cidr, ex)
			}
		}
	case missNoIP:
		return "the pod's IP is not known (no status.podIP), so no ipBlock can match it"
	case missNotInCIDR:
		return fmt.Sprintf("%s is not in %s", end.addr, pe.CIDR)
	case missExcept:
		for _, ex := range pe.Except {
			if ex.Contains(end.addr) {
				return fmt.Sprintf("%s is in %s but excluded by except %s", end.addr, pe.CIDR, ex)
			}
		}
	}
	return ""
}

// allowedPorts is every port the flow src -> dst may use: the source's
// egress and the destination's ingress intersected. It builds no trace, for
// the commands that evaluate many pairs.
func (s *Snapshot) allowedPorts(src, dst flowEnd) PortSet {
	if src.pod != nil && src.pod == dst.pod {
		return AllPorts()
	}
	all := AllPorts()
	if src.pod != nil {
		all = s.directionPorts(Egress, src.pod, dst, dst.pod)
		if all.IsEmpty() {
			return all
		}
	}
	if dst.pod != nil {
		all = all.Intersect(s.directionPorts(Ingress, dst.pod, src, dst.pod))
	}
	return all
}

// directionPorts is the untraced evalDirection: the ports one half lets
// through.
func (s *Snapshot) directionPorts(d Direction, subject *Pod, peer flowEnd, dst *Pod) PortSet {
	if len(s.cluster) > 0 {
		return s.tieredPorts(d, subject, peer, dst)
	}
	allowed, isolated := s.networkPolicyPorts(d, subject, peer, dst)
	if !isolated {
		return AllPorts()
	}
	return allowed
}

// networkPolicyPorts is the untraced evalNetworkPolicies: the ports
// NetworkPolicy lets through one half, and whether it isolates the pod.
func (s *Snapshot) networkPolicyPorts(d Direction, subject *Pod, peer flowEnd, dst *Pod) (PortSet, bool) {
	var allowed PortSet
	isolated := false
	for _, p := range s.policies[subject.Namespace] {
		if !p.HasType(d) || !p.Selects(subject) {
			continue
		}
		isolated = true
		for i := range p.Rules(d) {
			r := &p.Rules(d)[i]
			if r.matchesPeer(s, p.Namespace, peer) {
				allowed = allowed.Union(r.portsFor(dst))
			}
		}
	}
	return allowed, isolated
}

func (r *Rule) matchesPeer(s *Snapshot, ns string, peer flowEnd) bool {
	return len(r.Peers) == 0 || r.firstPeer(s, ns, peer) >= 0
}

// describeRule renders a rule in plain words, e.g.
// "allow from pods {role=api} in namespace prod on TCP 3306".
func describeRule(d Direction, ns string, r *Rule) string {
	word := "from"
	if d == Egress {
		word = "to"
	}
	var peers string
	if len(r.Peers) == 0 {
		peers = "anywhere"
	} else {
		parts := make([]string, len(r.Peers))
		for i := range r.Peers {
			parts[i] = describePeer(ns, &r.Peers[i])
		}
		peers = strings.Join(parts, " or ")
	}
	ports := "all ports"
	if len(r.Ports) > 0 {
		parts := make([]string, len(r.Ports))
		for i := range r.Ports {
			parts[i] = r.Ports[i].String()
		}
		ports = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("allow %s %s on %s", word, peers, ports)
}

func describePeer(ns string, pe *Peer) string {
	pods := func() string {
		if pe.PodSelector == "" {
			return "all pods"
		}
		return "pods {" + pe.PodSelector + "}"
	}
	switch pe.Kind {
	case PeerIPBlock:
		if len(pe.Except) == 0 {
			return pe.CIDR.String()
		}
		ex := make([]string, len(pe.Except))
		for i, e := range pe.Except {
			ex[i] = e.String()
		}
		return fmt.Sprintf("%s except %s", pe.CIDR, strings.Join(ex, ","))
	case PeerPods:
		return fmt.Sprintf("%s in namespace %s", pods(), ns)
	case PeerNamespaces:
		if pe.NamespaceSelector == "" {
			return "all pods in all namespaces"
		}
		return fmt.Sprintf("all pods in namespaces {%s}", pe.NamespaceSelector)
	default:
		nss := "all namespaces"
		if pe.NamespaceSelector != "" {
			nss = "namespaces {" + pe.NamespaceSelector + "}"
		}
		return fmt.Sprintf("%s in %s", pods(), nss)
	}
}
