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

// The NetworkPolicy compiler: networking.k8s.io/v1 NetworkPolicy into the
// compiled form of model.go, in the NetworkPolicy stage.

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
		kind:           "NetworkPolicy",
		namespace:      np.Namespace,
		name:           np.Name,
		types:          DefaultPolicyTypes(&np.Spec),
		typesDefaulted: len(np.Spec.PolicyTypes) == 0,
		stage:          stageNetworkPolicy,
	}
	if np.Name == "" {
		return nil, fmt.Errorf("metadata.name: required")
	}
	for i, t := range p.types {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			return nil, fmt.Errorf("spec.policyTypes[%d]: unsupported value %q (Ingress or Egress)", i, t)
		}
	}
	sel, text, err := compileSelector("spec.podSelector", &np.Spec.PodSelector)
	if err != nil {
		return nil, err
	}
	p.subject = selector{namespace: np.Namespace, podSel: sel, hostNetwork: true}
	p.podSelector = text
	for i, r := range np.Spec.Ingress {
		rule, err := compileRule(np.Namespace, fmt.Sprintf("spec.ingress[%d]", i), "from", r.From, r.Ports)
		if err != nil {
			return nil, err
		}
		p.ingress = append(p.ingress, rule)
	}
	for i, r := range np.Spec.Egress {
		rule, err := compileRule(np.Namespace, fmt.Sprintf("spec.egress[%d]", i), "to", r.To, r.Ports)
		if err != nil {
			return nil, err
		}
		p.egress = append(p.egress, rule)
	}
	return p, nil
}

// compileRule compiles one rule of a NetworkPolicy in namespace ns: an
// Accept rule of the allow list.
func compileRule(ns, path, peerField string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (Rule, error) {
	rule := Rule{path: path, action: ActionAccept, anyPeer: len(peers) == 0}
	if len(peers) > 0 {
		rule.peers = make([]Peer, 0, len(peers))
	}
	if len(ports) > 0 {
		rule.ports = make([]Port, 0, len(ports))
	}
	sels := selectorCache{}
	for i := range peers {
		peer, err := compilePeer(ns, fmt.Sprintf("%s.%s[%d]", path, peerField, i), &peers[i], sels)
		if err != nil {
			return Rule{}, err
		}
		rule.peers = append(rule.peers, peer)
	}
	for i := range ports {
		port, err := compilePort(fmt.Sprintf("%s.ports[%d]", path, i), &ports[i])
		if err != nil {
			return Rule{}, err
		}
		rule.ports = append(rule.ports, port)
	}
	rule.describe = describeRule
	rule.desc = &lazyText{}
	rule.index()
	return rule, nil
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

func compilePeer(ns, path string, in *networkingv1.NetworkPolicyPeer, sels selectorCache) (Peer, error) {
	p := Peer{path: path}
	switch {
	case in.IPBlock != nil && (in.PodSelector != nil || in.NamespaceSelector != nil):
		return Peer{}, fmt.Errorf("%s: ipBlock may not be combined with podSelector or namespaceSelector in one peer", path)
	case in.IPBlock != nil:
		p.kind = peerIPBlock
		cidr, err := parseCIDR(path+".ipBlock.cidr", in.IPBlock.CIDR)
		if err != nil {
			return Peer{}, err
		}
		p.cidr, p.networks = cidr, []netip.Prefix{cidr}
		for i, e := range in.IPBlock.Except {
			ePath := fmt.Sprintf("%s.ipBlock.except[%d]", path, i)
			ex, err := parseCIDR(ePath, e)
			if err != nil {
				return Peer{}, err
			}
			if ex.Addr().Is4() != cidr.Addr().Is4() || ex.Bits() <= cidr.Bits() || !cidr.Contains(ex.Addr()) {
				return Peer{}, fmt.Errorf("%s: %q must be a strict subset of cidr %q", ePath, e, in.IPBlock.CIDR)
			}
			p.except = append(p.except, ex)
		}
		p.text = describePeer(&p)
		return p, nil
	case in.PodSelector != nil && in.NamespaceSelector != nil:
		p.kind = peerPodAndNamespace
	case in.PodSelector != nil:
		p.kind = peerPods
		p.sel.namespace = ns
	case in.NamespaceSelector != nil:
		p.kind = peerNamespaces
	default:
		return Peer{}, fmt.Errorf("%s: must specify one of podSelector, namespaceSelector or ipBlock", path)
	}
	p.sel.hostNetwork = true
	var err error
	if in.PodSelector != nil {
		if p.sel.podSel, p.podSelector, err = sels.compile(path+".podSelector", in.PodSelector); err != nil {
			return Peer{}, err
		}
	}
	if in.NamespaceSelector != nil {
		if p.sel.nsSel, p.namespaceSelector, err = sels.compile(path+".namespaceSelector", in.NamespaceSelector); err != nil {
			return Peer{}, err
		}
	}
	p.text = describePeer(&p)
	return p, nil
}

func compilePort(path string, in *networkingv1.NetworkPolicyPort) (Port, error) {
	p := Port{path: path, protocol: corev1.ProtocolTCP}
	if in.Protocol != nil {
		p.protocol = *in.Protocol
	}
	if !slices.Contains(Protocols, p.protocol) {
		return Port{}, fmt.Errorf("%s.protocol: unsupported value %q (TCP, UDP or SCTP)", path, p.protocol)
	}
	if in.Port != nil {
		if in.Port.Type == intstr.Int {
			if in.Port.IntVal < minPort || in.Port.IntVal > maxPort {
				return Port{}, fmt.Errorf("%s.port: %d is not between 1 and 65535", path, in.Port.IntVal)
			}
			p.from, p.to = in.Port.IntVal, in.Port.IntVal
		} else if errs := validation.IsValidPortName(in.Port.StrVal); len(errs) > 0 {
			return Port{}, fmt.Errorf("%s.port: invalid port name %q: %s", path, in.Port.StrVal, strings.Join(errs, "; "))
		} else {
			p.named = in.Port.StrVal
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
		p.to = *in.EndPort
	}
	return p, nil
}

// describeRule renders a NetworkPolicy rule in plain words, e.g.
// "allow from pods {role=api} in namespace prod on TCP 3306".
func describeRule(r *Rule, d Direction) string {
	word := "from"
	if d == Egress {
		word = "to"
	}
	var peers string
	if r.anyPeer {
		peers = "anywhere"
	} else {
		parts := make([]string, len(r.peers))
		for i := range r.peers {
			parts[i] = r.peers[i].text
		}
		peers = strings.Join(parts, " or ")
	}
	return fmt.Sprintf("allow %s %s on %s", word, peers, portsText(r.ports))
}

// portsText renders a ports list, "all ports" when it has none.
func portsText(ports []Port) string {
	if ports == nil {
		return "all ports"
	}
	parts := make([]string, len(ports))
	for i := range ports {
		parts[i] = ports[i].String()
	}
	return strings.Join(parts, ", ")
}

// describePeer renders a NetworkPolicy peer in words.
func describePeer(pe *Peer) string {
	pods := func() string {
		if pe.podSelector == "" {
			return "all pods"
		}
		return "pods {" + pe.podSelector + "}"
	}
	switch pe.kind {
	case peerIPBlock:
		if len(pe.except) == 0 {
			return pe.cidr.String()
		}
		ex := make([]string, len(pe.except))
		for i, e := range pe.except {
			ex[i] = e.String()
		}
		return fmt.Sprintf("%s except %s", pe.cidr, strings.Join(ex, ","))
	case peerPods:
		return fmt.Sprintf("%s in namespace %s", pods(), pe.sel.namespace)
	case peerNamespaces:
		if pe.namespaceSelector == "" {
			return "all pods in all namespaces"
		}
		return fmt.Sprintf("all pods in namespaces {%s}", pe.namespaceSelector)
	default:
		nss := "all namespaces"
		if pe.namespaceSelector != "" {
			nss = "namespaces {" + pe.namespaceSelector + "}"
		}
		return fmt.Sprintf("%s in %s", pods(), nss)
	}
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
