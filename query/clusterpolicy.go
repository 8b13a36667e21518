package query

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// The compiler of the cluster-scoped policies of policy.networking.k8s.io:
// ClusterNetworkPolicy (v1beta1 and v1alpha2), AdminNetworkPolicy and
// BaselineAdminNetworkPolicy (v1alpha1), into the compiled form of
// model.go, in the Admin or Baseline stage.

// describeClusterRule renders a cluster policy rule in plain words, e.g.
// "Deny from namespaces {team=dev} on TCP 3306".
func describeClusterRule(r *Rule, d Direction) string {
	if r.denyAll {
		return "Deny everything (fails closed: holds a field this tool does not know)"
	}
	word := "from"
	if d == Egress {
		word = "to"
	}
	peers := make([]string, len(r.peers))
	for i := range r.peers {
		peers[i] = r.peers[i].text
	}
	return fmt.Sprintf("%s %s %s on %s", r.action, word, strings.Join(peers, " or "), portsText(r.ports))
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
func CompileClusterPolicy(obj runtime.Object) (*Policy, error) {
	switch o := obj.(type) {
	case *npav1alpha2.ClusterNetworkPolicy:
		// v1alpha2 and v1beta1 differ only in their package.
		var v npav1beta1.ClusterNetworkPolicy
		if err := convert(o, &v); err != nil {
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

func compileCNP(o *npav1beta1.ClusterNetworkPolicy) (*Policy, error) {
	c := &Policy{kind: "ClusterNetworkPolicy", name: o.Name, priority: o.Spec.Priority, hasPriority: true}
	switch o.Spec.Tier {
	case npav1beta1.AdminTier:
		c.tier = TierAdmin
	case npav1beta1.BaselineTier:
		c.tier = TierBaseline
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
	if err := compileCluster(c, o.Spec.Subject.Namespaces, (*npav1alpha1.NamespacedPod)(o.Spec.Subject.Pods), ingress, egress); err != nil {
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
func compileCluster(c *Policy, ns *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod, ingress, egress []ruleFields) error {
	if c.priority < 0 || c.priority > 1000 {
		return fmt.Errorf("spec.priority: %d is not within 0..1000", c.priority)
	}
	c.stage = stageAdmin
	if c.tier == TierBaseline {
		c.stage = stageBaseline
	}
	var err error
	if c.subject, c.subjectText, err = compileSubject(ns, pods); err != nil {
		return err
	}
	for i, rf := range ingress {
		rule, err := compileClusterRule(c, fmt.Sprintf("spec.ingress[%d]", i), "from", rf)
		if err != nil {
			return err
		}
		c.ingress = append(c.ingress, rule)
	}
	for i, rf := range egress {
		rule, err := compileClusterRule(c, fmt.Sprintf("spec.egress[%d]", i), "to", rf)
		if err != nil {
			return err
		}
		c.egress = append(c.egress, rule)
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

func compileClusterRule(c *Policy, path, peerField string, rf ruleFields) (Rule, error) {
	r := Rule{path: path, name: rf.name, action: rf.action, describe: describeClusterRule}
	action, err := clusterAction(c.kind, path, rf.action)
	if err != nil {
		return r, err
	}
	r.action = action
	if len(rf.peers) == 0 {
		return r, fmt.Errorf("%s.%s: must hold at least one peer", path, peerField)
	}
	// failClosed records an entry with no field this tool knows, treated as
	// the API requires: an Accept rule ignores it, others deny all.
	failClosed := func(what string) {
		what += " sets no field this tool knows (a newer CRD?)"
		if r.action == ActionAccept {
			c.failClosed = append(c.failClosed, what+": ignored (an Accept rule fails closed by matching nothing there)")
			return
		}
		c.failClosed = append(c.failClosed, fmt.Sprintf("%s: the %s rule fails closed as Deny all", what, r.action))
		r.denyAll = true
	}
	for i, pf := range rf.peers {
		pp := fmt.Sprintf("%s.%s[%d]", path, peerField, i)
		pe, known, err := compileClusterPeer(pp, r.action, pf)
		if err != nil {
			return r, err
		}
		if !known {
			failClosed(pp)
			continue
		}
		r.peers = append(r.peers, pe)
	}
	if !rf.allPorts {
		if err := compileClusterPorts(c.kind, &r, rf.ports, failClosed); err != nil {
			return r, err
		}
	}
	r.index()
	return r, nil
}

// clusterAction checks a rule's action against what the kind allows:
// v1alpha1 spells Accept "Allow", and its Baseline kind has no Pass.
func clusterAction(kind, path string, action Action) (Action, error) {
	valid := []Action{ActionAccept, ActionDeny, ActionPass}
	switch kind {
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
		return action, fmt.Errorf("%s.action: %q is not %s", path, action, strings.Join(names, ", "))
	}
	if action == "Allow" {
		return ActionAccept, nil
	}
	return action, nil
}

// compileClusterPeer compiles one from/to entry of a rule with the given
// action; known is false for an entry that sets no field this tool knows.
func compileClusterPeer(pp string, action Action, pf peerFields) (pe Peer, known bool, err error) {
	pe = Peer{path: pp}
	n := 0
	if pf.namespaces != nil {
		n++
		pe.kind = peerNamespaces
		if pe.sel, pe.text, err = compileSubject(pf.namespaces, nil); err != nil {
			return pe, true, fmt.Errorf("%s.namespaces: %w", pp, err)
		}
	}
	if pf.pods != nil {
		n++
		pe.kind = peerPodAndNamespace
		if pe.sel, pe.text, err = compileSubject(nil, pf.pods); err != nil {
			return pe, true, fmt.Errorf("%s.pods: %w", pp, err)
		}
	}
	if pf.nodes != nil {
		n++
		pe.kind = peerNodes
		sel, text, err := compileSelector(pp+".nodes", pf.nodes)
		if err != nil {
			return pe, true, err
		}
		pe.nodeSel, pe.text = sel, "nodes {"+text+"}"
		if text == "" {
			pe.text = "all nodes"
		}
	}
	if len(pf.networks) > 0 {
		n++
		pe.kind = peerNetworks
		for j, s := range pf.networks {
			pfx, err := parseNetwork(fmt.Sprintf("%s.networks[%d]", pp, j), s)
			if err != nil {
				return pe, true, err
			}
			pe.networks = append(pe.networks, pfx)
		}
		pe.text = networksText(&pe)
	}
	if len(pf.domains) > 0 {
		n++
		pe.kind = peerDomainNames
		if action != ActionAccept {
			return pe, true, fmt.Errorf("%s.domainNames: only Accept rules may name domains", pp)
		}
		pe.domains = pf.domains
		pe.text = "domains " + strings.Join(pf.domains, ",")
	}
	if n > 1 {
		return pe, true, fmt.Errorf("%s: exactly one of namespaces, pods, nodes, networks, domainNames may be set", pp)
	}
	return pe, n == 1, nil
}

// compileClusterPorts compiles a rule's protocols (v1alpha1: ports) list,
// which is set: an entry with no field this tool knows fails closed.
func compileClusterPorts(kind string, r *Rule, ports []portFields, failClosed func(string)) error {
	field := "protocols"
	if kind != "ClusterNetworkPolicy" {
		field = "ports"
	}
	if len(ports) == 0 {
		return fmt.Errorf("%s.%s: must hold at least one entry when set (leave it out to match every port)", r.path, field)
	}
	r.ports = []Port{}
	for i, pf := range ports {
		pp := fmt.Sprintf("%s.%s[%d]", r.path, field, i)
		cp := Port{path: pp, protocol: pf.protocol, named: pf.named}
		switch pf.protocol {
		case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		case "many":
			return fmt.Errorf("%s: exactly one field may be set", pp)
		default:
			return fmt.Errorf("%s.protocol: %q is not TCP, UDP or SCTP", pp, pf.protocol)
		}
		switch {
		case pf.named != "":
		case pf.rng != nil:
			cp.from, cp.to = pf.rng[0], pf.rng[1]
			if cp.from < 1 || cp.to > 65535 || cp.from >= cp.to {
				return fmt.Errorf("%s: range %d-%d must have 1 <= start < end <= 65535", pp, cp.from, cp.to)
			}
		case pf.number != 0:
			cp.from, cp.to = pf.number, pf.number
			if cp.from < 1 || cp.from > 65535 {
				return fmt.Errorf("%s: port %d is not within 1..65535", pp, cp.from)
			}
		case pf.anyPort:
		default:
			failClosed(pp)
			continue
		}
		r.ports = append(r.ports, cp)
	}
	return nil
}

// compileSubject compiles a namespaces selector, or a pods selector pair.
func compileSubject(ns *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod) (selector, string, error) {
	switch {
	case ns != nil && pods != nil:
		return selector{}, "", fmt.Errorf("spec.subject: exactly one of namespaces and pods may be set")
	case ns != nil:
		sel, text, err := compileSelector("namespaces", ns)
		if err != nil {
			return selector{}, "", err
		}
		if text == "" {
			return selector{nsSel: sel}, "all pods in all namespaces", nil
		}
		return selector{nsSel: sel}, "all pods in namespaces {" + text + "}", nil
	case pods != nil:
		nsSel, nsText, err := compileSelector("pods.namespaceSelector", &pods.NamespaceSelector)
		if err != nil {
			return selector{}, "", err
		}
		podSel, podText, err := compileSelector("pods.podSelector", &pods.PodSelector)
		if err != nil {
			return selector{}, "", err
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
		return selector{nsSel: nsSel, podSel: podSel}, text, nil
	}
	return selector{}, "", fmt.Errorf("spec.subject: one of namespaces and pods must be set")
}

func compileANP(o *npav1alpha1.AdminNetworkPolicy) (*Policy, error) {
	c := &Policy{kind: "AdminNetworkPolicy", name: o.Name, tier: TierAdmin, priority: o.Spec.Priority, hasPriority: true}
	return compileV1alpha1(c, &o.Spec)
}

// compileBANP compiles a BaselineAdminNetworkPolicy through the
// AdminNetworkPolicy spec, whose fields are a superset of its own (same
// names, same meaning), as the Baseline tier's one policy.
func compileBANP(o *npav1alpha1.BaselineAdminNetworkPolicy) (*Policy, error) {
	c := &Policy{kind: "BaselineAdminNetworkPolicy", name: o.Name, tier: TierBaseline}
	if o.Name != "default" {
		return nil, fmt.Errorf("metadata.name: a BaselineAdminNetworkPolicy must be named \"default\", not %q", o.Name)
	}
	var spec npav1alpha1.AdminNetworkPolicySpec
	if err := convert(&o.Spec, &spec); err != nil {
		return nil, err
	}
	return compileV1alpha1(c, &spec)
}

// convert copies an API object into another type of the same fields, by
// their JSON names.
func convert(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

func compileV1alpha1(c *Policy, spec *npav1alpha1.AdminNetworkPolicySpec) (*Policy, error) {
	var ingress, egress []ruleFields
	for _, r := range spec.Ingress {
		ingress = append(ingress, v1alpha1Rule(r.Name, Action(r.Action), r.Ports, ingressPeers(r.From)))
	}
	for _, r := range spec.Egress {
		var peers []peerFields
		for _, p := range r.To {
			peers = append(peers, anpEgressPeer(p.Namespaces, p.Pods, p.Nodes, p.Networks, p.DomainNames))
		}
		egress = append(egress, v1alpha1Rule(r.Name, Action(r.Action), r.Ports, peers))
	}
	if err := compileCluster(c, spec.Subject.Namespaces, spec.Subject.Pods, ingress, egress); err != nil {
		return nil, err
	}
	return c, nil
}

// v1alpha1Rule is one rule of the v1alpha1 kinds, whatever its direction.
func v1alpha1Rule(name string, action Action, ports *[]npav1alpha1.AdminNetworkPolicyPort, peers []peerFields) ruleFields {
	return ruleFields{name: name, action: action, peers: peers, ports: anpPorts(ports), allPorts: ports == nil}
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
