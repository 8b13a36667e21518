package query

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Tier is where a cluster-scoped policy sits in the evaluation order:
// Admin tier, then NetworkPolicy, then Baseline tier, then allow.
type Tier string

// The two tiers cluster-scoped policies use.
const (
	TierAdmin    Tier = "Admin"
	TierBaseline Tier = "Baseline"
)

// Action is what a cluster policy rule does with the traffic it matches.
// The v1alpha1 kinds' "Allow" is compiled to Accept.
type Action string

// The actions of ClusterNetworkPolicy rules.
const (
	ActionAccept Action = "Accept"
	ActionDeny   Action = "Deny"
	ActionPass   Action = "Pass"
)

// ClusterPolicy is a ClusterNetworkPolicy (v1beta1 or v1alpha2), an
// AdminNetworkPolicy or a BaselineAdminNetworkPolicy (v1alpha1), compiled
// once into one shape.
type ClusterPolicy struct {
	// Kind is the object's kind, e.g. ClusterNetworkPolicy.
	Kind     string
	Name     string
	Tier     Tier
	Priority int32
	// HasPriority is false for BaselineAdminNetworkPolicy, which has none.
	HasPriority bool
	// Subject is spec.subject in words.
	Subject string
	Ingress []ClusterRule
	Egress  []ClusterRule
	// FailClosed lists what the policy holds that this tool does not know
	// (a newer CRD's field) and how it was treated, as the API requires.
	FailClosed []string

	subject clusterSelector
}

// Key is "Kind/name", e.g. ClusterNetworkPolicy/deny-dev.
func (c *ClusterPolicy) Key() string { return c.Kind + "/" + c.Name }

// Rules returns the rules of one direction, in precedence order.
func (c *ClusterPolicy) Rules(d Direction) []ClusterRule {
	if d == Egress {
		return c.Egress
	}
	return c.Ingress
}

// Selects tells whether the policy applies to the pod. Host-network pods
// are never subjects.
func (c *ClusterPolicy) Selects(s *Snapshot, p *Pod) bool {
	return !p.HostNetwork && c.subject.matches(s, p)
}

// clusterSelector is spec.subject or a namespaces/pods peer: namespaces by
// label, and pods by label within them when podSel is set.
type clusterSelector struct {
	nsSel  labels.Selector
	podSel labels.Selector // nil: every pod of the namespaces
}

func (cs clusterSelector) matches(s *Snapshot, p *Pod) bool {
	if !cs.nsSel.Matches(s.namespaces[p.Namespace].Labels) {
		return false
	}
	return cs.podSel == nil || cs.podSel.Matches(p.Labels)
}

// ClusterRule is one ingress or egress rule of a cluster policy.
type ClusterRule struct {
	// Path is the rule's field path, e.g. spec.ingress[0].
	Path   string
	Name   string
	Action Action
	Peers  []ClusterPeer
	// Ports are the rule's protocols (v1alpha1: ports); nil matches every
	// port of every protocol.
	Ports []ClusterPort
	// denyAll is set when the rule fails closed as a "Deny all" rule: it
	// matches every peer on every port.
	denyAll bool
	// ports is Ports compiled once: what they match whatever the
	// destination, and the named entries.
	ports rulePorts
	// networks finds the first networks peer that holds an address; nil
	// when the rule has none.
	networks *addrIndex
}

// networksIndex indexes the networks peers of a rule by address, numbered
// by their place in peers.
func networksIndex(peers []ClusterPeer) *addrIndex {
	var entries []addrEntry
	for i := range peers {
		for _, n := range peers[i].Networks {
			entries = append(entries, addrEntry{prefix: n, set: i})
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return newAddrIndex(len(peers), entries)
}

// firstPeer is the index of the first peer of r that matches the other
// end of the flow, or -1: clusterPeerMatch over the peers in order, with
// the networks peers answered by the rule's index for an address (a
// range needs the walk: Deny rules match ranges that overlap).
func (r *ClusterRule) firstPeer(s *Snapshot, end flowEnd) int {
	limit := len(r.Peers)
	indexed := !end.cidr.IsValid()
	if indexed {
		if b := r.networks.first(end.addr); b >= 0 {
			limit = b
		}
	}
	for i := range limit {
		pe := &r.Peers[i]
		if indexed && pe.Kind == ClusterPeerNetworks {
			continue
		}
		if s.clusterPeerMatch(pe, r.Action, end) {
			return i
		}
	}
	if limit < len(r.Peers) {
		return limit
	}
	return -1
}

// ClusterPeerKind is which field of a peer is set.
type ClusterPeerKind string

// The peer kinds of cluster policies.
const (
	ClusterPeerNamespaces  ClusterPeerKind = "namespaces"
	ClusterPeerPods        ClusterPeerKind = "pods"
	ClusterPeerNodes       ClusterPeerKind = "nodes"
	ClusterPeerNetworks    ClusterPeerKind = "networks"
	ClusterPeerDomainNames ClusterPeerKind = "domainNames"
)

// ClusterPeer is one from/to entry of a cluster policy rule.
type ClusterPeer struct {
	Path     string
	Kind     ClusterPeerKind
	Networks []netip.Prefix
	Domains  []string
	// Text is the peer in words.
	Text string

	sel     clusterSelector
	nodeSel labels.Selector
}

// ClusterPort is one protocols (or v1alpha1 ports) entry.
type ClusterPort struct {
	Path string
	// Protocol is empty for a v1alpha1 named port, which matches the
	// container port's own protocol.
	Protocol corev1.Protocol
	// From and To bound the port range; 0 and 0 mean every port.
	From, To int32
	Named    string
}

func (p *ClusterPort) String() string {
	switch {
	case p.Named != "" && p.Protocol == "":
		return "named port " + p.Named
	case p.Named != "":
		return fmt.Sprintf("%s named port %s", p.Protocol, p.Named)
	case p.From == 0:
		return string(p.Protocol) + " all ports"
	case p.From == p.To:
		return fmt.Sprintf("%s %d", p.Protocol, p.From)
	default:
		return fmt.Sprintf("%s %d-%d", p.Protocol, p.From, p.To)
	}
}

// portsFor is the set of destination ports the rule matches towards dst
// (nil for an address outside the cluster, where named ports never match).
func (r *ClusterRule) portsFor(dst *Pod) PortSet {
	if r.Ports == nil || r.denyAll {
		return AllPorts()
	}
	return r.ports.towards(dst)
}

// compileClusterPorts sorts and merges the numbered entries of a protocols
// (ports) list once.
func compileClusterPorts(ports []ClusterPort) rulePorts {
	var b portsBuilder
	for i := range ports {
		p := &ports[i]
		switch {
		case p.Named != "":
			b.addNamed(p.Protocol, p.Named)
		case p.From == 0:
			b.add(p.Protocol, minPort, maxPort)
		default:
			b.add(p.Protocol, p.From, p.To)
		}
	}
	return b.build()
}

// Describe renders the rule in plain words, e.g. "Deny from namespaces
// {team=dev} on TCP 3306".
func (r *ClusterRule) Describe(d Direction) string {
	if r.denyAll {
		return "Deny everything (fails closed: holds a field this tool does not know)"
	}
	word := "from"
	if d == Egress {
		word = "to"
	}
	peers := make([]string, len(r.Peers))
	for i := range r.Peers {
		peers[i] = r.Peers[i].Text
	}
	ports := "all ports"
	if r.Ports != nil {
		parts := make([]string, len(r.Ports))
		for i := range r.Ports {
			parts[i] = r.Ports[i].String()
		}
		ports = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s %s %s on %s", r.Action, word, strings.Join(peers, " or "), ports)
}

// isClusterPolicy tells whether CompileClusterPolicy reads the object.
func isClusterPolicy(obj runtime.Object) bool { return clusterKind(obj) != "" }

// clusterKind is the kind of a cluster policy object, whatever its
// version; "" for other objects.
func clusterKind(obj runtime.Object) string {
	switch obj.(type) {
	case *npav1beta1.ClusterNetworkPolicy, *npav1alpha2.ClusterNetworkPolicy:
		return "ClusterNetworkPolicy"
	case *npav1alpha1.AdminNetworkPolicy:
		return "AdminNetworkPolicy"
	case *npav1alpha1.BaselineAdminNetworkPolicy:
		return "BaselineAdminNetworkPolicy"
	}
	return ""
}

// CompileClusterPolicy validates and compiles a ClusterNetworkPolicy
// (v1beta1 or v1alpha2), AdminNetworkPolicy or BaselineAdminNetworkPolicy
// (v1alpha1). Invalid input (what the CRD's validation rejects) is an error
// naming the field; a peer or protocol entry with no field this tool knows
// fails closed as the API requires: an Accept rule ignores it, a Deny or
// Pass rule becomes "Deny all".
func CompileClusterPolicy(obj runtime.Object) (*ClusterPolicy, error) {
	switch o := obj.(type) {
	case *npav1alpha2.ClusterNetworkPolicy:
		// v1alpha2 and v1beta1 differ only in their package.
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		var v npav1beta1.ClusterNetworkPolicy
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return compileCNP(&v)
	case *npav1beta1.ClusterNetworkPolicy:
		return compileCNP(o)
	case *npav1alpha1.AdminNetworkPolicy:
		return compileANP(o)
	case *npav1alpha1.BaselineAdminNetworkPolicy:
		return compileBANP(o)
	}
	return nil, fmt.Errorf("unsupported object %T", obj)
}

func compileCNP(o *npav1beta1.ClusterNetworkPolicy) (*ClusterPolicy, error) {
	c := &ClusterPolicy{Kind: "ClusterNetworkPolicy", Name: o.Name, Priority: o.Spec.Priority, HasPriority: true}
	switch o.Spec.Tier {
	case npav1beta1.AdminTier:
		c.Tier = TierAdmin
	case npav1beta1.BaselineTier:
		c.Tier = TierBaseline
	default:
		return nil, fmt.Errorf("spec.tier: %q is not Admin or Baseline", o.Spec.Tier)
	}
	var ingress, egress []ruleFields
	for _, r := range o.Spec.Ingress {
		rf := ruleFields{name: r.Name, action: Action(r.Action), ports: cnpPorts(r.Protocols), allPorts: r.Protocols == nil}
		for _, p := range r.From {
			rf.peers = append(rf.peers, peerFields{namespaces: p.Namespaces, pods: (*npav1alpha1.NamespacedPod)(p.Pods)})
		}
		ingress = append(ingress, rf)
	}
	for _, r := range o.Spec.Egress {
		rf := ruleFields{name: r.Name, action: Action(r.Action), ports: cnpPorts(r.Protocols), allPorts: r.Protocols == nil}
		for _, p := range r.To {
			pf := peerFields{namespaces: p.Namespaces, pods: (*npav1alpha1.NamespacedPod)(p.Pods), nodes: p.Nodes}
			for _, n := range p.Networks {
				pf.networks = append(pf.networks, string(n))
			}
			for _, d := range p.DomainNames {
				pf.domains = append(pf.domains, string(d))
			}
			rf.peers = append(rf.peers, pf)
		}
		egress = append(egress, rf)
	}
	if err := c.compile(o.Spec.Subject.Namespaces, (*npav1alpha1.NamespacedPod)(o.Spec.Subject.Pods), ingress, egress); err != nil {
		return nil, err
	}
	return c, nil
}

// ruleFields is one ingress or egress rule, whatever the kind and version.
type ruleFields struct {
	name     string
	action   Action
	peers    []peerFields
	ports    []portFields
	allPorts bool // protocols (ports) left out: every port
}

// compile checks the priority and compiles the subject and the rules.
func (c *ClusterPolicy) compile(ns *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod, ingress, egress []ruleFields) error {
	if c.Priority < 0 || c.Priority > 1000 {
		return fmt.Errorf("spec.priority: %d is not within 0..1000", c.Priority)
	}
	var err error
	if c.subject, c.Subject, err = compileSubject(ns, pods); err != nil {
		return err
	}
	for i, rf := range ingress {
		rule, err := c.compileRule(fmt.Sprintf("spec.ingress[%d]", i), "from", rf)
		if err != nil {
			return err
		}
		c.Ingress = append(c.Ingress, rule)
	}
	for i, rf := range egress {
		rule, err := c.compileRule(fmt.Sprintf("spec.egress[%d]", i), "to", rf)
		if err != nil {
			return err
		}
		c.Egress = append(c.Egress, rule)
	}
	return nil
}

// portFields is one protocols/ports entry, whatever the API version.
type portFields struct {
	protocol corev1.Protocol
	number   int32
	rng      *[2]int32
	named    string
	// anyPort is a protocol entry without destinationPort... which the CRD
	// forbids (MinProperties=1), read as every port of the protocol.
	anyPort bool
}

func cnpPorts(in []npav1beta1.ClusterNetworkPolicyProtocol) []portFields {
	var out []portFields
	for _, p := range in {
		var f portFields
		var dp *npav1beta1.Port
		n := 0
		if p.TCP != nil {
			f.protocol, dp, n = corev1.ProtocolTCP, p.TCP.DestinationPort, n+1
		}
		if p.UDP != nil {
			f.protocol, dp, n = corev1.ProtocolUDP, p.UDP.DestinationPort, n+1
		}
		if p.SCTP != nil {
			f.protocol, dp, n = corev1.ProtocolSCTP, p.SCTP.DestinationPort, n+1
		}
		if p.DestinationNamedPort != "" {
			f.named, n = p.DestinationNamedPort, n+1
		}
		if n > 1 {
			f.protocol = "many" // rejected by compileRule
		}
		switch {
		case dp == nil:
			f.anyPort = f.protocol != ""
		case dp.Range != nil:
			f.rng = &[2]int32{dp.Range.Start, dp.Range.End}
			if dp.Number != 0 {
				f.protocol = "many"
			}
		default:
			f.number = dp.Number
		}
		out = append(out, f)
	}
	return out
}

func anpPorts(in *[]npav1alpha1.AdminNetworkPolicyPort) []portFields {
	if in == nil {
		return nil
	}
	out := []portFields{}
	for _, p := range *in {
		var f portFields
		n := 0
		if p.PortNumber != nil {
			f.protocol, f.number, n = orTCP(p.PortNumber.Protocol), p.PortNumber.Port, n+1
		}
		if p.PortRange != nil {
			f.protocol, f.rng, n = orTCP(p.PortRange.Protocol), &[2]int32{p.PortRange.Start, p.PortRange.End}, n+1
		}
		if p.NamedPort != nil {
			f.named, n = *p.NamedPort, n+1
		}
		if n > 1 {
			f.protocol = "many"
		}
		out = append(out, f)
	}
	return out
}

// parseNetwork accepts what the policy.networking.k8s.io CRDs accept as a
// networks entry: at most 43 characters, and the CEL rule isCIDR(self) &&
// cidr(self) == cidr(self).masked(), where the API server's CEL library
// parses with netip.ParsePrefix (no spaces, zones or leading zeros) and
// refuses IPv4-mapped IPv6 addresses. apimachinery's IsValidCIDR would also
// demand the canonical form, which the CRDs do not.
func parseNetwork(path, s string) (netip.Prefix, error) {
	if len(s) > 43 {
		return netip.Prefix{}, fmt.Errorf("%s: %q is longer than 43 characters", path, s)
	}
	pfx, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		return netip.Prefix{}, fmt.Errorf("%s: invalid CIDR %q", path, s)
	case pfx.Addr().Is4In6():
		return netip.Prefix{}, fmt.Errorf("%s: %q is an IPv4-mapped IPv6 address, which matches no IPv4 address (write the IPv4 range)", path, s)
	case pfx.Masked() != pfx:
		return netip.Prefix{}, fmt.Errorf("%s: %q has host bits set (want %s)", path, s, pfx.Masked())
	}
	return pfx, nil
}

func orTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// peerFields is one from/to entry, whatever the API version.
type peerFields struct {
	namespaces *metav1.LabelSelector
	pods       *npav1alpha1.NamespacedPod
	nodes      *metav1.LabelSelector
	networks   []string
	domains    []string
}

func (c *ClusterPolicy) compileRule(path, peerField string, rf ruleFields) (ClusterRule, error) {
	action, peers, ports := rf.action, rf.peers, rf.ports
	r := ClusterRule{Path: path, Name: rf.name, Action: action}
	// v1alpha1 spells Accept "Allow", and its Baseline kind has no Pass.
	valid := []Action{ActionAccept, ActionDeny, ActionPass}
	switch c.Kind {
	case "AdminNetworkPolicy":
		valid = []Action{"Allow", ActionDeny, ActionPass}
	case "BaselineAdminNetworkPolicy":
		valid = []Action{"Allow", ActionDeny}
	}
	if !slices.Contains(valid, action) {
		names := make([]string, len(valid))
		for i, a := range valid {
			names[i] = string(a)
		}
		return r, fmt.Errorf("%s.action: %q is not %s", path, action, strings.Join(names, ", "))
	}
	if action == "Allow" {
		r.Action = ActionAccept
	}
	if len(peers) == 0 {
		return r, fmt.Errorf("%s.%s: must hold at least one peer", path, peerField)
	}
	failClosed := func(what string) {
		if r.Action == ActionAccept {
			c.FailClosed = append(c.FailClosed, what+": ignored (an Accept rule fails closed by matching nothing there)")
			return
		}
		c.FailClosed = append(c.FailClosed, fmt.Sprintf("%s: the %s rule fails closed as Deny all", what, r.Action))
		r.denyAll = true
	}
	for i, pf := range peers {
		pp := fmt.Sprintf("%s.%s[%d]", path, peerField, i)
		pe := ClusterPeer{Path: pp}
		n := 0
		var err error
		if pf.namespaces != nil {
			n++
			pe.Kind = ClusterPeerNamespaces
			if pe.sel, pe.Text, err = compileSubject(pf.namespaces, nil); err != nil {
				return r, fmt.Errorf("%s.namespaces: %w", pp, err)
			}
		}
		if pf.pods != nil {
			n++
			pe.Kind = ClusterPeerPods
			if pe.sel, pe.Text, err = compileSubject(nil, pf.pods); err != nil {
				return r, fmt.Errorf("%s.pods: %w", pp, err)
			}
		}
		if pf.nodes != nil {
			n++
			pe.Kind = ClusterPeerNodes
			sel, text, err := compileSelector(pp+".nodes", pf.nodes)
			if err != nil {
				return r, err
			}
			pe.nodeSel, pe.Text = sel, "nodes {"+text+"}"
			if text == "" {
				pe.Text = "all nodes"
			}
		}
		if len(pf.networks) > 0 {
			n++
			pe.Kind = ClusterPeerNetworks
			for j, s := range pf.networks {
				pfx, err := parseNetwork(fmt.Sprintf("%s.networks[%d]", pp, j), s)
				if err != nil {
					return r, err
				}
				pe.Networks = append(pe.Networks, pfx)
			}
			parts := make([]string, len(pe.Networks))
			for j, p := range pe.Networks {
				parts[j] = p.String()
			}
			pe.Text = strings.Join(parts, ",")
		}
		if len(pf.domains) > 0 {
			n++
			pe.Kind = ClusterPeerDomainNames
			if r.Action != ActionAccept {
				return r, fmt.Errorf("%s.domainNames: only Accept rules may name domains", pp)
			}
			pe.Domains = pf.domains
			pe.Text = "domains " + strings.Join(pf.domains, ",")
		}
		switch {
		case n > 1:
			return r, fmt.Errorf("%s: exactly one of namespaces, pods, nodes, networks, domainNames may be set", pp)
		case n == 0:
			failClosed(pp + " sets no field this tool knows (a newer CRD?)")
			continue
		}
		r.Peers = append(r.Peers, pe)
	}
	r.networks = networksIndex(r.Peers)
	if rf.allPorts {
		return r, nil
	}
	if len(ports) == 0 {
		field := "protocols"
		if c.Kind != "ClusterNetworkPolicy" {
			field = "ports"
		}
		return r, fmt.Errorf("%s.%s: must hold at least one entry when set (leave it out to match every port)", path, field)
	}
	r.Ports = []ClusterPort{}
	for i, pf := range ports {
		pp := fmt.Sprintf("%s.protocols[%d]", path, i)
		if c.Kind != "ClusterNetworkPolicy" {
			pp = fmt.Sprintf("%s.ports[%d]", path, i)
		}
		cp := ClusterPort{Path: pp, Protocol: pf.protocol, Named: pf.named}
		switch pf.protocol {
		case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		case "many":
			return r, fmt.Errorf("%s: exactly one field may be set", pp)
		default:
			return r, fmt.Errorf("%s.protocol: %q is not TCP, UDP or SCTP", pp, pf.protocol)
		}
		switch {
		case pf.named != "":
		case pf.rng != nil:
			cp.From, cp.To = pf.rng[0], pf.rng[1]
			if cp.From < 1 || cp.To > 65535 || cp.From >= cp.To {
				return r, fmt.Errorf("%s: range %d-%d must have 1 <= start < end <= 65535", pp, cp.From, cp.To)
			}
		case pf.number != 0:
			cp.From, cp.To = pf.number, pf.number
			if cp.From < 1 || cp.From > 65535 {
				return r, fmt.Errorf("%s: port %d is not within 1..65535", pp, cp.From)
			}
		case pf.anyPort:
		default:
			failClosed(pp + " sets no field this tool knows (a newer CRD?)")
			continue
		}
		r.Ports = append(r.Ports, cp)
	}
	r.ports = compileClusterPorts(r.Ports)
	return r, nil
}

// compileSubject compiles a namespaces selector, or a pods selector pair.
func compileSubject(ns *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod) (clusterSelector, string, error) {
	switch {
	case ns != nil && pods != nil:
		return clusterSelector{}, "", fmt.Errorf("spec.subject: exactly one of namespaces and pods may be set")
	case ns != nil:
		sel, text, err := compileSelector("namespaces", ns)
		if err != nil {
			return clusterSelector{}, "", err
		}
		if text == "" {
			return clusterSelector{nsSel: sel}, "all pods in all namespaces", nil
		}
		return clusterSelector{nsSel: sel}, "all pods in namespaces {" + text + "}", nil
	case pods != nil:
		nsSel, nsText, err := compileSelector("pods.namespaceSelector", &pods.NamespaceSelector)
		if err != nil {
			return clusterSelector{}, "", err
		}
		podSel, podText, err := compileSelector("pods.podSelector", &pods.PodSelector)
		if err != nil {
			return clusterSelector{}, "", err
		}
		text := "all pods"
		if podText != "" {
			text = "pods {" + podText + "}"
		}
		if nsText == "" {
			text += " in all namespaces"
		} else {
			text += " in namespaces {" + nsText + "}"
		}
		return clusterSelector{nsSel: nsSel, podSel: podSel}, text, nil
	}
	return clusterSelector{}, "", fmt.Errorf("spec.subject: one of namespaces and pods must be set")
}

func compileANP(o *npav1alpha1.AdminNetworkPolicy) (*ClusterPolicy, error) {
	c := &ClusterPolicy{Kind: "AdminNetworkPolicy", Name: o.Name, Tier: TierAdmin, Priority: o.Spec.Priority, HasPriority: true}
	var ingress, egress []ruleFields
	for _, r := range o.Spec.Ingress {
		ingress = append(ingress, ruleFields{name: r.Name, action: Action(r.Action), peers: ingressPeers(r.From), ports: anpPorts(r.Ports), allPorts: r.Ports == nil})
	}
	for _, r := range o.Spec.Egress {
		rf := ruleFields{name: r.Name, action: Action(r.Action), ports: anpPorts(r.Ports), allPorts: r.Ports == nil}
		for _, p := range r.To {
			rf.peers = append(rf.peers, anpEgressPeer(p.Namespaces, p.Pods, p.Nodes, p.Networks, p.DomainNames))
		}
		egress = append(egress, rf)
	}
	if err := c.compile(o.Spec.Subject.Namespaces, o.Spec.Subject.Pods, ingress, egress); err != nil {
		return nil, err
	}
	return c, nil
}

func compileBANP(o *npav1alpha1.BaselineAdminNetworkPolicy) (*ClusterPolicy, error) {
	c := &ClusterPolicy{Kind: "BaselineAdminNetworkPolicy", Name: o.Name, Tier: TierBaseline}
	if o.Name != "default" {
		return nil, fmt.Errorf("metadata.name: a BaselineAdminNetworkPolicy must be named \"default\", not %q", o.Name)
	}
	var ingress, egress []ruleFields
	for _, r := range o.Spec.Ingress {
		ingress = append(ingress, ruleFields{name: r.Name, action: Action(r.Action), peers: ingressPeers(r.From), ports: anpPorts(r.Ports), allPorts: r.Ports == nil})
	}
	for _, r := range o.Spec.Egress {
		rf := ruleFields{name: r.Name, action: Action(r.Action), ports: anpPorts(r.Ports), allPorts: r.Ports == nil}
		for _, p := range r.To {
			rf.peers = append(rf.peers, anpEgressPeer(p.Namespaces, p.Pods, p.Nodes, p.Networks, nil))
		}
		egress = append(egress, rf)
	}
	if err := c.compile(o.Spec.Subject.Namespaces, o.Spec.Subject.Pods, ingress, egress); err != nil {
		return nil, err
	}
	return c, nil
}

func ingressPeers(in []npav1alpha1.AdminNetworkPolicyIngressPeer) []peerFields {
	var out []peerFields
	for _, p := range in {
		out = append(out, peerFields{namespaces: p.Namespaces, pods: p.Pods})
	}
	return out
}

func anpEgressPeer(ns *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod, nodes *metav1.LabelSelector, networks []npav1alpha1.CIDR, domains []npav1alpha1.DomainName) peerFields {
	f := peerFields{namespaces: ns, pods: pods, nodes: nodes}
	for _, n := range networks {
		f.networks = append(f.networks, string(n))
	}
	for _, d := range domains {
		f.domains = append(f.domains, string(d))
	}
	return f
}
