package query

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Direction is the side of a flow a policy rule judges.
type Direction string

// The two directions of NetworkPolicy.
const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// Policy is a NetworkPolicy compiled once: defaulted policyTypes, parsed
// selectors and CIDRs, and the field path of every rule, peer and port so
// traces can point at what the user wrote.
type Policy struct {
	Namespace string
	Name      string
	// Types is spec.policyTypes after the API server's defaulting.
	Types []networkingv1.PolicyType
	// TypesDefaulted is true when spec.policyTypes was not written.
	TypesDefaulted bool
	// PodSelector is spec.podSelector as the user wrote it, in selector syntax.
	PodSelector string
	Ingress     []Rule
	Egress      []Rule

	podSelector labels.Selector
}

// Key is "namespace/name".
func (p *Policy) Key() string { return p.Namespace + "/" + p.Name }

// HasType reports whether the policy isolates the given direction.
func (p *Policy) HasType(d Direction) bool {
	want := networkingv1.PolicyTypeIngress
	if d == Egress {
		want = networkingv1.PolicyTypeEgress
	}
	return slices.Contains(p.Types, want)
}

// Rules returns the rules of one direction.
func (p *Policy) Rules(d Direction) []Rule {
	if d == Egress {
		return p.Egress
	}
	return p.Ingress
}

// Selects reports whether the policy selects the pod: same namespace and a
// matching spec.podSelector.
func (p *Policy) Selects(pod *Pod) bool {
	return pod.Namespace == p.Namespace && p.podSelector.Matches(pod.Labels)
}

// Rule is one ingress or egress rule.
type Rule struct {
	// Path is the rule's field path, e.g. spec.ingress[0].
	Path string
	// Peers is nil when from/to is missing or empty: every peer matches.
	Peers []Peer
	// Ports is nil when ports is missing or empty: every port matches.
	Ports []Port

	// ports is what Ports open whatever the destination, built once by
	// compileRule: a rule may hold tens of thousands of entries.
	ports rulePorts
	// blocks finds the first ipBlock peer that holds an address; nil when
	// the rule has none.
	blocks *addrIndex
	// desc is the rule in words, rendered on first use: traces of many
	// pairs repeat it.
	desc *lazyText
}

// lazyText is a text rendered once, on first use, safely from several
// goroutines.
type lazyText struct {
	once sync.Once
	text string
}

func (l *lazyText) get(render func() string) string {
	l.once.Do(func() { l.text = render() })
	return l.text
}

// describe is describeRule for the rule in its policy's namespace ns and
// direction d, rendered once.
func (r *Rule) describe(d Direction, ns string) string {
	if r.desc == nil {
		return describeRule(d, ns, r)
	}
	return r.desc.get(func() string { return describeRule(d, ns, r) })
}

// rulePorts is a ports list compiled: the numbered entries and whole
// protocols as one set, and the named entries by protocol and name, looked
// up in the destination's few declared ports.
type rulePorts struct {
	fixed PortSet
	named map[namedPort]bool
}

// namedPort is a named port entry: a name and its protocol ("" for the
// cluster policy entries that match the container port's own protocol).
type namedPort struct {
	proto corev1.Protocol
	name  string
}

// towards is the set the compiled list opens towards dst (nil outside the
// cluster, where named ports never match).
func (rp *rulePorts) towards(dst *Pod) PortSet {
	if len(rp.named) == 0 || dst == nil {
		return rp.fixed
	}
	var rs [3][]PortRange
	for _, cp := range dst.Ports {
		if rp.named[namedPort{cp.Protocol, cp.Name}] || rp.named[namedPort{"", cp.Name}] {
			if i := protoIndex(cp.Protocol); i >= 0 {
				rs[i] = append(rs[i], PortRange{cp.Port, cp.Port})
			}
		}
	}
	return rp.fixed.Union(portSetOf(rs))
}

// PeerKind says which shape of NetworkPolicyPeer the user wrote.
type PeerKind string

// The peer shapes. PeerPodAndNamespace is the single entry with both
// selectors (AND), which differs from two entries (OR) by one "-".
const (
	PeerPods            PeerKind = "podSelector"
	PeerNamespaces      PeerKind = "namespaceSelector"
	PeerPodAndNamespace PeerKind = "namespaceSelector+podSelector"
	PeerIPBlock         PeerKind = "ipBlock"
)

// Peer is one entry of a rule's from/to list.
type Peer struct {
	Path string
	Kind PeerKind
	// PodSelector and NamespaceSelector are the selectors in selector
	// syntax ("" is the empty selector, which matches everything).
	PodSelector       string
	NamespaceSelector string
	CIDR              netip.Prefix
	Except            []netip.Prefix

	podSel labels.Selector
	nsSel  labels.Selector
}

// Port is one entry of a rule's ports list, defaulted.
type Port struct {
	Path     string
	Protocol corev1.Protocol
	// Port is nil when every port of Protocol matches.
	Port    *intstr.IntOrString
	EndPort *int32
}

// DefaultPolicyTypes returns spec.policyTypes as the API server defaults it:
// Ingress always, Egress only when spec.egress has at least one rule.
func DefaultPolicyTypes(spec *networkingv1.NetworkPolicySpec) []networkingv1.PolicyType {
	if len(spec.PolicyTypes) > 0 {
		return spec.PolicyTypes
	}
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(spec.Egress) > 0 {
		types = append(types, networkingv1.PolicyTypeEgress)
	}
	return types
}

// CompilePolicy validates a NetworkPolicy the way the API server would and
// compiles it. Errors name the offending field.
func CompilePolicy(np *networkingv1.NetworkPolicy) (*Policy, error) {
	p := &Policy{
		Namespace:      np.Namespace,
		Name:           np.Name,
		Types:          DefaultPolicyTypes(&np.Spec),
		TypesDefaulted: len(np.Spec.PolicyTypes) == 0,
	}
	if np.Name == "" {
		return nil, fmt.Errorf("metadata.name: required")
	}
	for i, t := range p.Types {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			return nil, fmt.Errorf("spec.policyTypes[%d]: unsupported value %q (Ingress or Egress)", i, t)
		}
	}
	sel, text, err := compileSelector("spec.podSelector", &np.Spec.PodSelector)
	if err != nil {
		return nil, err
	}
	p.podSelector, p.PodSelector = sel, text
	for i, r := range np.Spec.Ingress {
		rule, err := compileRule(fmt.Sprintf("spec.ingress[%d]", i), "from", r.From, r.Ports)
		if err != nil {
			return nil, err
		}
		p.Ingress = append(p.Ingress, rule)
	}
	for i, r := range np.Spec.Egress {
		rule, err := compileRule(fmt.Sprintf("spec.egress[%d]", i), "to", r.To, r.Ports)
		if err != nil {
			return nil, err
		}
		p.Egress = append(p.Egress, rule)
	}
	return p, nil
}

func compileRule(path, peerField string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (Rule, error) {
	rule := Rule{Path: path}
	if len(peers) > 0 {
		rule.Peers = make([]Peer, 0, len(peers))
	}
	if len(ports) > 0 {
		rule.Ports = make([]Port, 0, len(ports))
	}
	sels := selectorCache{}
	for i := range peers {
		peer, err := compilePeer(fmt.Sprintf("%s.%s[%d]", path, peerField, i), &peers[i], sels)
		if err != nil {
			return Rule{}, err
		}
		rule.Peers = append(rule.Peers, peer)
	}
	for i := range ports {
		port, err := compilePort(fmt.Sprintf("%s.ports[%d]", path, i), &ports[i])
		if err != nil {
			return Rule{}, err
		}
		rule.Ports = append(rule.Ports, port)
	}
	rule.ports = compilePorts(rule.Ports)
	rule.blocks = ipBlockIndex(rule.Peers)
	rule.desc = &lazyText{}
	return rule, nil
}

// ipBlockIndex indexes the ipBlock peers of a rule by address, each as
// its CIDR minus its excepts, numbered by their place in peers.
func ipBlockIndex(peers []Peer) *addrIndex {
	var entries []addrEntry
	for i := range peers {
		pe := &peers[i]
		if pe.Kind != PeerIPBlock {
			continue
		}
		entries = append(entries, addrEntry{prefix: pe.CIDR, set: i})
		for _, ex := range pe.Except {
			entries = append(entries, addrEntry{prefix: ex, set: i, except: true})
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return newAddrIndex(len(peers), entries)
}

// compilePorts sorts and merges the numbered entries of a ports list once.
func compilePorts(ports []Port) rulePorts {
	var b portsBuilder
	for i := range ports {
		p := &ports[i]
		switch {
		case protoIndex(p.Protocol) < 0:
			// a protocol no pod port has: matches nothing
		case p.Port == nil:
			b.add(p.Protocol, minPort, maxPort)
		case p.Port.Type == intstr.String:
			b.addNamed(p.Protocol, p.Port.StrVal)
		case p.EndPort != nil:
			b.add(p.Protocol, p.Port.IntVal, *p.EndPort)
		default:
			b.add(p.Protocol, p.Port.IntVal, p.Port.IntVal)
		}
	}
	return b.build()
}

// portsBuilder collects the entries of a ports list of any policy kind
// into rulePorts: ranges per protocol, merged once in build, and names.
type portsBuilder struct {
	rs    [3][]PortRange
	named map[namedPort]bool
}

// add adds from-to of proto; an unknown protocol or an empty range adds
// nothing.
func (b *portsBuilder) add(proto corev1.Protocol, from, to int32) {
	if i := protoIndex(proto); i >= 0 && from <= to {
		b.rs[i] = append(b.rs[i], PortRange{from, to})
	}
}

// addNamed adds a named port of proto ("" for any protocol).
func (b *portsBuilder) addNamed(proto corev1.Protocol, name string) {
	if b.named == nil {
		b.named = map[namedPort]bool{}
	}
	b.named[namedPort{proto, name}] = true
}

func (b *portsBuilder) build() rulePorts {
	return rulePorts{fixed: portSetOf(b.rs), named: b.named}
}

func compilePeer(path string, in *networkingv1.NetworkPolicyPeer, sels selectorCache) (Peer, error) {
	p := Peer{Path: path}
	switch {
	case in.IPBlock != nil && (in.PodSelector != nil || in.NamespaceSelector != nil):
		return Peer{}, fmt.Errorf("%s: ipBlock may not be combined with podSelector or namespaceSelector in one peer", path)
	case in.IPBlock != nil:
		p.Kind = PeerIPBlock
		cidr, err := parseCIDR(path+".ipBlock.cidr", in.IPBlock.CIDR)
		if err != nil {
			return Peer{}, err
		}
		p.CIDR = cidr
		for i, e := range in.IPBlock.Except {
			ePath := fmt.Sprintf("%s.ipBlock.except[%d]", path, i)
			ex, err := parseCIDR(ePath, e)
			if err != nil {
				return Peer{}, err
			}
			if ex.Addr().Is4() != cidr.Addr().Is4() || ex.Bits() <= cidr.Bits() || !cidr.Contains(ex.Addr()) {
				return Peer{}, fmt.Errorf("%s: %q must be a strict subset of cidr %q", ePath, e, in.IPBlock.CIDR)
			}
			p.Except = append(p.Except, ex)
		}
		return p, nil
	case in.PodSelector != nil && in.NamespaceSelector != nil:
		p.Kind = PeerPodAndNamespace
	case in.PodSelector != nil:
		p.Kind = PeerPods
	case in.NamespaceSelector != nil:
		p.Kind = PeerNamespaces
	default:
		return Peer{}, fmt.Errorf("%s: must specify one of podSelector, namespaceSelector or ipBlock", path)
	}
	var err error
	if in.PodSelector != nil {
		if p.podSel, p.PodSelector, err = sels.compile(path+".podSelector", in.PodSelector); err != nil {
			return Peer{}, err
		}
	}
	if in.NamespaceSelector != nil {
		if p.nsSel, p.NamespaceSelector, err = sels.compile(path+".namespaceSelector", in.NamespaceSelector); err != nil {
			return Peer{}, err
		}
	}
	return p, nil
}

func compilePort(path string, in *networkingv1.NetworkPolicyPort) (Port, error) {
	p := Port{Path: path, Protocol: corev1.ProtocolTCP, Port: in.Port, EndPort: in.EndPort}
	if in.Protocol != nil {
		p.Protocol = *in.Protocol
	}
	if !slices.Contains(Protocols, p.Protocol) {
		return Port{}, fmt.Errorf("%s.protocol: unsupported value %q (TCP, UDP or SCTP)", path, p.Protocol)
	}
	if in.Port != nil {
		if in.Port.Type == intstr.Int {
			if in.Port.IntVal < minPort || in.Port.IntVal > maxPort {
				return Port{}, fmt.Errorf("%s.port: %d is not between 1 and 65535", path, in.Port.IntVal)
			}
		} else if errs := validation.IsValidPortName(in.Port.StrVal); len(errs) > 0 {
			return Port{}, fmt.Errorf("%s.port: invalid port name %q: %s", path, in.Port.StrVal, strings.Join(errs, "; "))
		}
	}
	if in.EndPort != nil {
		switch {
		case in.Port == nil:
			return Port{}, fmt.Errorf("%s.endPort: may not be set without port", path)
		case in.Port.Type == intstr.String:
			return Port{}, fmt.Errorf("%s.endPort: may not be set when port is a named port (%q)", path, in.Port.StrVal)
		case *in.EndPort < in.Port.IntVal:
			return Port{}, fmt.Errorf("%s.endPort: %d is less than port %d", path, *in.EndPort, in.Port.IntVal)
		case *in.EndPort > maxPort:
			return Port{}, fmt.Errorf("%s.endPort: %d is not between 1 and 65535", path, *in.EndPort)
		}
	}
	return p, nil
}

// compileSelector converts a label selector with apimachinery's own
// conversion and returns it with its text form.
func compileSelector(path string, ls *metav1.LabelSelector) (labels.Selector, string, error) {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return sel, sel.String(), nil
}

// selectorCache compiles each distinct selector of a rule once: rules with
// thousands of peers often repeat one (the same namespaceSelector with
// different podSelectors), and converting a selector validates every key
// and value. Compiled selectors are immutable, so peers share them.
type selectorCache map[string]compiledSelector

type compiledSelector struct {
	sel  labels.Selector
	text string
}

// compile is compileSelector, once per distinct selector.
func (c selectorCache) compile(path string, ls *metav1.LabelSelector) (labels.Selector, string, error) {
	k := selectorKey(ls)
	if cs, ok := c[k]; ok {
		return cs.sel, cs.text, nil
	}
	sel, text, err := compileSelector(path, ls)
	if err != nil {
		return nil, "", err
	}
	c[k] = compiledSelector{sel, text}
	return sel, text, nil
}

// selectorKey is a selector as written, in one string: labels sorted, then
// the expressions in order, each string length-prefixed so that no two
// selectors share a key (an invalid one must not pass as a valid one).
func selectorKey(ls *metav1.LabelSelector) string {
	var b strings.Builder
	str := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		str(k)
		str(ls.MatchLabels[k])
	}
	for _, e := range ls.MatchExpressions {
		b.WriteByte('|')
		str(e.Key)
		str(string(e.Operator))
		b.WriteString(strconv.Itoa(len(e.Values)))
		b.WriteByte('#')
		for _, v := range e.Values {
			str(v)
		}
	}
	return b.String()
}

// parseCIDR accepts what kube-apiserver 1.37 accepts in the cidr and
// except of a new ipBlock: IsValidCIDRForLegacyField with strict
// validation (the StrictIPCIDRValidation gate, on by default since 1.36).
// That refuses host bits (10.0.0.1/8 is not read as 10.0.0.0/8), IPv4-mapped
// IPv6 addresses (::ffff:1.2.3.4/128 would match no IPv4 address), leading
// zeros, zones and spaces.
func parseCIDR(path, s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("%s: required", path)
	}
	if errs := validation.IsValidCIDRForLegacyField(nil, s, true, nil); len(errs) > 0 {
		msg := fmt.Sprintf("%s: invalid CIDR %q: %s", path, s, errs[0].Detail)
		if p, err := netip.ParsePrefix(s); err == nil && p.Masked() != p {
			msg += fmt.Sprintf(" (%s or %s?)", p.Masked(), netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
		return netip.Prefix{}, errors.New(msg)
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		// Strict validation has already refused what netip refuses.
		return netip.Prefix{}, fmt.Errorf("%s: invalid CIDR %q: %w", path, s, err)
	}
	return p, nil
}

// portsFor is the set of destination ports the rule's ports list opens
// towards dst (nil for an address outside the cluster). Named ports are
// looked up in dst's declared container ports with the same protocol.
func (r *Rule) portsFor(dst *Pod) PortSet {
	if len(r.Ports) == 0 {
		return AllPorts()
	}
	return r.ports.towards(dst)
}

func (p *Port) portsFor(dst *Pod) PortSet {
	switch {
	case p.Port == nil:
		return ProtocolPorts(p.Protocol)
	case p.Port.Type == intstr.String:
		var s PortSet
		if dst == nil {
			return s
		}
		for _, cp := range dst.Ports {
			if cp.Name == p.Port.StrVal && cp.Protocol == p.Protocol {
				s = s.Union(SinglePort(cp.Protocol, cp.Port))
			}
		}
		return s
	case p.EndPort != nil:
		return PortRangeSet(p.Protocol, p.Port.IntVal, *p.EndPort)
	default:
		return SinglePort(p.Protocol, p.Port.IntVal)
	}
}

// holds tells whether the entry opens proto/port towards dst, as
// portsFor(dst).Contains would, without building the set.
func (p *Port) holds(dst *Pod, proto corev1.Protocol, port int32) bool {
	switch {
	case p.Protocol != proto:
		return false
	case p.Port == nil:
		return port >= minPort && port <= maxPort
	case p.Port.Type == intstr.String:
		if dst == nil {
			return false
		}
		for _, cp := range dst.Ports {
			if cp.Name == p.Port.StrVal && cp.Protocol == p.Protocol && cp.Port == port {
				return true
			}
		}
		return false
	case p.EndPort != nil:
		return port >= p.Port.IntVal && port <= *p.EndPort
	default:
		return port == p.Port.IntVal
	}
}

// String renders the port entry as written: "TCP 3306", "TCP 8000-8080",
// "UDP all ports", "TCP named port mysql".
func (p *Port) String() string {
	switch {
	case p.Port == nil:
		return string(p.Protocol) + " all ports"
	case p.Port.Type == intstr.String:
		return fmt.Sprintf("%s named port %s", p.Protocol, p.Port.StrVal)
	case p.EndPort != nil:
		return fmt.Sprintf("%s %d-%d", p.Protocol, p.Port.IntVal, *p.EndPort)
	default:
		return fmt.Sprintf("%s %d", p.Protocol, p.Port.IntVal)
	}
}
