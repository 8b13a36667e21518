package query

import (
	"fmt"
	"net/netip"
	"strings"
)

// Explanation is everything that decides the traffic of a target: per
// workload, what isolates it, every rule in plain words, and the resolved
// effect — who may reach it and what it may reach, on which ports.
type Explanation struct {
	TypeMeta
	SchemaVersion string `json:"schemaVersion"`
	// Target is the resolved target; nil when a whole namespace is explained.
	Target *Endpoint `json:"target,omitempty"`
	// Namespace is the namespace explained; empty for a target, and for
	// every namespace (explain -A).
	Namespace string `json:"namespace,omitempty"`
	// Selector restricts the workloads explained to those with a pod it
	// matches (explain -l), as written by labels.Selector.
	Selector  string             `json:"selector,omitempty"`
	Workloads []*UnitExplanation `json:"workloads"`
	Warnings  []Warning          `json:"warnings,omitempty"`
	// Profile is the network plugin profile the explanation was judged
	// under, and why it was chosen.
	Profile *Profile `json:"profile,omitempty"`
}

// UnitExplanation explains one workload (or bare pod).
type UnitExplanation struct {
	Workload  string            `json:"workload"`
	Namespace string            `json:"namespace"`
	Pods      []string          `json:"pods"`
	Labels    map[string]string `json:"labels"`
	Ingress   DirectionSummary  `json:"ingress"`
	Egress    DirectionSummary  `json:"egress"`
}

// DirectionSummary is one direction of a workload's traffic.
type DirectionSummary struct {
	Direction Direction     `json:"direction"`
	Isolated  bool          `json:"isolated"`
	Policies  []PolicyRef   `json:"policies"`
	Rules     []RuleSummary `json:"rules"`
	// Peers are, for ingress, who may reach the workload; for egress, what
	// it may reach; both halves of each flow considered.
	Peers []Reach `json:"peers"`
	// regions are the address regions the peers are judged on, so that
	// variants are judged on the same (undecided.go).
	regions []region
	// ClusterRules are the rules of cluster-scoped policies (Admin tier,
	// then Baseline tier) that apply to the workload in this direction,
	// in precedence order.
	ClusterRules []ClusterRuleRef `json:"clusterRules,omitempty"`
	// Risk names what an open direction exposes: no NetworkPolicy isolates
	// it and no cluster policy rule denies anything.
	Risk string `json:"risk,omitempty"`
}

// RuleSummary is one rule of a selecting policy, in plain words.
type RuleSummary struct {
	Policy      string        `json:"policy"`
	Rule        string        `json:"rule"`
	Description string        `json:"description"`
	Peers       []PeerSummary `json:"peers,omitempty"`
	// MatchesNothing is true when no peer of the rule matches anything
	// that exists: the rule allows nothing.
	MatchesNothing bool `json:"matchesNothing,omitempty"`
	// Deny is set for a deny rule (Cilium's ingressDeny, egressDeny).
	Deny bool `json:"deny,omitempty"`
}

// PeerSummary says what one peer entry matches in the snapshot.
type PeerSummary struct {
	Path        string `json:"path"`
	Description string `json:"description"`
	// Workloads are the workloads the peer's selectors match.
	Workloads []string `json:"workloads,omitempty"`
	// MatchesNothing is true for selectors that match no pod (or no
	// namespace) that exists.
	MatchesNothing bool   `json:"matchesNothing,omitempty"`
	Note           string `json:"note,omitempty"`
}

// Reach is a peer that may talk with the workload, and on which ports.
type Reach struct {
	// Peer is a workload ("deployment prod/api"), an address range
	// ("192.168.5.10/32", "10.0.0.0/8 except 10.1.0.0/16") or "any other
	// address".
	Peer     string  `json:"peer"`
	External bool    `json:"external,omitempty"`
	Ports    PortSet `json:"ports"`
	// Partial is true when not every pod pair may use every port listed
	// (pods of a workload that policies treat differently).
	Partial bool `json:"partial,omitempty"`
	// Ambiguous are ports that cluster policies of the same tier and
	// priority judge differently ("can" answers AMBIGUOUS): Ports follows
	// name order there.
	Ambiguous *PortSet `json:"ambiguous,omitempty"`
	// Undecided are ports whose verdict depends on what the network
	// plugin does where its profile leaves that unknown ("can" answers
	// UNDECIDED): Ports follows the API text's reading there.
	Undecided *PortSet `json:"undecided,omitempty"`

	// all is the ports every pod pair may use, to compare variants by.
	all PortSet
}

// Explain explains a target endpoint, one entry per workload it covers.
func (s *Snapshot) Explain(e EndpointSpec, defaultNS string) (*Explanation, error) {
	if e.Port != "" {
		return nil, fmt.Errorf("%q: explain takes no port", e.Raw)
	}
	target, err := s.Resolve(e, defaultNS)
	if err != nil {
		return nil, err
	}
	if target.Kind == "External" {
		return nil, fmt.Errorf("%q is outside the cluster: explain takes a pod, workload, service or label selector", e.Raw)
	}
	ex := &Explanation{TypeMeta: Document(KindExplanation), SchemaVersion: SchemaVersion, Target: target}
	units := s.Units("")
	for _, u := range s.unitsOf(target.PodList()) {
		ex.Workloads = append(ex.Workloads, s.explainUnit(u, units))
	}
	ex.Warnings = append(s.warningsFor(target), ex.ambiguityWarnings()...)
	s.settleExplanation(ex)
	return ex, nil
}

// ambiguityWarnings is the one warning about ambiguous peers, if any.
func (ex *Explanation) ambiguityWarnings() []Warning {
	n := 0
	for _, ue := range ex.Workloads {
		for _, ds := range []*DirectionSummary{&ue.Ingress, &ue.Egress} {
			for _, r := range ds.Peers {
				if r.Ambiguous != nil {
					n++
				}
			}
		}
	}
	return ambiguityWarnings(n, "peer")
}

// ExplainNamespace explains every workload of a namespace.
func (s *Snapshot) ExplainNamespace(ns string) (*Explanation, error) {
	return s.ExplainWorkloads([]string{ns}, nil)
}

func (s *Snapshot) explainUnit(u *Unit, units []*Unit) *UnitExplanation {
	ue := &UnitExplanation{Workload: u.String(), Namespace: u.Namespace, Labels: map[string]string(u.Pods[0].Labels)}
	for _, p := range u.Pods {
		ue.Pods = append(ue.Pods, p.Key())
	}
	ue.Ingress = s.summarize(Ingress, u, units)
	ue.Egress = s.summarize(Egress, u, units)
	return ue
}

// summarize explains one direction of a unit, from its first pod's
// policies, and resolves its effect over every unit of the snapshot.
func (s *Snapshot) summarize(d Direction, u *Unit, units []*Unit) DirectionSummary {
	rep := u.Pods[0]
	ds := DirectionSummary{Direction: d, Policies: []PolicyRef{}, Rules: []RuleSummary{}, Peers: []Reach{}}
	var prefixes []netip.Prefix
	rules, isolated := s.stageRules(stageNetworkPolicy, d, rep)
	ds.Isolated = isolated
	for p := range s.judging(stageNetworkPolicy, d, rep) {
		ds.Policies = append(ds.Policies, p.ref(d))
	}
	restricted := ds.Isolated
	for _, ar := range rules {
		ds.Rules = append(ds.Rules, s.summarizeRule(d, ar.policy, ar.rule))
		restricted = restricted || ar.rule.action == ActionDeny
	}
	for _, st := range []stage{stageAdmin, stageBaseline} {
		if st == stageBaseline && ds.Isolated {
			break // NetworkPolicy decides what the Admin tier leaves
		}
		tiered, _ := s.stageRules(st, d, rep)
		for _, tr := range tiered {
			cs := tr.ref(d)
			restricted = restricted || cs.Action == ActionDeny
			ds.ClusterRules = append(ds.ClusterRules, cs)
		}
		rules = append(rules, tiered...)
	}
	for _, ar := range rules {
		for i := range ar.rule.peers {
			prefixes = append(prefixes, s.peerPrefixes(&ar.rule.peers[i])...)
		}
	}
	// Addresses outside the cluster, one representative per region that
	// the ipBlocks of this direction cut the address space into.
	ds.regions = addressRegions(prefixes)
	ds.Peers = s.peers(d, u, units, ds.regions)
	if !restricted {
		if d == Ingress {
			ds.Risk = "open for ingress: no NetworkPolicy selects it, so every pod in the cluster and every address that can route to it may connect on any port"
		} else {
			ds.Risk = "open for egress: no NetworkPolicy with type Egress selects it, so it may connect anywhere on any port"
		}
	}
	return ds
}

// peers are who may reach unit u (ingress) or what it may reach (egress):
// the workloads of units, then the address regions; both halves of each
// flow count.
func (s *Snapshot) peers(d Direction, u *Unit, units []*Unit, regions []region) []Reach {
	out := []Reach{}
	for _, other := range units {
		var all, some PortSet
		var amb PortSet
		if d == Ingress {
			all, some = s.unitPorts(other.Pods, u.Pods)
			amb = s.unitAmbiguity(other.Pods, u.Pods)
		} else {
			all, some = s.unitPorts(u.Pods, other.Pods)
			amb = s.unitAmbiguity(u.Pods, other.Pods)
		}
		if some.IsEmpty() && amb.IsEmpty() {
			continue
		}
		out = append(out, Reach{Peer: other.String(), Ports: some, Partial: !all.Equal(some), Ambiguous: nonEmpty(amb), all: all})
	}
	for _, region := range regions {
		all, some := s.regionPorts(flowEnd{addr: region.rep}, u.Pods, d)
		amb := s.regionAmbiguity(flowEnd{addr: region.rep}, u.Pods, d)
		if !some.IsEmpty() || !amb.IsEmpty() {
			out = append(out, Reach{Peer: region.name, External: true, Ports: some, Partial: !all.Equal(some), Ambiguous: nonEmpty(amb), all: all})
		}
	}
	return out
}

func (s *Snapshot) summarizeRule(d Direction, p *Policy, r *Rule) RuleSummary {
	rs := RuleSummary{Policy: p.key(), Rule: r.path, Description: r.text(d), Deny: r.action == ActionDeny}
	if r.anyPeer {
		return rs
	}
	rs.MatchesNothing = true
	for i := range r.peers {
		pe := &r.peers[i]
		ps := PeerSummary{Path: pe.path, Description: pe.text}
		if _, all := s.namespacesOfPeer(pe); all && pe.kind != peerCiliumEndpoints || pe.byAddress() {
			rs.MatchesNothing = false
			rs.Peers = append(rs.Peers, ps)
			continue
		}
		matched, nsMatched := s.podsMatched(pe, r.action)
		for _, u := range s.unitsOf(matched) {
			ps.Workloads = append(ps.Workloads, u.String())
		}
		switch {
		case pe.kind == peerCiliumEndpoints && len(matched) == 0:
			ps.MatchesNothing = true
			ps.Note = "no pod's identity matches the selector"
		case pe.kind == peerCiliumEndpoints:
			rs.MatchesNothing = false
		case len(nsMatched) == 0:
			ps.MatchesNothing = true
			ps.Note = "no namespace matches the namespaceSelector"
		case len(matched) == 0:
			ps.MatchesNothing = true
			ps.Note = fmt.Sprintf("no pod matches in namespaces %s", strings.Join(nsMatched, ", "))
		default:
			rs.MatchesNothing = false
		}
		rs.Peers = append(rs.Peers, ps)
	}
	return rs
}
