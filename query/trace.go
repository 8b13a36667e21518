package query

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// PolicyRef names a policy that selects a pod, with its effective types.
type PolicyRef struct {
	Name        string                    `json:"name"`
	PolicyTypes []networkingv1.PolicyType `json:"policyTypes"`
	// TypesDefaulted is true when policyTypes was not written and the API
	// server's defaulting decided them.
	TypesDefaulted bool `json:"typesDefaulted,omitempty"`
	// NonIsolating is set for a policy that judges the direction without
	// isolating the pod (a Cilium policy with enableDefaultDeny false).
	NonIsolating bool `json:"nonIsolating,omitempty"`
}

// ref is the policy's reference for direction d.
func (p *Policy) ref(d Direction) PolicyRef {
	return PolicyRef{Name: p.key(), PolicyTypes: p.types, TypesDefaulted: p.typesDefaulted, NonIsolating: !p.isolates(d)}
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
	// Deny is set for a deny rule (Cilium's ingressDeny, egressDeny), and
	// Denies when it denies the flow as Allows says of an allow rule.
	Deny   bool `json:"deny,omitempty"`
	Denies bool `json:"denies,omitempty"`
	// L7 names the L7 rules the flows this rule allows are subject to
	// (Cilium's toPorts rules): allowed at L4 only.
	L7 string `json:"l7,omitempty"`
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
	peer = peer.seenFrom(subject)
	t, j := s.evalNetworkPolicies(d, subject, peer, dst, ask)
	if s.allowListOnly() {
		return t
	}
	return s.applyTiers(t, j, d, subject, peer, dst, ask)
}

// evalNetworkPolicies is the allow-list stage's judgement of one half,
// traced: every rule of the policies that judge the subject, with what
// matched or why not, and the stage's judgement.
func (s *Snapshot) evalNetworkPolicies(d Direction, subject *Pod, peer flowEnd, dst *Pod, ask portAsk) (DirectionTrace, listJudgement) {
	t := DirectionTrace{Direction: d, Pod: subject.Key(), Policies: []PolicyRef{}}
	var j listJudgement
	var isolating []string
	judging := s.allowListPolicies(d, subject)
	n := 0
	for _, p := range judging {
		n += len(p.rules(d))
	}
	if n > 0 {
		t.Rules = make([]RuleTrace, 0, n) // one allocation: a pod may be judged by many rules
	}
	for _, p := range judging {
		key := p.key()
		if p.isolates(d) {
			j.isolated = true
			isolating = append(isolating, key)
		}
		t.Policies = append(t.Policies, p.ref(d))
		for i := range p.rules(d) {
			r := &p.rules(d)[i]
			rt := s.evalRule(d, key, r, peer, dst, ask.brief)
			if ask.single {
				rt.askPort(r, dst, ask.proto, ask.port, ask.brief)
			}
			if rt.PeerMatched {
				j.add(r.action, rt.Ports)
			}
			t.Rules = append(t.Rules, rt)
		}
	}
	t.Isolated = j.isolated
	t.AllowedPorts = j.lets()
	t.Allowed = !t.AllowedPorts.Intersect(ask.scope).IsEmpty()
	denied := !j.denied.Intersect(ask.scope).IsEmpty()
	switch {
	case t.Allowed && j.isolated:
		// The rules that allow it are the answer; the misses of the others
		// would only differ from pod to pod (labels, IPs).
		t.Rules = slices.DeleteFunc(t.Rules, func(r RuleTrace) bool { return !r.Allows && !r.Denies })
		for _, r := range t.Rules {
			if r.Allows && r.L7 != "" {
				t.Notes = appendNew(t.Notes, "allowed at L4; "+r.L7)
			}
		}
	case t.Allowed:
		t.Rules = slices.DeleteFunc(t.Rules, func(r RuleTrace) bool { return !r.Denies })
	case denied:
		// Deny rules decide: the allows they override are beside the point.
		t.Rules = slices.DeleteFunc(t.Rules, func(r RuleTrace) bool { return !r.Denies })
	}
	denying := func() string {
		var names []string
		for _, r := range t.Rules {
			if r.Denies && !slices.Contains(names, r.Policy) {
				names = append(names, r.Policy)
			}
		}
		return strings.Join(names, ", ")
	}
	switch {
	case !j.isolated && !denied:
		t.Summary = fmt.Sprintf("not isolated for %s: no policy of type %s selects the pod", d, policyTypeOf(d))
		if len(t.Policies) > 0 {
			t.Summary = fmt.Sprintf("not isolated for %s: the policies that select the pod leave default deny off", d)
		}
	case !j.isolated:
		t.Summary = fmt.Sprintf("not isolated for %s; denied by %s", d, denying())
	case denied && !t.Allowed:
		t.Summary = fmt.Sprintf("isolated for %s by %s; denied by %s, which overrides any allow", d, strings.Join(isolating, ", "), denying())
	case len(t.Rules) == 0:
		verb := "allows"
		if len(isolating) > 1 {
			verb = "allow"
		}
		t.Summary = fmt.Sprintf("isolated for %s by %s, which %s no %s (default deny)", d, strings.Join(isolating, ", "), verb, d)
	default:
		t.Summary = fmt.Sprintf("isolated for %s by %s", d, strings.Join(isolating, ", "))
	}
	return t, j
}

// evalRule judges one rule of the policy keyed policy: does some peer match
// the other end, and which ports does it open towards the destination.
// brief leaves out the misses, which only a printed trace shows and which
// cost a string per entry.
func (s *Snapshot) evalRule(d Direction, policy string, r *Rule, peer flowEnd, dst *Pod, brief bool) RuleTrace {
	rt := RuleTrace{Policy: policy, Rule: r.path, Description: r.text(d)}
	if r.anyPeer {
		rt.PeerMatched = true
	} else if i := s.firstPeer(r, peer); i >= 0 {
		rt.PeerMatched, rt.MatchedPeer = true, r.peers[i].path
	} else if !brief {
		for i := range r.peers {
			m := s.matchPeer(&r.peers[i], r.action, peer)
			rt.PeerMisses = append(rt.PeerMisses, Miss{Path: r.peers[i].path, Reason: s.missReason(m, &r.peers[i], peer)})
		}
	}
	rt.Ports = r.portsFor(dst)
	rt.Deny = r.action == ActionDeny
	rt.L7 = r.l7
	if r.authRequired != "" && rt.PeerMatched && !s.sem.runTime {
		rt.PeerMatched, rt.MatchedPeer = false, ""
		if !brief {
			rt.PeerMisses = []Miss{{Path: r.path, Reason: "allowed only once mutual authentication (" + r.authRequired + ") succeeds at run time"}}
		}
	}
	rt.Allows = rt.PeerMatched && !rt.Ports.IsEmpty()
	if rt.Deny {
		rt.Allows, rt.Denies = false, rt.Allows
	}
	if !rt.Allows && !rt.Denies && rt.PeerMatched && !brief {
		rt.PortMisses = portMisses(r, dst, nil)
	}
	return rt
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
	rt.Allows = rt.PeerMatched && inRule && !rt.Deny
	rt.Denies = rt.PeerMatched && inRule && rt.Deny
	if !inRule {
		if !brief {
			rt.PortMisses = portMisses(r, dst, &askedPort{proto, port})
		}
		return
	}
	for i := range r.ports {
		if r.ports[i].holds(dst, proto, port) {
			rt.MatchedPort = r.ports[i].path
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
	for i := range r.ports {
		pe := &r.ports[i]
		var why string
		switch {
		case pe.named != "" && dst == nil:
			why = fmt.Sprintf("named port %q never matches an address outside the cluster", pe.named)
		case pe.named != "" && pe.portsFor(dst).IsEmpty():
			why = fmt.Sprintf("the destination pod declares no %s container port named %q%s", pe.protocol, pe.named, otherProtocols(dst, pe))
		case ask == nil:
			continue
		case ask.proto != pe.protocol:
			why = fmt.Sprintf("protocol %s, not %s", pe.protocol, ask.proto)
		default:
			why = fmt.Sprintf("%s does not include %s %d", pe.portsFor(dst), ask.proto, ask.port)
		}
		out = append(out, Miss{Path: pe.path, Reason: why})
	}
	return out
}

// otherProtocols notes when the named port exists with another protocol, the
// most common mistake with named ports.
func otherProtocols(dst *Pod, pe *Port) string {
	for _, cp := range dst.Ports {
		if cp.Name == pe.named {
			return fmt.Sprintf(" (it declares %s/%s %d)", cp.Name, cp.Protocol, cp.Port)
		}
	}
	return ""
}
