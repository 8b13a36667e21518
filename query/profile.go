package query

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// CNI profiles: what a network plugin does where the Kubernetes API leaves
// the choice to it. The engine judges under one concrete semantics (a
// value for every behaviour); a profile that leaves a behaviour unknown
// makes every verdict that depends on it undecided: the engine judges the
// flow under each value (Variants) and a verdict that differs is not
// given. docs/semantics.md cites the source of every value.

// Behaviour is a choice the API leaves to the network plugin.
type Behaviour string

// The behaviours the engine consults.
const (
	// BehaviourEnforced: the plugin enforces policy at all. When it does
	// not, every verdict is hypothetical.
	BehaviourEnforced Behaviour = "enforces-policy"
	// BehaviourIsolateAll: every pod is isolated in both directions even
	// when no policy selects it (Cilium's enable-policy: always).
	BehaviourIsolateAll Behaviour = "isolates-every-pod"
	// BehaviourIPBlockPodIPs: ipBlock peers match pod IPs.
	BehaviourIPBlockPodIPs Behaviour = "ipblock-matches-pod-ips"
	// BehaviourIPBlockNodeIPs: ipBlock peers match node addresses (the
	// address of host-network pods and of nodes).
	BehaviourIPBlockNodeIPs Behaviour = "ipblock-matches-node-ips"
	// BehaviourSCTP: SCTP port entries are enforced; when not, they match
	// nothing.
	BehaviourSCTP Behaviour = "sctp"
	// BehaviourEndPort: endPort is enforced; when not, an entry matches
	// only its port, as the API says of plugins without it.
	BehaviourEndPort Behaviour = "endport"
	// BehaviourNamedPortsIngress and BehaviourNamedPortsEgress: named port
	// entries of ingress (egress) rules resolve; when not, they match
	// nothing.
	BehaviourNamedPortsIngress Behaviour = "named-ports-ingress"
	BehaviourNamedPortsEgress  Behaviour = "named-ports-egress"
	// BehaviourHostNetworkSubjects: NetworkPolicy isolates host-network
	// pods it selects; when not, they are never isolated.
	BehaviourHostNetworkSubjects Behaviour = "policy-applies-to-host-network-pods"
	// BehaviourHostNetworkPeers: NetworkPolicy pod and namespace selectors
	// match host-network pods as peers.
	BehaviourHostNetworkPeers Behaviour = "selectors-match-host-network-pods"
	// BehaviourNodeToPod: traffic from a pod's own node (a host-network
	// pod on that node, or the node's address) is always allowed.
	BehaviourNodeToPod Behaviour = "node-to-pod-always-allowed"
	// BehaviourClusterPolicies: the plugin enforces the cluster-scoped
	// policies of policy.networking.k8s.io; when not, they are ignored.
	BehaviourClusterPolicies Behaviour = "cluster-network-policy"
)

// Behaviours lists every behaviour, in the order answers name them.
var Behaviours = []Behaviour{
	BehaviourEnforced, BehaviourIsolateAll, BehaviourClusterPolicies,
	BehaviourIPBlockPodIPs, BehaviourIPBlockNodeIPs, BehaviourSCTP, BehaviourEndPort,
	BehaviourNamedPortsIngress, BehaviourNamedPortsEgress,
	BehaviourHostNetworkSubjects, BehaviourHostNetworkPeers, BehaviourNodeToPod,
}

// describeBehaviour says a behaviour as the question it answers, for
// "depends on: whether ..." lines.
var describeBehaviour = map[Behaviour]string{
	BehaviourEnforced:            "whether the network plugin enforces policy at all",
	BehaviourIsolateAll:          "whether the network plugin isolates pods no policy selects",
	BehaviourIPBlockPodIPs:       "whether ipBlock matches pod IPs on this CNI",
	BehaviourIPBlockNodeIPs:      "whether ipBlock matches node addresses on this CNI",
	BehaviourSCTP:                "whether this CNI enforces SCTP rules",
	BehaviourEndPort:             "whether this CNI enforces endPort",
	BehaviourNamedPortsIngress:   "whether this CNI resolves named ports in ingress rules",
	BehaviourNamedPortsEgress:    "whether this CNI resolves named ports in egress rules",
	BehaviourHostNetworkSubjects: "whether NetworkPolicy applies to host-network pods on this CNI",
	BehaviourHostNetworkPeers:    "whether selectors match host-network pods on this CNI",
	BehaviourNodeToPod:           "whether this CNI always allows traffic from a pod's own node",
	BehaviourClusterPolicies:     "whether this CNI enforces ClusterNetworkPolicy (AdminNetworkPolicy)",
	behaviourRunTime:             "what the peers known only at run time hold (DNS names, services, cloud groups, the API server's and nodes' addresses, mutual authentication)",
}

// Question is the behaviour as a question, e.g. "whether ipBlock matches
// pod IPs on this CNI".
func (b Behaviour) Question() string { return describeBehaviour[b] }

// Switch is a profile's value for one behaviour.
type Switch string

// The values of a switch.
const (
	Yes     Switch = "yes"
	No      Switch = "no"
	Unknown Switch = "unknown"
)

// Profile is what one network plugin does where the API leaves a choice.
type Profile struct {
	// Name is the profile's name, as --cni takes it.
	Name string `json:"name"`
	// Plugin is the plugin in words.
	Plugin string `json:"plugin"`
	// Why says how the profile was chosen: given with --cni, detected
	// (and from what), or the default.
	Why string `json:"why"`
	// Switches holds a value for every behaviour (answers carry only the
	// unknown ones).
	Switches map[Behaviour]Switch `json:"-"`
	// Notes say what the profile could not know, e.g. a setting that
	// could not be read.
	Notes []string `json:"notes,omitempty"`
}

// MarshalJSON writes the profile as answers carry it: its name, plugin,
// why, the behaviours it leaves unknown and its notes.
func (p Profile) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name    string      `json:"name"`
		Plugin  string      `json:"plugin"`
		Why     string      `json:"why"`
		Unknown []Behaviour `json:"unknown,omitempty"`
		Notes   []string    `json:"notes,omitempty"`
	}{p.Name, p.Plugin, p.Why, p.Unknowns(), p.Notes})
}

// Get is the profile's value for b; a behaviour the profile does not
// name is unknown.
func (p Profile) Get(b Behaviour) Switch {
	if v, ok := p.Switches[b]; ok {
		return v
	}
	return Unknown
}

// With returns the profile with b set to v, noting why.
func (p Profile) With(b Behaviour, v Switch, why string) Profile {
	out := p
	out.Switches = map[Behaviour]Switch{}
	for k, x := range p.Switches {
		out.Switches[k] = x
	}
	out.Switches[b] = v
	if why != "" {
		out.Notes = append(slices.Clone(p.Notes), why)
	}
	return out
}

// Unknowns are the behaviours the profile leaves unknown, in Behaviours
// order.
func (p Profile) Unknowns() []Behaviour {
	var out []Behaviour
	for _, b := range Behaviours {
		if p.Get(b) == Unknown {
			out = append(out, b)
		}
	}
	return out
}

// String says the profile in one line: "cilium (Cilium): detected from
// DaemonSet kube-system/cilium".
func (p Profile) String() string {
	s := p.Name
	if p.Plugin != "" && !strings.EqualFold(p.Plugin, p.Name) {
		s += " (" + p.Plugin + ")"
	}
	if p.Why != "" {
		s += ": " + p.Why
	}
	return s
}

// all sets every behaviour to v, then the given ones.
func all(v Switch, set map[Behaviour]Switch) map[Behaviour]Switch {
	out := map[Behaviour]Switch{}
	for _, b := range Behaviours {
		out[b] = v
	}
	for b, x := range set {
		out[b] = x
	}
	return out
}

// profiles are the known profiles. Every value that is not the API's own
// text is cited in docs/semantics.md; what is not known is Unknown.
var profiles = map[string]Profile{
	// spec is the API text, with the engine's long-standing readings
	// where the text leaves a choice: ipBlock matches pod and node IPs (as
	// the upstream conformance tests expect), NetworkPolicy applies to
	// host-network pods (an assumption answers state).
	"spec": {Name: "spec", Plugin: "the Kubernetes API text", Switches: all(Yes, map[Behaviour]Switch{
		BehaviourIsolateAll: No,
	})},
	// none is a cluster whose network plugin enforces no policy (flannel
	// alone, the AWS VPC CNI without its policy agent).
	"none": {Name: "none", Plugin: "no policy enforcement (e.g. flannel alone)", Switches: all(Yes, map[Behaviour]Switch{
		BehaviourEnforced: No, BehaviourIsolateAll: No,
	})},
	// cilium is Cilium with its default settings: CIDR rules match
	// neither pods nor nodes unless policy-cidr-match-mode says so,
	// host-network pods belong to the host entity (neither subjects nor
	// peers of NetworkPolicy), allow-localhost auto lets a pod's own node
	// in, ClusterNetworkPolicy is off (enable-k8s-cluster-network-policy).
	// SCTP is enforced only with enable-sctp; endPort depends on the
	// version. Detection reads cilium-config and adjusts these.
	"cilium": {Name: "cilium", Plugin: "Cilium", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No, BehaviourClusterPolicies: No,
		BehaviourIPBlockPodIPs: No, BehaviourIPBlockNodeIPs: No,
		BehaviourNamedPortsIngress: Yes, BehaviourNamedPortsEgress: Yes,
		BehaviourHostNetworkSubjects: No, BehaviourHostNetworkPeers: No, BehaviourNodeToPod: Yes,
	})},
	// calico: ipBlock becomes nets (any address), endPort becomes a port
	// range, named ports and SCTP pass through; host-network pods get no
	// workload endpoint (neither subjects nor selectable peers); the host
	// may always reach its own workloads. Cluster policies depend on the
	// version.
	"calico": {Name: "calico", Plugin: "Calico", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No,
		BehaviourIPBlockPodIPs: Yes, BehaviourIPBlockNodeIPs: Yes, BehaviourSCTP: Yes, BehaviourEndPort: Yes,
		BehaviourNamedPortsIngress: Yes, BehaviourNamedPortsEgress: Yes,
		BehaviourHostNetworkSubjects: No, BehaviourHostNetworkPeers: No, BehaviourNodeToPod: Yes,
	})},
	// antrea: endPort (v1.1), named ports (v0.4) and SCTP (kernel
	// datapath) are enforced; NetworkPolicy is not enforced on
	// host-network pods, which are left out of address groups. Whether
	// ipBlock matches pod IPs and node traffic are not documented.
	"antrea": {Name: "antrea", Plugin: "Antrea", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No,
		BehaviourSCTP: Yes, BehaviourEndPort: Yes,
		BehaviourNamedPortsIngress: Yes, BehaviourNamedPortsEgress: Yes,
		BehaviourHostNetworkSubjects: No, BehaviourHostNetworkPeers: No,
	})},
	// ovn-kubernetes: ipBlock is an ACL on the address ("internal or
	// external"), SCTP and endPort ranges are matched, the node's
	// management port is always allowed in, host-network pods get no
	// logical port. A named port entry matches every port of its
	// protocol, which neither switch value describes: unknown.
	"ovn-kubernetes": {Name: "ovn-kubernetes", Plugin: "OVN-Kubernetes", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No,
		BehaviourIPBlockPodIPs: Yes, BehaviourSCTP: Yes, BehaviourEndPort: Yes,
		BehaviourHostNetworkSubjects: No, BehaviourNodeToPod: Yes,
	})},
	// kube-router: ipBlocks are hash:net ipsets matched on the address,
	// endPort (kube-router#1080) and named ports are enforced, pods on
	// the host network are neither subjects nor peers, traffic from the
	// pod's local node is accepted. SCTP is an open request
	// (kube-router#1019). Detection turns it to none when it runs with
	// --run-firewall=false.
	"kube-router": {Name: "kube-router", Plugin: "kube-router", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No,
		BehaviourIPBlockPodIPs: Yes, BehaviourIPBlockNodeIPs: Yes, BehaviourEndPort: Yes,
		BehaviourNamedPortsIngress: Yes, BehaviourNamedPortsEgress: Yes,
		BehaviourHostNetworkSubjects: No, BehaviourHostNetworkPeers: No, BehaviourNodeToPod: Yes,
	})},
	// aws-vpc-cni is the network policy agent of the AWS VPC CNI in its
	// default (standard) mode: eBPF programs on the pods' host veths
	// (host-network pods have none), port ranges in its maps. Ingress
	// named ports are resolved against the source pod's ports
	// (aws-network-policy-agent#149, #193), which neither switch value
	// describes. Detection reads the strict mode from aws-node.
	"aws-vpc-cni": {Name: "aws-vpc-cni", Plugin: "AWS VPC CNI network policy agent", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No, BehaviourEndPort: Yes,
		BehaviourHostNetworkSubjects: No,
	})},
	// kube-network-policies judges each new connection in userspace on
	// the packet's addresses and ports (the differential tests agree with
	// it on ipBlocks over pod IPs, SCTP, endPort and named ports). Only
	// root-owned node traffic skips the queue; host-network pods were
	// enrolled as subjects before kube-network-policies#389.
	"kube-network-policies": {Name: "kube-network-policies", Plugin: "kube-network-policies", Switches: all(Unknown, map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No,
		BehaviourIPBlockPodIPs: Yes, BehaviourSCTP: Yes, BehaviourEndPort: Yes,
		BehaviourNamedPortsIngress: Yes, BehaviourNamedPortsEgress: Yes,
	})},
}

// ProfileNames lists the known profiles, sorted.
func ProfileNames() []string {
	out := make([]string, 0, len(profiles))
	for n := range profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ProfileNamed returns a known profile; aliases are accepted (flannel for
// none, aws for aws-vpc-cni, ovn for ovn-kubernetes, knp for
// kube-network-policies).
func ProfileNamed(name string) (Profile, error) {
	aliases := map[string]string{"flannel": "none", "aws": "aws-vpc-cni", "ovn": "ovn-kubernetes", "ovnk": "ovn-kubernetes", "knp": "kube-network-policies", "api": "spec"}
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[n]; ok {
		n = a
	}
	p, ok := profiles[n]
	if !ok {
		return Profile{}, fmt.Errorf("unknown network plugin %q (one of %s)", name, strings.Join(ProfileNames(), ", "))
	}
	p.Switches = all(Unknown, p.Switches) // a copy
	return p, nil
}

// SpecProfile is the API text, the default where no plugin is known.
func SpecProfile() Profile {
	p, _ := ProfileNamed("spec")
	return p
}

// semantics is one concrete value of every behaviour: what one snapshot
// judges under. Unknown behaviours take the API text's value unless a
// variant assumes the other.
type semantics struct {
	isolateAll, clusterPolicies, ipBlockPodIPs, ipBlockNodeIPs, sctp, endPort     bool
	namedIngress, namedEgress, hostNetSubjects, hostNetPeers, nodeToPod, enforced bool
	// runTime is the run-time variant's reading of peers only the
	// dataplane knows the members of (behaviourRunTime).
	runTime bool
	// ciliumProfile is set under Cilium's profile, whose settings then
	// hold for Cilium's own policies too; under any other, Cilium's
	// defaults do (cilium_match.go).
	ciliumProfile bool
}

// semanticsOf resolves the profile's switches, with assume deciding the
// unknown ones it names.
func semanticsOf(p Profile, assume map[Behaviour]bool) semantics {
	spec := profiles["spec"]
	v := func(b Behaviour) bool {
		switch p.Get(b) {
		case Yes:
			return true
		case No:
			return false
		}
		if x, ok := assume[b]; ok {
			return x
		}
		return spec.Switches[b] == Yes
	}
	return semantics{
		enforced: v(BehaviourEnforced), isolateAll: v(BehaviourIsolateAll), clusterPolicies: v(BehaviourClusterPolicies),
		ipBlockPodIPs: v(BehaviourIPBlockPodIPs), ipBlockNodeIPs: v(BehaviourIPBlockNodeIPs),
		sctp: v(BehaviourSCTP), endPort: v(BehaviourEndPort),
		namedIngress: v(BehaviourNamedPortsIngress), namedEgress: v(BehaviourNamedPortsEgress),
		hostNetSubjects: v(BehaviourHostNetworkSubjects), hostNetPeers: v(BehaviourHostNetworkPeers),
		nodeToPod: v(BehaviourNodeToPod), runTime: v(behaviourRunTime),
		ciliumProfile: p.Name == "cilium",
	}
}

// adapt applies the plugin's behaviour to a compiled NetworkPolicy: whether
// it isolates host-network pods and its selectors match them, and which
// port entries it enforces (SCTP, endPort, named ports by direction). An
// entry the plugin does not enforce matches nothing; the rule's words stay
// as written.
func (p *Policy) adapt(sem semantics) {
	p.subject.hostNetwork = sem.hostNetSubjects
	p.subject.identityLabels = sem.ciliumProfile
	if sem.ciliumProfile {
		// Cilium converts every rule of a NetworkPolicy, whatever its
		// policyTypes: a direction with rules is isolated
		// (pkg/k8s/network_policy.go; cilium/cilium#48703).
		for _, d := range []Direction{Ingress, Egress} {
			if len(p.rules(d)) > 0 && !p.hasType(d) {
				p.types = append(slices.Clone(p.types), policyTypeOf(d))
			}
		}
	}
	for _, d := range []Direction{Ingress, Egress} {
		named := sem.namedIngress
		if d == Egress {
			named = sem.namedEgress
		}
		rules := p.rules(d)
		for i := range rules {
			r := &rules[i]
			for j := range r.peers {
				if r.peers[j].sel.hostNetwork != sem.hostNetPeers && !r.peers[j].byAddress() {
					r.peers[j].sel.hostNetwork = sem.hostNetPeers
				}
				r.peers[j].sel.identityLabels = sem.ciliumProfile
			}
			if r.ports == nil {
				continue
			}
			kept := make([]Port, 0, len(r.ports))
			changed := false
			for _, pt := range r.ports {
				switch {
				case !sem.sctp && pt.protocol == "SCTP", !named && pt.named != "":
					changed = true
					continue
				case !sem.endPort && pt.named == "" && pt.from != pt.to:
					pt.to, changed = pt.from, true
				}
				kept = append(kept, pt)
			}
			if !changed {
				continue
			}
			text := r.text(d)
			r.describe = func(*Rule, Direction) string { return text }
			r.desc = nil
			r.ports = kept
			r.index()
		}
	}
}

// isolateAllName names the policy that stands for a plugin isolating
// every pod.
const isolateAllName = "(network plugin: every pod isolated)"

// isolateAllPolicy stands for a network plugin that isolates every pod of
// namespace ns in both directions, selected by a policy or not (Cilium's
// enable-policy: always): a policy that allows nothing.
func isolateAllPolicy(ns string, sem semantics) *Policy {
	return &Policy{
		kind: "NetworkPolicy", namespace: ns, name: isolateAllName,
		types: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		stage: stageNetworkPolicy, podSelector: "",
		subject: selector{namespace: ns, hostNetwork: sem.hostNetSubjects},
	}
}

// nodeLocalPolicies stand for a network plugin that always lets a pod's
// own node reach it (BehaviourNodeToPod): one policy per node pods are
// known to run on that has a host-network pod or a known address, in the
// first stage, accepting traffic to and from the host-network pods of that
// node and the node's addresses when the Node object was given.
//
// Cilium's is otherwise (allow-localhost, pkg/policy repository.go): an
// ingress allow from the host added to the rules of a pod in default
// deny, at the lowest precedence, so that deny rules override it; egress
// to the node is judged like any other. There the policy judges ingress
// in the NetworkPolicy stage without isolating.
func nodeLocalPolicies(pods []*Pod, nodes []*clusterNode, sem semantics) []*Policy {
	addrs := map[string][]netip.Prefix{}
	for _, n := range nodes {
		for _, a := range n.addrs {
			addrs[n.name] = append(addrs[n.name], netip.PrefixFrom(a, a.BitLen()))
		}
	}
	// Only nodes something can come from: a host-network pod on it, or a
	// known address. Elsewhere the policy would match nothing and only
	// split the classes of pods by node.
	var names []string
	for _, p := range pods {
		if p.NodeName != "" && (p.HostNetwork || len(addrs[p.NodeName]) > 0) && !slices.Contains(names, p.NodeName) {
			names = append(names, p.NodeName)
		}
	}
	slices.Sort(names)
	var out []*Policy
	for _, n := range names {
		r := Rule{path: "(traffic from the pod's own node)", action: ActionAccept, describe: describeClusterRule}
		r.peers = append(r.peers, Peer{path: r.path, kind: peerPodAndNamespace, text: "host-network pods on node " + n,
			sel: selector{node: n, hostNetworkOnly: true, hostNetwork: true}})
		if len(addrs[n]) > 0 {
			pe := Peer{path: r.path, kind: peerNetworks, networks: addrs[n]}
			pe.text = "node " + n + " (" + networksText(&pe) + ")"
			r.peers = append(r.peers, pe)
		}
		r.index()
		// To and from: the same peers in both directions [S1].
		e := r
		e.peers = slices.Clone(r.peers)
		e.index()
		p := &Policy{kind: "NetworkPlugin", name: "node-" + n, tier: TierNode, stage: stageNode,
			subjectText: "pods on node " + n, subject: selector{node: n, hostNetwork: true}, ingress: []Rule{r}, egress: []Rule{e}}
		if sem.ciliumProfile {
			p.tier, p.stage, p.egress = "", stageNetworkPolicy, nil
			p.nonIsolating = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		}
		out = append(out, p)
	}
	return out
}

// hasNodeLocal tells whether node has a node-to-pod policy.
func (s *Snapshot) hasNodeLocal(node string) bool {
	if node == "" {
		return false
	}
	return slices.ContainsFunc(s.nodeLocal, func(p *Policy) bool { return p.subject.node == node })
}
