package query

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The compiled form every policy model compiles into (see doc.go): a
// Policy selects subject pods and holds rules per direction; a Rule has
// an action, peers and ports; its Policy's stage says where in the order
// of evaluation it judges.

// Direction is the side of a flow a policy rule judges.
type Direction string

// The two directions of a flow's halves.
const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// Tier is where a cluster-scoped policy sits in the evaluation order:
// Admin tier, then NetworkPolicy, then Baseline tier, then allow.
type Tier string

// The two tiers cluster-scoped policies use.
const (
	TierAdmin    Tier = "Admin"
	TierBaseline Tier = "Baseline"
	// TierNode is the network plugin's own first step where it always
	// allows traffic from a pod's own node (BehaviourNodeToPod).
	TierNode Tier = "Node"
)

// Action is what a rule does with the traffic it matches. The rules of
// allow-list stages (NetworkPolicy) are Accept; the v1alpha1 kinds'
// "Allow" is compiled to Accept.
type Action string

// The actions of rules.
const (
	ActionAccept Action = "Accept"
	ActionDeny   Action = "Deny"
	ActionPass   Action = "Pass"
)

// stage is a step of the evaluation order of one half of a flow. Each
// stage judges what the stages before it left undecided.
type stage int

// The stages, in evaluation order.
const (
	stageNode          stage = iota // the network plugin: traffic from a pod's own node
	stageAdmin                      // cluster policies, Admin tier
	stageNetworkPolicy              // NetworkPolicy
	stageBaseline                   // cluster policies, Baseline tier
	numStages
)

// stageKind is how a stage decides.
type stageKind int

const (
	// ordered: rules in precedence order, the first that matches a port
	// decides it (Accept and Deny are final, Pass hands it to the next
	// stage); what no rule matches goes on to the next stage.
	ordered stageKind = iota
	// allowList: a pod some policy of the stage isolates is in default
	// deny: the stage decides every port, allowing what some matching
	// Accept rule allows and no matching Deny rule denies (Cilium's deny
	// rules; NetworkPolicy has none), denying the rest. For a pod no
	// policy isolates, what matching Deny rules deny is denied and the
	// rest goes on.
	allowList
)

// kind is how the stage decides.
func (st stage) kind() stageKind {
	if st == stageNetworkPolicy {
		return allowList
	}
	return ordered
}

// Policy is one policy object of any model, compiled once: selectors and
// CIDRs parsed, defaults applied, and the field path of every rule, peer
// and port kept so that traces point at what the user wrote.
type Policy struct {
	// Kind is the object's kind, e.g. NetworkPolicy or ClusterNetworkPolicy.
	kind string
	// Namespace is empty for cluster-scoped policies.
	namespace string
	name      string
	// Tier, Priority and HasPriority place a cluster-scoped policy in the
	// evaluation order (HasPriority is false for BaselineAdminNetworkPolicy,
	// which has none).
	tier        Tier
	priority    int32
	hasPriority bool
	// Types are the directions a NetworkPolicy isolates, after the API
	// server's defaulting; TypesDefaulted is true when spec.policyTypes
	// was not written.
	types          []networkingv1.PolicyType
	typesDefaulted bool
	// nonIsolating are directions in which the policy's rules take part
	// without isolating the pods it selects (a Cilium policy with
	// enableDefaultDeny false for that direction).
	nonIsolating []networkingv1.PolicyType
	// PodSelector is a NetworkPolicy's spec.podSelector in selector syntax;
	// Subject a cluster policy's spec.subject in words.
	podSelector string
	subjectText string
	// selectorPath is the field path of a Cilium rule's endpointSelector.
	selectorPath string
	ingress      []Rule
	egress       []Rule
	// failClosed lists what the policy holds that this tool does not know
	// (a newer CRD's field) and how it was treated, as the API requires.
	failClosed []string

	stage   stage
	subject selector
}

// Key names the policy: "namespace/name" for a NetworkPolicy,
// "Kind/name" for a cluster-scoped one, "CiliumNetworkPolicy/namespace/name"
// for Cilium's namespaced one.
func (p *Policy) key() string {
	switch {
	case p.kind == KindCiliumNetworkPolicy:
		// Beside NetworkPolicies of the same names.
		return p.kind + "/" + p.namespace + "/" + p.name
	case p.namespace != "":
		return p.namespace + "/" + p.name
	}
	return p.kind + "/" + p.name
}

// HasType reports whether a NetworkPolicy isolates the given direction.
func (p *Policy) hasType(d Direction) bool {
	return slices.Contains(p.types, policyTypeOf(d))
}

// Rules returns the rules of one direction, in written order.
func (p *Policy) rules(d Direction) []Rule {
	if d == Egress {
		return p.egress
	}
	return p.ingress
}

// Selects reports whether the policy's subject holds the pod.
func (p *Policy) Selects(s *Snapshot, pod *Pod) bool {
	return p.subject.match(s, pod) == missNone
}

// judges reports whether the policy takes part in judging direction d of
// the pods it selects: an allow-list policy when it isolates d (even with
// no rules: then it denies everything) or has rules for d that do not
// isolate, an ordered one when it has rules for d.
func (p *Policy) judges(d Direction) bool {
	if p.stage.kind() == allowList {
		return p.isolates(d) || len(p.rules(d)) > 0 && slices.Contains(p.nonIsolating, policyTypeOf(d))
	}
	return len(p.rules(d)) > 0
}

// isolates reports whether an allow-list policy puts the pods it selects
// in default deny for direction d.
func (p *Policy) isolates(d Direction) bool {
	return p.stage.kind() == allowList && p.hasType(d)
}

func policyTypeOf(d Direction) networkingv1.PolicyType {
	if d == Egress {
		return networkingv1.PolicyTypeEgress
	}
	return networkingv1.PolicyTypeIngress
}

// Rule is one ingress or egress rule of a policy.
type Rule struct {
	// Path is the rule's field path, e.g. spec.ingress[0]; Name its name
	// field, when the model has one.
	path   string
	name   string
	action Action
	// Peers are the rule's peers; anyPeer is set when it matches every
	// peer (a NetworkPolicy rule without from/to). A rule with neither
	// matches nothing (a cluster rule whose peers all failed closed).
	peers   []Peer
	anyPeer bool
	// Ports is nil when the rule matches every port.
	ports []Port
	// denyAll is set when the rule fails closed as a "Deny all" rule: it
	// matches every peer on every port.
	denyAll bool

	// compiled is Ports compiled once: what they match whatever the
	// destination, and the named entries. A rule may hold tens of
	// thousands of entries.
	compiled rulePorts
	// addrs finds the first address peer (ipBlock, networks) that holds an
	// address; nil when the rule has none.
	addrs *addrIndex
	// walkAddrs is set when a peer other than an address peer may match an
	// address outside the cluster (nodes), so the index alone cannot answer.
	walkAddrs bool
	// ipBlocks is set when some peer is an ipBlock, which may not match
	// pod or node addresses on some network plugins (ipBlocksSee);
	// ciliumCIDRs when some is a Cilium CIDR peer (ciliumCIDRSees).
	ipBlocks, ciliumCIDRs bool
	// icmp is set for a Cilium rule of ICMP types only; l7 says which L7
	// rules the flows it allows are subject to; authRequired is the
	// mutual authentication mode the flows it allows need.
	icmp             bool
	l7, authRequired string
	// dnsProxy is set for a Cilium allow rule some toPorts entry of which
	// has DNS rules (rules.dns) on port 53: its DNS traffic goes through
	// Cilium's DNS proxy, whose answers toFQDNs rules learn addresses from.
	dnsProxy bool
	// describe renders the rule in words; desc keeps it once rendered:
	// traces of many pairs repeat it.
	describe func(r *Rule, d Direction) string
	desc     *lazyText
}

// text is the rule in words, rendered once.
func (r *Rule) text(d Direction) string {
	if r.desc == nil {
		return r.describe(r, d)
	}
	return r.desc.get(func() string { return r.describe(r, d) })
}

// portsFor is the set of destination ports the rule matches towards dst
// (nil for an address outside the cluster, where named ports never match).
func (r *Rule) portsFor(dst *Pod) PortSet {
	if r.ports == nil || r.denyAll {
		return AllPorts()
	}
	return r.compiled.towards(dst)
}

// namedPorts tells whether some port entry of the rule is a named port,
// whose ports depend on the destination pod.
func (r *Rule) namedPorts() bool {
	return !r.denyAll && len(r.compiled.named) > 0
}

// selector picks pods: by namespace (a fixed one, or by namespace labels)
// and by pod labels. It is a policy's subject and the pod-selecting peers.
type selector struct {
	// namespace, when set, is the only namespace whose pods match.
	namespace string
	// nsSel selects namespaces by label; nil matches every namespace.
	nsSel labels.Selector
	// podSel selects pods by label; nil matches every pod.
	podSel labels.Selector
	// node, when set, is the only node whose pods match; hostNetworkOnly
	// keeps only host-network pods.
	node            string
	hostNetworkOnly bool
	// cilium, when set, selects Cilium endpoints (pods that do not use the
	// node's network) by their identity labels, within namespace when set.
	cilium *ciliumSelector
	// identityLabels is set for NetworkPolicy selectors on Cilium, which
	// match a pod's identity: its labels less those Cilium's identity
	// label filter leaves out (cilium_identity.go).
	identityLabels bool
	// hostNetwork is set when host-network pods match as well: NetworkPolicy
	// selectors take them like other pods (an assumption the answers
	// state), cluster policies never select them.
	hostNetwork bool
}

// matchNamespace tells whether pods of namespace ns may match.
func (sel *selector) matchNamespace(s *Snapshot, ns string) miss {
	switch {
	case sel.namespace != "" && ns != sel.namespace:
		return missOtherNamespace
	case sel.nsSel != nil && !sel.nsSel.Matches(s.namespaces[ns].Labels):
		return missNamespaceLabels
	}
	return missNone
}

// match tells whether the pod matches, missNone when it does.
func (sel *selector) match(s *Snapshot, pod *Pod) miss {
	if sel.cilium != nil {
		switch {
		case pod.HostNetwork:
			return missNotEndpoint
		case sel.namespace != "" && pod.Namespace != sel.namespace:
			return missOtherNamespace
		case !sel.cilium.matches(s.ciliumPodIdentity(pod)):
			return missCiliumLabels
		}
		return missNone
	}
	if pod.HostNetwork && !sel.hostNetwork {
		return missHostNetwork
	}
	if sel.node != "" && pod.NodeName != sel.node || sel.hostNetworkOnly && !pod.HostNetwork {
		return missOtherNode
	}
	if m := sel.matchNamespace(s, pod.Namespace); m != missNone {
		return m
	}
	if sel.podSel != nil {
		lbls := pod.Labels
		if sel.identityLabels {
			lbls = s.identityLabelsOf(pod)
		}
		if !sel.podSel.Matches(lbls) {
			return missPodLabels
		}
	}
	return missNone
}
