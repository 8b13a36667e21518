package query

import (
	"iter"
	"net/netip"
	"slices"
)

// The one evaluation of a half of a flow (the source's egress, or the
// destination's ingress): the stages of model.go in order, each judging
// what the ones before left undecided. decide is that order; judging says
// which policies take part; the three paths that evaluate halves (the
// traced one of "can" and "test", the untraced one per pod pair, the map's
// per class pair) differ only in how a rule is matched: with a trace, by
// matchPeer, or by bitsets over classes.

// flowEnd is one end of a flow: a pod, or an address (or range) outside
// the cluster.
type flowEnd struct {
	pod *Pod
	// addr is the address the flow uses: the pod's primary IP (may be
	// invalid when unknown) or the external address.
	addr netip.Addr
	// cidr is set for an external range; addr is then invalid.
	cidr netip.Prefix
	// at is the node of the pod whose policies judge the half this end is
	// the peer of, when known: Cilium tells its own node (host) from
	// others (remote-node).
	at string
}

// seenFrom is the end as the peer of a half whose subject is on node.
func (e flowEnd) seenFrom(subject *Pod) flowEnd {
	e.at = subject.NodeName
	return e
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

// judging yields the policies of stage st that judge direction d of the
// subject pod, in precedence order: namespaced policies by name, cluster
// policies by tier, priority and name. It is the one answer to "which
// policies isolate (or apply to) this pod".
func (s *Snapshot) judging(st stage, d Direction, subject *Pod) iter.Seq[*Policy] {
	return func(yield func(*Policy) bool) {
		for _, list := range [][]*Policy{s.nodeLocal, s.policies[subject.Namespace], s.clusterCilium, s.cluster} {
			for _, p := range list {
				if p.stage == st && p.judges(d) && p.Selects(s, subject) && !yield(p) {
					return
				}
			}
		}
	}
}

// allowListPolicies is judging's list for the allow-list stage, made once
// per class: the pods of a class are selected alike (commands that
// evaluate many pairs ask for it again and again).
func (s *Snapshot) allowListPolicies(d Direction, subject *Pod) []*Policy {
	c := s.classOf[subject]
	if c == nil {
		return slices.Collect(s.judging(stageNetworkPolicy, d, subject))
	}
	slot := &c.allowList[dix(d)]
	if l := slot.Load(); l != nil {
		return *l
	}
	l := slices.Collect(s.judging(stageNetworkPolicy, d, c.Rep))
	slot.Store(&l) // a list made twice on two cores is the same list
	return l
}

// allPolicies yields every policy of the snapshot: cluster-scoped ones in
// evaluation order, then namespaced ones by namespace and name.
func (s *Snapshot) allPolicies() iter.Seq[*Policy] {
	return func(yield func(*Policy) bool) {
		for _, list := range [][]*Policy{s.nodeLocal, s.cluster, s.clusterCilium} {
			for _, p := range list {
				if !yield(p) {
					return
				}
			}
		}
		for _, ns := range s.Namespaces() {
			for _, p := range s.policies[ns.Name] {
				if !yield(p) {
					return
				}
			}
		}
	}
}

// policyOf is the policy an object reference names, or nil.
func (s *Snapshot) policyOf(ref ObjectRef) *Policy {
	for p := range s.allPolicies() {
		if p.kind == ref.Kind && p.namespace == ref.Namespace && p.name == ref.Name {
			return p
		}
	}
	return nil
}

// selectedPods are the pods a policy's subject selects.
func (s *Snapshot) selectedPods(p *Policy) []*Pod {
	pods := s.pods
	if p.namespace != "" {
		pods = s.podsByNS[p.namespace]
	}
	var out []*Pod
	for _, pod := range pods {
		if p.Selects(s, pod) {
			out = append(out, pod)
		}
	}
	return out
}

// appliedRule is one rule of a policy that judges a half.
type appliedRule struct {
	policy *Policy
	rule   *Rule
}

// stageRules lists the rules of stage st that apply to direction d of the
// subject, in precedence order, and whether the stage isolates it: for an
// allow-list stage, some policy isolates it (even with no rules); for an
// ordered one, some policy has rules for it.
func (s *Snapshot) stageRules(st stage, d Direction, subject *Pod) (rules []appliedRule, isolated bool) {
	for p := range s.judging(st, d, subject) {
		isolated = isolated || st.kind() == ordered || p.isolates(d)
		for i := range p.rules(d) {
			rules = append(rules, appliedRule{p, &p.rules(d)[i]})
		}
	}
	return rules, isolated
}

// verdict is how the stages split the ports of one half.
type verdict struct {
	allowed PortSet
	// reached are the ports that reached each stage undecided.
	reached [numStages]PortSet
	// defaulted is what no stage decided: allowed.
	defaulted PortSet
}

// decide applies the stages in order to one half of a flow. judge is one
// stage's judgement of the ports still undecided: what it accepts, and
// what it hands on to the next stage; it denies the rest.
func decide(judge func(st stage, undecided PortSet) (accept, onward PortSet)) verdict {
	var v verdict
	undecided := AllPorts()
	for st := range numStages {
		if undecided.IsEmpty() {
			break
		}
		v.reached[st] = undecided
		accept, onward := judge(st, undecided)
		v.allowed = v.allowed.Union(accept)
		undecided = onward
	}
	v.defaulted = undecided
	v.allowed = v.allowed.Union(undecided)
	return v
}

// listJudgement is what an allow-list stage's rules say of one half: the
// ports matching Accept rules allow and matching Deny rules deny, and
// whether the stage isolates the subject.
type listJudgement struct {
	allowed, denied PortSet
	isolated        bool
}

// add takes in the ports of one matching rule.
func (j *listJudgement) add(a Action, ports PortSet) {
	if a == ActionDeny {
		j.denied = j.denied.Union(ports)
	} else {
		j.allowed = j.allowed.Union(ports)
	}
}

// lets is every port the stage lets through when nothing follows it:
// what it allows and does not deny when it isolates the subject, else
// everything it does not deny.
func (j listJudgement) lets() PortSet {
	if j.isolated {
		return j.allowed.Subtract(j.denied)
	}
	return allPorts.Subtract(j.denied)
}

// allowListJudgement is an allow-list stage's judgement: Deny rules deny
// what they match; a pod the stage isolates gets what its Accept rules
// allow, and nothing goes on; for one it does not isolate, the ports not
// denied go on.
func allowListJudgement(j listJudgement, undecided PortSet) (accept, onward PortSet) {
	if j.isolated {
		return j.allowed.Subtract(j.denied).Intersect(undecided), PortSet{}
	}
	return PortSet{}, undecided.Subtract(j.denied)
}

// walkRules is an ordered stage's judgement: n rules in precedence order,
// each with its action and the ports it matches for this flow (ok false
// when its peers do not match); rule i takes the ports it matches that are
// still undecided. visit, when set, sees every rule that took ports.
func walkRules(n int, rule func(i int) (Action, PortSet, bool), undecided PortSet, visit func(i int, action Action, took PortSet)) (accept, pass, rest PortSet) {
	for i := 0; i < n && !undecided.IsEmpty(); i++ {
		action, ports, ok := rule(i)
		if !ok {
			continue
		}
		took := ports.Intersect(undecided)
		if took.IsEmpty() {
			continue
		}
		undecided = undecided.Subtract(took)
		switch action {
		case ActionAccept:
			accept = accept.Union(took)
		case ActionPass:
			pass = pass.Union(took)
		}
		if visit != nil {
			visit(i, action, took)
		}
	}
	return accept, pass, undecided
}

// ruleMatch is what one rule does to this flow: its action, the ports it
// matches towards dst, and whether its peers match the other end.
func (s *Snapshot) ruleMatch(r *Rule, peer flowEnd, dst *Pod) (Action, PortSet, bool) {
	if r.denyAll {
		return ActionDeny, AllPorts(), true
	}
	if !s.matchesPeer(r, peer) {
		return r.action, PortSet{}, false
	}
	return r.action, r.portsFor(dst), true
}

// orderedJudgement walks the rules of an ordered stage for a pod pair.
func (s *Snapshot) orderedJudgement(rules []appliedRule, peer flowEnd, dst *Pod, undecided PortSet, visit func(i int, action Action, took PortSet)) (accept, onward PortSet) {
	accept, pass, rest := walkRules(len(rules), func(i int) (Action, PortSet, bool) {
		return s.ruleMatch(rules[i].rule, peer, dst)
	}, undecided, visit)
	return accept, pass.Union(rest)
}

// allowListOnly tells whether the allow-list stage is the only one with
// policies: then a half is that stage's answer, without the walk.
func (s *Snapshot) allowListOnly() bool {
	return len(s.cluster) == 0 && !slices.ContainsFunc(s.nodeLocal, func(p *Policy) bool { return p.stage != stageNetworkPolicy })
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

// directionPorts is the untraced evaluation of one half: the ports it lets
// through. subject is the pod whose policies apply, peer the other end,
// dst the flow's destination pod (nil outside the cluster), against which
// named ports resolve.
func (s *Snapshot) directionPorts(d Direction, subject *Pod, peer flowEnd, dst *Pod) PortSet {
	peer = peer.seenFrom(subject)
	if s.allowListOnly() {
		return s.allowListPorts(d, subject, peer, dst).lets()
	}
	return decide(func(st stage, undecided PortSet) (PortSet, PortSet) {
		if st.kind() == allowList {
			return allowListJudgement(s.allowListPorts(d, subject, peer, dst), undecided)
		}
		rules, _ := s.stageRules(st, d, subject)
		return s.orderedJudgement(rules, peer, dst, undecided, nil)
	}).allowed
}

// allowListPorts is the allow-list stage for a pod pair: what the
// matching rules allow and deny, and whether the stage isolates the pod.
func (s *Snapshot) allowListPorts(d Direction, subject *Pod, peer flowEnd, dst *Pod) listJudgement {
	var j listJudgement
	for _, p := range s.allowListPolicies(d, subject) {
		j.isolated = j.isolated || p.isolates(d)
		for i := range p.rules(d) {
			if a, ports, ok := s.ruleMatch(&p.rules(d)[i], peer, dst); ok {
				j.add(a, ports)
			}
		}
	}
	return j
}
