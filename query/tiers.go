package query

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Cluster-scoped policies judge each half of a flow in tiers, as the
// policy.networking.k8s.io API defines (decide in evaluate.go applies the
// order; this file traces it):
//
//  1. Admin tier: the rules of the policies that select the pod, by
//     priority (lower first), then by name (the API leaves equal
//     priorities undefined; Ambiguities reports them), then in written
//     order. The first rule that matches decides: Accept and Deny are
//     final, Pass hands the traffic to NetworkPolicy.
//  2. NetworkPolicy: a pod isolated in this direction gets NetworkPolicy's
//     verdict, final.
//  3. Baseline tier, as the Admin tier; Pass and no match fall through.
//  4. Allowed.
//
// Everything works on port sets: each rule takes the ports of the flow it
// matches that no earlier rule took.

// clusterNode is what cluster policies need of a Node: its labels and
// addresses.
type clusterNode struct {
	name   string
	labels labels.Set
	addrs  []netip.Addr
}

func sortClusterPolicies(ps []*Policy) {
	slices.SortStableFunc(ps, func(a, b *Policy) int {
		return cmp.Or(cmp.Compare(tierRank(a.tier), tierRank(b.tier)), cmp.Compare(a.priority, b.priority), cmp.Compare(a.name, b.name), cmp.Compare(a.kind, b.kind))
	})
}

func tierRank(t Tier) int {
	if t == TierAdmin {
		return 0
	}
	return 1
}

// ClusterRuleRef names one rule of a cluster policy and says it in words.
type ClusterRuleRef struct {
	Tier   Tier   `json:"tier"`
	Kind   string `json:"kind"`
	Policy string `json:"policy"`
	// Priority is nil for BaselineAdminNetworkPolicy, which has none.
	Priority *int32 `json:"priority,omitempty"`
	// Rule is the rule's field path, e.g. spec.ingress[0]; RuleName its
	// name field.
	Rule     string `json:"rule"`
	RuleName string `json:"ruleName,omitempty"`
	Action   Action `json:"action"`
	// Description is the rule in words, e.g. "Deny from all pods in
	// namespaces {env=dev} on all ports".
	Description string `json:"description"`
}

func (tr appliedRule) ref(d Direction) ClusterRuleRef {
	r := ClusterRuleRef{Tier: tr.policy.tier, Kind: tr.policy.kind, Policy: tr.policy.name, Rule: tr.rule.path,
		RuleName: tr.rule.name, Action: tr.rule.action, Description: tr.rule.text(d)}
	if tr.policy.hasPriority {
		p := tr.policy.priority
		r.Priority = &p
	}
	if tr.rule.denyAll {
		r.Action = ActionDeny
	}
	return r
}

// Label renders the rule as `ClusterNetworkPolicy/deny-dev (Admin tier,
// priority 10) spec.ingress[0] "deny-dev"`; at replaces the rule's path
// when not empty (the peer that matched).
func (r *ClusterRuleRef) Label(at string) string {
	prio := ""
	if r.Priority != nil {
		prio = fmt.Sprintf(", priority %d", *r.Priority)
	}
	name := ""
	if r.RuleName != "" {
		name = fmt.Sprintf(" %q", r.RuleName)
	}
	if at == "" {
		at = r.Rule
	}
	return fmt.Sprintf("%s/%s (%s tier%s) %s%s", r.Kind, r.Policy, r.Tier, prio, at, name)
}

// TierRuleTrace is a cluster policy rule that decided some ports of a flow.
type TierRuleTrace struct {
	ClusterRuleRef
	MatchedPeer string `json:"matchedPeer,omitempty"`
	// Ports are the ports of the flow this rule decided: those it matches
	// that no rule before it took.
	Ports PortSet `json:"ports"`
}

// Label renders the rule and the peer that matched.
func (tr *TierRuleTrace) Label() string { return tr.ClusterRuleRef.Label(tr.MatchedPeer) }

func traceOf(tr appliedRule, d Direction, peer flowEnd, s *Snapshot, took PortSet) TierRuleTrace {
	t := TierRuleTrace{ClusterRuleRef: tr.ref(d), Ports: took}
	if tr.rule.denyAll {
		return t
	}
	if i := s.firstPeer(tr.rule, peer); i >= 0 {
		t.MatchedPeer = tr.rule.peers[i].path
	}
	return t
}

// applyTiers turns NetworkPolicy's trace of one half into the whole
// answer when cluster policies exist.
func (s *Snapshot) applyTiers(t DirectionTrace, j listJudgement, d Direction, subject *Pod, peer flowEnd, dst *Pod, ask portAsk) DirectionTrace {
	node, _ := s.stageRules(stageNode, d, subject)
	admin, _ := s.stageRules(stageAdmin, d, subject)
	baseline, _ := s.stageRules(stageBaseline, d, subject)
	var nodeTr, adminTr, baseTr []TierRuleTrace
	res := decide(func(st stage, undecided PortSet) (PortSet, PortSet) {
		switch st {
		case stageNode:
			return s.orderedJudgement(node, peer, dst, undecided, func(i int, _ Action, took PortSet) {
				nodeTr = append(nodeTr, traceOf(node[i], d, peer, s, took))
			})
		case stageAdmin:
			return s.orderedJudgement(admin, peer, dst, undecided, func(i int, _ Action, took PortSet) {
				adminTr = append(adminTr, traceOf(admin[i], d, peer, s, took))
			})
		case stageBaseline:
			return s.orderedJudgement(baseline, peer, dst, undecided, func(i int, _ Action, took PortSet) {
				baseTr = append(baseTr, traceOf(baseline[i], d, peer, s, took))
			})
		}
		return allowListJudgement(j, undecided)
	})
	scope := ask.scope
	if ask.single {
		scope = SinglePort(ask.proto, ask.port)
	}
	relevant := func(trs []TierRuleTrace) []TierRuleTrace {
		var out []TierRuleTrace
		for _, tr := range trs {
			if !tr.Ports.Intersect(scope).IsEmpty() {
				out = append(out, tr)
			}
		}
		return out
	}
	t.Tiers = append(append(relevant(nodeTr), relevant(adminTr)...), relevant(baseTr)...)
	t.Notes = append(t.Notes, s.tierNotes(admin, baseline, d, peer)...)
	toNP, toBaseline := res.reached[stageNetworkPolicy], res.reached[stageBaseline]
	npConsulted := !toNP.Intersect(scope).IsEmpty()
	if !npConsulted {
		t.Rules = nil
	}
	t.AllowedPorts = res.allowed
	t.Allowed = !res.allowed.Intersect(ask.scope).IsEmpty()
	if ask.single {
		t.Allowed = res.allowed.Contains(ask.proto, ask.port)
	}
	t.Summary = tierSummary(t, d, res, scope, ask.single, npConsulted, len(admin)+len(baseline) > 0)
	if !npConsulted {
		t.Policies = []PolicyRef{}
	}
	switch {
	case !ask.single:
	case !res.reached[stageAdmin].Contains(ask.proto, ask.port):
		t.DecidedBy = string(TierNode)
	case !toNP.Contains(ask.proto, ask.port):
		t.DecidedBy = string(TierAdmin)
	case toBaseline.IsEmpty() || !toBaseline.Contains(ask.proto, ask.port):
		t.DecidedBy = "NetworkPolicy"
	case res.defaulted.Contains(ask.proto, ask.port):
		t.DecidedBy = "Default"
	default:
		t.DecidedBy = string(TierBaseline)
	}
	return t
}

// tierSummary says in one line which tiers decided the half: "passed to
// NetworkPolicy by the Admin tier; then isolated for ingress by prod/db".
func tierSummary(t DirectionTrace, d Direction, res verdict, scope PortSet, single, npConsulted, applies bool) string {
	var parts []string
	byTier := func(tier Tier) {
		for _, a := range []Action{ActionDeny, ActionAccept, ActionPass} {
			var ports PortSet
			for _, tr := range t.Tiers {
				if tr.Tier == tier && tr.Action == a {
					ports = ports.Union(tr.Ports.Intersect(scope))
				}
			}
			if ports.IsEmpty() {
				continue
			}
			verb := map[Action]string{ActionAccept: "accepted", ActionDeny: "denied", ActionPass: "passed on"}[a]
			if tier == TierNode {
				verb = "allowed from the pod's own node"
			}
			if tier == TierAdmin && a == ActionPass {
				verb = "passed to NetworkPolicy"
			}
			if !single {
				verb += " " + ports.String()
			}
			if tier == TierNode {
				parts = append(parts, verb+" (the network plugin always allows it)")
				continue
			}
			parts = append(parts, fmt.Sprintf("%s by the %s tier", verb, tier))
		}
	}
	byTier(TierNode)
	byTier(TierAdmin)
	if npConsulted {
		if t.Isolated {
			parts = append(parts, t.Summary)
		} else {
			parts = append(parts, fmt.Sprintf("not isolated for %s by NetworkPolicy", d))
		}
	}
	byTier(TierBaseline)
	if defaulted := res.defaulted.Intersect(scope); !defaulted.IsEmpty() && applies {
		what := "no Admin or Baseline rule matches"
		if len(t.Tiers) > 0 {
			what = "no other rule matches"
		}
		if !single && len(t.Tiers) > 0 {
			what = fmt.Sprintf("no rule matches %s", defaulted)
		}
		parts = append(parts, what+": allowed")
	}
	if len(parts) == 0 {
		return t.Summary
	}
	return strings.Join(parts, "; then ")
}

// tierNotes says what the tiers could not judge offline: domain names,
// and nodes peers without Node objects.
func (s *Snapshot) tierNotes(admin, baseline []appliedRule, d Direction, peer flowEnd) []string {
	if d != Egress {
		return nil // ingress peers select pods only
	}
	var out []string
	for _, tr := range append(admin, baseline...) {
		for _, pe := range tr.rule.peers {
			switch {
			case peer.pod != nil:
				// Networks match pod IPs too, which manifests often lack.
				if pe.kind == peerNetworks && !peer.addr.IsValid() {
					out = append(out, fmt.Sprintf("%s has no known IP (no status.podIPs), so %s/%s %s (%s %s) cannot match it; if its address is in those networks, that rule applies", peer, tr.policy.kind, tr.policy.name, pe.path, tr.rule.action, pe.text))
				}
			case pe.kind == peerDomainNames:
				out = append(out, fmt.Sprintf("%s/%s %s accepts %s: domain names are resolved at run time and cannot be judged offline; this answer takes them as not matching %s", tr.policy.kind, tr.policy.name, pe.path, strings.Join(pe.domains, ", "), peer))
			case pe.kind == peerNodes && len(s.nodes) == 0:
				out = append(out, fmt.Sprintf("%s/%s %s selects nodes, but no Node objects were given; this answer takes %s as no node's address", tr.policy.kind, tr.policy.name, pe.path, peer))
			}
		}
	}
	return out
}

// Ambiguity is a flow two policies of the same tier and priority judge
// differently: the API lets an implementation apply either.
type Ambiguity struct {
	Direction Direction `json:"direction"`
	Pod       string    `json:"pod"`
	Policies  []string  `json:"policies"`
	Ports     PortSet   `json:"ports"`
}

func (a Ambiguity) String() string {
	return fmt.Sprintf("%s of %s on %s: %s have the same tier and priority and judge it differently; implementations may apply either (this answer follows name order)",
		a.Direction, a.Pod, a.Ports, strings.Join(a.Policies, " and "))
}

// ambiguities finds the ports of one half that policies of equal tier and
// priority decide differently, among the ports still undecided when that
// priority is reached.
func (s *Snapshot) ambiguities(d Direction, subject *Pod, peer flowEnd, dst *Pod, scope PortSet) []Ambiguity {
	var out []Ambiguity
	for _, t := range []Tier{TierAdmin, TierBaseline} {
		st := stageAdmin
		if t == TierBaseline {
			st = stageBaseline
		}
		rules, _ := s.stageRules(st, d, subject)
		undecided := scope
		for start := 0; start < len(rules); {
			end := start
			for end < len(rules) && rules[end].policy.priority == rules[start].policy.priority {
				end++
			}
			// Each policy of the group on its own: what it decides.
			type decision struct {
				policy string
				byAct  map[Action]PortSet
			}
			var ds []decision
			for i := start; i < end; {
				j := i
				for j < end && rules[j].policy == rules[i].policy {
					j++
				}
				dec := decision{policy: rules[i].policy.key(), byAct: map[Action]PortSet{}}
				walkRules(j-i, func(k int) (Action, PortSet, bool) {
					return s.ruleMatch(rules[i+k].rule, peer, dst)
				}, undecided, func(_ int, a Action, took PortSet) {
					dec.byAct[a] = dec.byAct[a].Union(took)
				})
				ds = append(ds, dec)
				i = j
			}
			for x := 0; x < len(ds); x++ {
				for y := x + 1; y < len(ds); y++ {
					var clash PortSet
					for ax, px := range ds[x].byAct {
						for ay, py := range ds[y].byAct {
							if ax != ay {
								clash = clash.Union(px.Intersect(py))
							}
						}
					}
					if !clash.IsEmpty() {
						out = append(out, Ambiguity{Direction: d, Pod: subject.Key(), Policies: []string{ds[x].policy, ds[y].policy}, Ports: clash})
					}
				}
			}
			_, _, undecided = walkRules(end-start, func(k int) (Action, PortSet, bool) {
				return s.ruleMatch(rules[start+k].rule, peer, dst)
			}, undecided, nil)
			start = end
		}
	}
	return out
}

// nodeFromObject copies what cluster policies need from a Node.
func nodeFromObject(o *corev1.Node) (*clusterNode, error) {
	n := &clusterNode{name: o.Name, labels: labels.Set{}}
	for k, v := range o.Labels {
		n.labels[k] = v
	}
	for i, a := range o.Status.Addresses {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue
		}
		addr, err := parseIP(a.Address)
		if err != nil {
			return nil, fmt.Errorf("status.addresses[%d]: %w", i, err)
		}
		n.addrs = append(n.addrs, addr)
	}
	return n, nil
}
