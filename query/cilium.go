package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	kselection "k8s.io/apimachinery/pkg/selection"
	kjson "sigs.k8s.io/json"
)

// The compiler of Cilium's own policies, CiliumNetworkPolicy (CNP) and
// CiliumClusterwideNetworkPolicy (CCNP), cilium.io/v2, into the compiled
// form of model.go, as Cilium v1.20 enforces them together with
// NetworkPolicy (docs/semantics.md section 20; pkg/k8s/apis/cilium.io
// utils.go ParseToCiliumRule, pkg/policy/utils parserules.go,
// pkg/policy/repository.go):
//
//   - each rule of spec and specs is one Policy in the NetworkPolicy stage;
//   - each element of ingress, ingressDeny, egress and egressDeny is one
//     Rule (Accept or Deny), and the rule isolates (default deny) the pods
//     it selects in that direction unless enableDefaultDeny says false;
//   - deny rules win over every allow of the stage, of any kind.

// The kinds this file compiles.
const (
	KindCiliumNetworkPolicy            = "CiliumNetworkPolicy"
	KindCiliumClusterwideNetworkPolicy = "CiliumClusterwideNetworkPolicy"
	KindCiliumCIDRGroup                = "CiliumCIDRGroup"
	ciliumGroup                        = "cilium.io"
)

// isCiliumKind tells whether an unstructured object is one the Cilium
// compiler reads.
func isCiliumKind(u *unstructured.Unstructured) bool {
	k, _ := LookupPluginKind(u.GroupVersionKind())
	return k != nil && k.Evaluated
}

// The API objects, as far as verdicts need them. Pointers to slices keep
// an absent list apart from an empty one, which Cilium reads differently.
type ciliumPolicyObject struct {
	Metadata json.RawMessage  `json:"metadata"`
	Kind     string           `json:"kind"`
	API      string           `json:"apiVersion"`
	Spec     *ciliumRuleSpec  `json:"spec"`
	Specs    []ciliumRuleSpec `json:"specs"`
	Status   json.RawMessage  `json:"status"`
}

type ciliumRuleSpec struct {
	EndpointSelector  *metav1.LabelSelector `json:"endpointSelector"`
	NodeSelector      *metav1.LabelSelector `json:"nodeSelector"`
	Ingress           []ciliumPeerRule      `json:"ingress"`
	IngressDeny       []ciliumPeerRule      `json:"ingressDeny"`
	Egress            []ciliumPeerRule      `json:"egress"`
	EgressDeny        []ciliumPeerRule      `json:"egressDeny"`
	EnableDefaultDeny *struct {
		Ingress *bool `json:"ingress"`
		Egress  *bool `json:"egress"`
	} `json:"enableDefaultDeny"`
	Description string          `json:"description"`
	Labels      json.RawMessage `json:"labels"`
	Log         json.RawMessage `json:"log"`
}

// ciliumPeerRule holds the fields of ingress and egress rules (allow and
// deny); which ones a direction and action may have is checked.
type ciliumPeerRule struct {
	FromEndpoints *[]metav1.LabelSelector `json:"fromEndpoints"`
	FromCIDR      *[]string               `json:"fromCIDR"`
	FromCIDRSet   *[]ciliumCIDRRule       `json:"fromCIDRSet"`
	FromEntities  *[]string               `json:"fromEntities"`
	FromNodes     *[]metav1.LabelSelector `json:"fromNodes"`
	FromGroups    *[]json.RawMessage      `json:"fromGroups"`
	FromRequires  []json.RawMessage       `json:"fromRequires"`

	ToEndpoints *[]metav1.LabelSelector `json:"toEndpoints"`
	ToCIDR      *[]string               `json:"toCIDR"`
	ToCIDRSet   *[]ciliumCIDRRule       `json:"toCIDRSet"`
	ToEntities  *[]string               `json:"toEntities"`
	ToNodes     *[]metav1.LabelSelector `json:"toNodes"`
	ToGroups    *[]json.RawMessage      `json:"toGroups"`
	ToServices  *[]ciliumService        `json:"toServices"`
	ToFQDNs     *[]ciliumFQDN           `json:"toFQDNs"`
	ToRequires  []json.RawMessage       `json:"toRequires"`

	ToPorts        []ciliumPortRule  `json:"toPorts"`
	ICMPs          []json.RawMessage `json:"icmps"`
	Authentication *struct {
		Mode string `json:"mode"`
	} `json:"authentication"`
}

type ciliumCIDRRule struct {
	CIDR              string                `json:"cidr"`
	CIDRGroupRef      string                `json:"cidrGroupRef"`
	CIDRGroupSelector *metav1.LabelSelector `json:"cidrGroupSelector"`
	Except            []string              `json:"except"`
}

type ciliumService struct {
	K8sService *struct {
		Name      string `json:"serviceName"`
		Namespace string `json:"namespace"`
	} `json:"k8sService"`
	K8sServiceSelector *struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Namespace string               `json:"namespace"`
	} `json:"k8sServiceSelector"`
}

type ciliumFQDN struct {
	MatchName    string `json:"matchName"`
	MatchPattern string `json:"matchPattern"`
}

type ciliumPortRule struct {
	Ports          []ciliumPort    `json:"ports"`
	Rules          *ciliumL7       `json:"rules"`
	TerminatingTLS json.RawMessage `json:"terminatingTLS"`
	OriginatingTLS json.RawMessage `json:"originatingTLS"`
	ServerNames    []string        `json:"serverNames"`
	Listener       json.RawMessage `json:"listener"`
}

type ciliumPort struct {
	Port     string `json:"port"`
	EndPort  int32  `json:"endPort"`
	Protocol string `json:"protocol"`
}

type ciliumL7 struct {
	HTTP []map[string]any `json:"http"`
	DNS  []map[string]any `json:"dns"`
}

type ciliumCIDRGroupObject struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Kind     string            `json:"kind"`
	API      string            `json:"apiVersion"`
	Spec     struct {
		ExternalCIDRs []string `json:"externalCIDRs"`
	} `json:"spec"`
	Status json.RawMessage `json:"status"`
}

// decodeStrict decodes an unstructured object into v, an unknown or
// duplicate field being an error naming it.
func decodeStrict(u *unstructured.Unstructured, v any) error {
	raw, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(raw, v)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return errors.New(strings.Join(msgs, ", "))
	}
	return nil
}

// ciliumCIDRGroup is a CiliumCIDRGroup: its name, labels and prefixes.
type ciliumCIDRGroup struct {
	name     string
	labels   map[string]string
	prefixes []netip.Prefix
}

// compileCiliumCIDRGroup reads a CiliumCIDRGroup.
func compileCiliumCIDRGroup(u *unstructured.Unstructured) (*ciliumCIDRGroup, error) {
	var o ciliumCIDRGroupObject
	if err := decodeStrict(u, &o); err != nil {
		return nil, err
	}
	g := &ciliumCIDRGroup{name: u.GetName(), labels: u.GetLabels()}
	for i, c := range o.Spec.ExternalCIDRs {
		p, err := parseCiliumCIDR(c, false)
		if err != nil {
			return nil, fmt.Errorf("spec.externalCIDRs[%d]: %w", i, err)
		}
		g.prefixes = append(g.prefixes, p)
	}
	return g, nil
}

// ciliumCompiled is what one CNP or CCNP compiles to.
type ciliumCompiled struct {
	policies []*Policy
	// hostRules are the paths of the rules that select nodes
	// (nodeSelector, host policies), which are not evaluated.
	hostRules []string
}

// compileCilium validates and compiles a CiliumNetworkPolicy or
// CiliumClusterwideNetworkPolicy. groups are the snapshot's
// CiliumCIDRGroups by name (cidrGroupRef), services its Services (for
// toServices). Invalid input (what the CRD's schema or Cilium's sanitizer
// rejects) is an error naming the field.
func compileCilium(u *unstructured.Unstructured, groups []*ciliumCIDRGroup) (*ciliumCompiled, error) {
	var o ciliumPolicyObject
	if err := decodeStrict(u, &o); err != nil {
		return nil, err
	}
	c := &ciliumCompiled{}
	kind := u.GetKind()
	ns := ""
	if kind == KindCiliumNetworkPolicy {
		ns = u.GetNamespace()
	}
	type spec struct {
		path string
		r    *ciliumRuleSpec
	}
	var specs []spec
	if o.Spec != nil {
		specs = append(specs, spec{"spec", o.Spec})
	}
	for i := range o.Specs {
		specs = append(specs, spec{fmt.Sprintf("specs[%d]", i), &o.Specs[i]})
	}
	if len(specs) == 0 {
		return nil, errors.New("spec or specs must be provided (empty policy)")
	}
	for _, sp := range specs {
		p, err := compileCiliumRule(kind, ns, u.GetName(), sp.path, sp.r, groups)
		if err != nil {
			return nil, err
		}
		if p == nil {
			c.hostRules = append(c.hostRules, sp.path)
			continue
		}
		c.policies = append(c.policies, p)
	}
	return c, nil
}

// compileCiliumRule compiles one rule of spec or specs; nil for a rule
// that selects nodes.
func compileCiliumRule(kind, ns, name, path string, r *ciliumRuleSpec, groups []*ciliumCIDRGroup) (*Policy, error) {
	switch {
	case r.EndpointSelector != nil && r.NodeSelector != nil:
		return nil, fmt.Errorf("%s: rule cannot have both endpointSelector and nodeSelector", path)
	case r.EndpointSelector == nil && r.NodeSelector == nil:
		return nil, fmt.Errorf("%s: rule must have one of endpointSelector or nodeSelector", path)
	case len(r.Ingress)+len(r.IngressDeny)+len(r.Egress)+len(r.EgressDeny) == 0:
		return nil, fmt.Errorf("%s: rule must have at least one of ingress, ingressDeny, egress, egressDeny", path)
	case r.NodeSelector != nil && kind == KindCiliumNetworkPolicy:
		return nil, fmt.Errorf("%s.nodeSelector: a CiliumNetworkPolicy rule cannot have nodeSelector", path)
	}
	p := &Policy{kind: kind, namespace: ns, name: name, stage: stageNetworkPolicy}
	sel := r.EndpointSelector
	selPath := path + ".endpointSelector"
	if r.NodeSelector != nil {
		sel, selPath = r.NodeSelector, path+".nodeSelector"
	}
	subject, err := compileCiliumSelector(sel, selPath)
	if err != nil {
		return nil, err
	}
	if r.NodeSelector != nil {
		return nil, nil // a host policy: reported, not evaluated
	}
	if ns != "" {
		// A CNP selects endpoints of its namespace only (AddMatch
		// replaces a namespace the selector names).
		subject.set(ciliumSourceK8s, ciliumNamespaceName, ns)
	}
	p.subject = selector{namespace: ns, cilium: &subject}
	p.selectorPath = selPath
	p.podSelector = subject.String()
	p.subjectText = "endpoints {" + subject.String() + "}"

	defaultDeny := func(d Direction) bool {
		if r.EnableDefaultDeny == nil {
			return true
		}
		v := r.EnableDefaultDeny.Ingress
		if d == Egress {
			v = r.EnableDefaultDeny.Egress
		}
		return v == nil || *v
	}
	c := ciliumRuleCompiler{ns: ns, groups: groups}
	for _, part := range []struct {
		field  string
		d      Direction
		action Action
		rules  []ciliumPeerRule
	}{
		{"ingress", Ingress, ActionAccept, r.Ingress},
		{"ingressDeny", Ingress, ActionDeny, r.IngressDeny},
		{"egress", Egress, ActionAccept, r.Egress},
		{"egressDeny", Egress, ActionDeny, r.EgressDeny},
	} {
		for i := range part.rules {
			rule, err := c.rule(fmt.Sprintf("%s.%s[%d]", path, part.field, i), part.d, part.action, &part.rules[i])
			if err != nil {
				return nil, err
			}
			if part.d == Ingress {
				p.ingress = append(p.ingress, rule)
			} else {
				p.egress = append(p.egress, rule)
			}
		}
	}
	for _, d := range []Direction{Ingress, Egress} {
		if len(p.rules(d)) == 0 {
			continue
		}
		if defaultDeny(d) {
			p.types = append(p.types, policyTypeOf(d))
		} else {
			p.nonIsolating = append(p.nonIsolating, policyTypeOf(d))
		}
	}
	return p, nil
}

// ciliumRuleCompiler compiles the rules of one policy.
type ciliumRuleCompiler struct {
	ns     string
	groups []*ciliumCIDRGroup
}

// rule compiles one element of ingress, ingressDeny, egress or egressDeny.
func (c *ciliumRuleCompiler) rule(path string, d Direction, action Action, pr *ciliumPeerRule) (Rule, error) {
	r := Rule{path: path, action: action, describe: describeCiliumRule}
	deny := action == ActionDeny
	if err := c.checkFields(path, d, deny, pr); err != nil {
		return r, err
	}
	// L3: the peer fields present; none with ports is every peer, none
	// without ports nothing ("ingress: [{}]" is Cilium's default deny).
	l3 := 0
	add := func(pes []Peer, err error) error {
		if err != nil {
			return err
		}
		l3++
		r.peers = append(r.peers, pes...)
		return nil
	}
	word := "from"
	if d == Egress {
		word = "to"
	}
	var err error
	if eps := pick(pr.FromEndpoints, pr.ToEndpoints, d); eps != nil {
		err = add(c.endpoints(path+"."+word+"Endpoints", *eps))
	}
	if err == nil {
		if cidrs := pick(pr.FromCIDR, pr.ToCIDR, d); cidrs != nil {
			err = add(c.cidrs(path+"."+word+"CIDR", *cidrs))
		}
	}
	if err == nil {
		if set := pick(pr.FromCIDRSet, pr.ToCIDRSet, d); set != nil {
			err = add(c.cidrSet(path+"."+word+"CIDRSet", *set))
		}
	}
	if err == nil {
		if ents := pick(pr.FromEntities, pr.ToEntities, d); ents != nil {
			err = add(c.entities(path+"."+word+"Entities", *ents))
		}
	}
	if err == nil {
		if groups := pick(pr.FromGroups, pr.ToGroups, d); groups != nil {
			err = add(runTimePeers(path+"."+word+"Groups", len(*groups), "cloud provider group", "its members are known only to Cilium's operator at run time"), nil)
		}
	}
	denyServices := false
	if err == nil && d == Egress && pr.ToServices != nil {
		if deny {
			// Cilium resolves toServices for allow rules only: a deny
			// rule's toServices leaves it no peer, so it denies its ports
			// to every peer (with toPorts) or nothing (pkg/policy/k8s
			// service.go; docs/semantics.md CIL-SVC-3).
			_, err = c.services(path+".toServices", *pr.ToServices)
			denyServices = true
		} else {
			err = add(c.services(path+".toServices", *pr.ToServices))
		}
	}
	if err == nil && d == Egress && pr.ToFQDNs != nil {
		err = add(c.fqdns(path+".toFQDNs", *pr.ToFQDNs))
	}
	if err != nil {
		return r, err
	}
	ports, l7, err := ciliumPorts(path, d, deny, pr.ToPorts)
	if err != nil {
		return r, err
	}
	hasL4 := len(pr.ToPorts) > 0 || len(pr.ICMPs) > 0
	switch {
	case len(pr.ICMPs) > 0:
		// ICMP types only: no TCP, UDP or SCTP port.
		r.ports = []Port{}
		r.icmp = true
	case len(pr.ToPorts) > 0:
		r.ports = ports
	}
	r.l7 = l7
	r.dnsProxy = ciliumDNSProxied(path, pr.ToPorts)
	if l3 == 0 && hasL4 {
		r.anyPeer = true
	}
	if denyServices && !hasL4 {
		r.peers, r.anyPeer = nil, false
	}
	if pr.Authentication != nil && pr.Authentication.Mode != "" && pr.Authentication.Mode != "disabled" {
		// Allowed only once Cilium's mutual authentication succeeds.
		r.authRequired = pr.Authentication.Mode
	}
	r.index()
	return r, nil
}

// pick is the field of the direction.
func pick[T any](from, to *T, d Direction) *T {
	if d == Egress {
		return to
	}
	return from
}

// checkFields rejects what Cilium's schema and sanitizer reject: fields of
// the other direction or action, more than one kind of peer, ICMP with
// ports, and the deprecated requirements.
func (c *ciliumRuleCompiler) checkFields(path string, d Direction, deny bool, pr *ciliumPeerRule) error {
	present := func(names ...string) []string {
		var out []string
		for i := 0; i+1 < len(names); i += 2 {
			if names[i+1] == "1" {
				out = append(out, names[i])
			}
		}
		return out
	}
	b := func(x bool) string {
		if x {
			return "1"
		}
		return ""
	}
	wrong := present(
		"toEndpoints", b(d == Ingress && pr.ToEndpoints != nil), "toCIDR", b(d == Ingress && pr.ToCIDR != nil),
		"toCIDRSet", b(d == Ingress && pr.ToCIDRSet != nil), "toEntities", b(d == Ingress && pr.ToEntities != nil),
		"toNodes", b(d == Ingress && pr.ToNodes != nil), "toGroups", b(d == Ingress && pr.ToGroups != nil),
		"toServices", b(d == Ingress && pr.ToServices != nil), "toFQDNs", b((d == Ingress || deny) && pr.ToFQDNs != nil),
		"toRequires", b(d == Ingress && pr.ToRequires != nil),
		"fromEndpoints", b(d == Egress && pr.FromEndpoints != nil), "fromCIDR", b(d == Egress && pr.FromCIDR != nil),
		"fromCIDRSet", b(d == Egress && pr.FromCIDRSet != nil), "fromEntities", b(d == Egress && pr.FromEntities != nil),
		"fromNodes", b(d == Egress && pr.FromNodes != nil), "fromGroups", b(d == Egress && pr.FromGroups != nil),
		"fromRequires", b(d == Egress && pr.FromRequires != nil),
		"authentication", b(deny && pr.Authentication != nil),
	)
	if len(wrong) > 0 {
		return fmt.Errorf("%s.%s: unknown field", path, wrong[0])
	}
	if len(pr.FromRequires) > 0 {
		return fmt.Errorf("%s.fromRequires: must have at most 0 items (removed in Cilium 1.19)", path)
	}
	if len(pr.ToRequires) > 0 {
		return fmt.Errorf("%s.toRequires: must have at most 0 items (removed in Cilium 1.19)", path)
	}
	if nodes := pick(pr.FromNodes, pr.ToNodes, d); nodes != nil {
		word := "fromNodes"
		if d == Egress {
			word = "toNodes"
		}
		return fmt.Errorf("%s.%s: node selectors are not modelled by kubectl netpol (Cilium accepts them only with enable-node-selector-labels); use the host or remote-node entity", path, word)
	}
	var kinds []string
	if d == Ingress {
		kinds = present("fromEndpoints", b(pr.FromEndpoints != nil), "fromCIDR", b(pr.FromCIDR != nil),
			"fromCIDRSet", b(pr.FromCIDRSet != nil), "fromEntities", b(pr.FromEntities != nil),
			"fromGroups", b(pr.FromGroups != nil))
	} else {
		kinds = present("toEndpoints", b(pr.ToEndpoints != nil), "toCIDR", b(pr.ToCIDR != nil),
			"toCIDRSet", b(pr.ToCIDRSet != nil), "toEntities", b(pr.ToEntities != nil),
			"toServices", b(pr.ToServices != nil), "toGroups", b(pr.ToGroups != nil),
			"toFQDNs", b(pr.ToFQDNs != nil))
	}
	if len(kinds) > 1 {
		return fmt.Errorf("%s: combining %s and %s is not supported yet (Cilium rejects the policy)", path, kinds[0], kinds[1])
	}
	if len(pr.ICMPs) > 0 && len(pr.ToPorts) > 0 {
		return fmt.Errorf("%s: the icmps block may only be present without toPorts; define a separate rule to use toPorts", path)
	}
	return nil
}

// endpoints compiles fromEndpoints/toEndpoints: each selector confined to
// the policy's namespace unless it names the namespace, namespace labels
// (in a CNP) or a reserved label; a CCNP's to the pods of any namespace.
func (c *ciliumRuleCompiler) endpoints(path string, sels []metav1.LabelSelector) ([]Peer, error) {
	var out []Peer
	for i := range sels {
		p := fmt.Sprintf("%s[%d]", path, i)
		cs, err := compileCiliumSelector(&sels[i], p)
		if err != nil {
			return nil, err
		}
		scoped := !cs.hasSource(ciliumSourceReserved)
		if scoped && !cs.has(ciliumSourceK8s, ciliumNamespaceName) && !cs.has(ciliumSourceAny, ciliumNamespaceName) {
			switch {
			case c.ns == "":
				cs.reqs = append(cs.reqs, ciliumRequirement{source: ciliumSourceK8s, key: ciliumNamespaceName, op: kselection.Exists})
			case !cs.hasPrefix(ciliumSourceK8s, ciliumNamespaceLabels) && !cs.hasPrefix(ciliumSourceAny, ciliumNamespaceLabels):
				cs.set(ciliumSourceK8s, ciliumNamespaceName, c.ns)
			}
		}
		sel := cs
		out = append(out, Peer{path: p, kind: peerCiliumEndpoints, ciliumSel: &sel, text: "endpoints {" + cs.String() + "}"})
	}
	return out, nil
}

// cidrs compiles fromCIDR/toCIDR.
func (c *ciliumRuleCompiler) cidrs(path string, list []string) ([]Peer, error) {
	var out []Peer
	for i, s := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		pfx, err := parseCiliumCIDR(s, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, Peer{path: p, kind: peerCiliumCIDR, cidr: pfx, networks: []netip.Prefix{pfx}, text: pfx.String()})
	}
	return out, nil
}

// cidrSet compiles fromCIDRSet/toCIDRSet: a CIDR with its excepts, or the
// prefixes of CiliumCIDRGroups by name or by labels.
func (c *ciliumRuleCompiler) cidrSet(path string, list []ciliumCIDRRule) ([]Peer, error) {
	var out []Peer
	for i, cr := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		n := 0
		for _, set := range []bool{cr.CIDR != "", cr.CIDRGroupRef != "", cr.CIDRGroupSelector != nil} {
			if set {
				n++
			}
		}
		switch {
		case n == 0:
			return nil, fmt.Errorf("%s: one of cidr, cidrGroupRef, or cidrGroupSelector is required", p)
		case n > 1:
			return nil, fmt.Errorf("%s: more than one of cidr, cidrGroupRef, or cidrGroupSelector may not be set", p)
		}
		var excepts []netip.Prefix
		for j, e := range cr.Except {
			ex, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("%s.except[%d]: %q is not a CIDR", p, j, e)
			}
			excepts = append(excepts, ex.Masked())
		}
		switch {
		case cr.CIDR != "":
			pfx, err := parseCiliumCIDR(cr.CIDR, false)
			if err != nil {
				return nil, fmt.Errorf("%s.cidr: %w", p, err)
			}
			for j, ex := range excepts {
				if ex.Addr().Is4() != pfx.Addr().Is4() || ex.Bits() < pfx.Bits() || !pfx.Contains(ex.Addr()) {
					return nil, fmt.Errorf("%s.except[%d]: allow CIDR prefix %s does not contain exclude CIDR prefix %s", p, j, pfx, ex)
				}
			}
			text := pfx.String()
			if len(excepts) > 0 {
				text += " except " + prefixesText(excepts)
			}
			out = append(out, Peer{path: p, kind: peerCiliumCIDR, cidr: pfx, networks: []netip.Prefix{pfx}, except: excepts, text: text})
		default:
			var matched []*ciliumCIDRGroup
			var what string
			if cr.CIDRGroupRef != "" {
				what = "CiliumCIDRGroup " + cr.CIDRGroupRef
				for _, g := range c.groups {
					if g.name == cr.CIDRGroupRef {
						matched = append(matched, g)
					}
				}
				if len(matched) == 0 {
					out = append(out, runTimePeers(p, 1, what, "the CiliumCIDRGroup is not among the objects read")...)
					continue
				}
			} else {
				ls, err := metav1.LabelSelectorAsSelector(cr.CIDRGroupSelector)
				if err != nil {
					return nil, fmt.Errorf("%s.cidrGroupSelector: %w", p, err)
				}
				what = "CiliumCIDRGroups {" + ls.String() + "}"
				for _, g := range c.groups {
					if ls.Matches(labels.Set(g.labels)) {
						matched = append(matched, g)
					}
				}
			}
			pe := Peer{path: p, kind: peerCiliumCIDR, except: excepts}
			for _, g := range matched {
				pe.networks = append(pe.networks, g.prefixes...)
			}
			pe.text = what + " (" + prefixesText(pe.networks) + ")"
			if len(excepts) > 0 {
				pe.text += " except " + prefixesText(excepts)
			}
			out = append(out, pe)
		}
	}
	return out, nil
}

// entities compiles fromEntities/toEntities.
func (c *ciliumRuleCompiler) entities(path string, list []string) ([]Peer, error) {
	var out []Peer
	for i, e := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !slices.Contains(ciliumEntities, e) {
			return nil, fmt.Errorf("%s: unsupported entity %q (one of %s)", p, e, strings.Join(ciliumEntities, ", "))
		}
		out = append(out, Peer{path: p, kind: peerCiliumEntity, entity: e, text: "entity " + e})
	}
	return out, nil
}

// ciliumEntities are the entities the CRD accepts.
var ciliumEntities = []string{"all", "world", "cluster", "cluster-mesh", "host", "init", "ingress", "unmanaged", "remote-node", "health", "none", "kube-apiserver"}

// services compiles toServices: a Service with a selector stands for the
// pods it selects; one without, or one not read, is known only at run
// time.
func (c *ciliumRuleCompiler) services(path string, list []ciliumService) ([]Peer, error) {
	var out []Peer
	for i, sv := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case sv.K8sService != nil && sv.K8sServiceSelector != nil:
			return nil, fmt.Errorf("%s: only one of k8sService and k8sServiceSelector may be set", p)
		case sv.K8sService != nil:
			out = append(out, Peer{path: p, kind: peerCiliumService, svcName: sv.K8sService.Name, svcNamespace: sv.K8sService.Namespace,
				text: "service " + strings.TrimPrefix(sv.K8sService.Namespace+"/"+sv.K8sService.Name, "/")})
		case sv.K8sServiceSelector != nil:
			ls, err := metav1.LabelSelectorAsSelector(&sv.K8sServiceSelector.Selector)
			if err != nil {
				return nil, fmt.Errorf("%s.k8sServiceSelector.selector: %w", p, err)
			}
			out = append(out, Peer{path: p, kind: peerCiliumService, svcSelector: ls, svcNamespace: sv.K8sServiceSelector.Namespace,
				text: "services {" + ls.String() + "}" + map[bool]string{true: "", false: " in namespace " + sv.K8sServiceSelector.Namespace}[sv.K8sServiceSelector.Namespace == ""]})
		default:
			return nil, fmt.Errorf("%s: one of k8sService and k8sServiceSelector is required", p)
		}
	}
	return out, nil
}

var fqdnName = regexp.MustCompile(`^[-a-zA-Z0-9_.]+$`)
var fqdnPattern = regexp.MustCompile(`^[-a-zA-Z0-9_.*]+$`)

// fqdns compiles toFQDNs: names resolved by DNS at run time.
func (c *ciliumRuleCompiler) fqdns(path string, list []ciliumFQDN) ([]Peer, error) {
	var out []Peer
	for i, f := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case f.MatchName != "" && f.MatchPattern != "":
			return nil, fmt.Errorf("%s: only one of matchName or matchPattern is allowed in an FQDNSelector", p)
		case f.MatchName != "" && !fqdnName.MatchString(f.MatchName):
			return nil, fmt.Errorf("%s.matchName: invalid characters in %q: only 0-9, a-z, A-Z and ., -, _ are allowed", p, f.MatchName)
		case f.MatchPattern != "" && !fqdnPattern.MatchString(f.MatchPattern):
			return nil, fmt.Errorf("%s.matchPattern: invalid characters in %q", p, f.MatchPattern)
		case f.MatchName == "" && f.MatchPattern == "":
			return nil, fmt.Errorf("%s: one of matchName or matchPattern is required", p)
		}
		name := f.MatchName + f.MatchPattern
		out = append(out, Peer{path: p, kind: peerRunTime, domains: []string{name},
			text: "DNS name " + name, runTime: "the addresses of DNS name " + name + " are known only from DNS answers at run time"})
	}
	return out, nil
}

// runTimePeers stands for n peers whose members only the dataplane knows.
func runTimePeers(path string, n int, what, why string) []Peer {
	out := make([]Peer, n)
	for i := range out {
		out[i] = Peer{path: fmt.Sprintf("%s[%d]", path, i), kind: peerRunTime, text: what, runTime: why}
	}
	return out
}

// parseCiliumCIDR parses a CIDR; bare addresses are taken as /32 or /128
// where Cilium takes them (fromCIDR, toCIDR).
func parseCiliumCIDR(s string, bare bool) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p != p.Masked() {
			return p, fmt.Errorf("%q: CIDR has host bits set (Cilium takes it as %s; write that)", s, p.Masked())
		}
		return p, nil
	}
	if a, err := netip.ParseAddr(s); err == nil && bare {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("unable to parse CIDR %q", s)
}

func prefixesText(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// ianaName is a port name as Cilium tells it from a number: up to 15
// letters, digits and dashes, with a letter.
var ianaName = regexp.MustCompile(`^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`)

func isPortName(s string) bool {
	return len(s) <= 15 && ianaName.MatchString(s) && strings.ContainsAny(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz")
}

// ciliumPorts compiles toPorts: each port (number, range or name) in its
// protocol, ANY or none meaning TCP, UDP and SCTP; port 0 every port. l7
// describes the L7 rules the allowed ports are subject to.
func ciliumPorts(path string, d Direction, deny bool, rules []ciliumPortRule) (ports []Port, l7 string, err error) {
	var l7s []string
	for i, pr := range rules {
		p := fmt.Sprintf("%s.toPorts[%d]", path, i)
		if deny && (pr.Rules != nil || pr.Listener != nil || pr.TerminatingTLS != nil || pr.OriginatingTLS != nil || pr.ServerNames != nil) {
			return nil, "", fmt.Errorf("%s: a deny rule's toPorts may hold only ports", p)
		}
		if len(pr.Ports) > 40 {
			return nil, "", fmt.Errorf("%s.ports: too many ports, the max is 40", p)
		}
		for j, pp := range pr.Ports {
			pth := fmt.Sprintf("%s.ports[%d]", p, j)
			protos, err := ciliumProtocols(pp.Protocol)
			if err != nil {
				return nil, "", fmt.Errorf("%s.protocol: %w", pth, err)
			}
			if pr.Rules != nil && len(pr.Rules.HTTP) > 0 && (len(protos) != 1 || protos[0] != corev1.ProtocolTCP) {
				return nil, "", fmt.Errorf("%s.protocol: L7 rules can only apply to TCP (not %s) except for DNS rules", pth, orAny(pp.Protocol))
			}
			switch {
			case pp.Port == "":
				return nil, "", fmt.Errorf("%s.port: port must be specified", pth)
			case pp.EndPort < 0 || pp.EndPort > 65535:
				return nil, "", fmt.Errorf("%s.endPort: must be between 0 and 65535", pth)
			case isPortName(pp.Port):
				if pp.EndPort != 0 && d == Ingress {
					return nil, "", fmt.Errorf("%s: a named port with endPort is not modelled by kubectl netpol", pth)
				}
				for _, proto := range protos {
					ports = append(ports, Port{path: pth, protocol: proto, named: strings.ToLower(pp.Port)})
				}
				continue
			}
			n, err := strconv.ParseUint(pp.Port, 0, 16)
			if err != nil {
				return nil, "", fmt.Errorf("%s.port: unable to parse port %q", pth, pp.Port)
			}
			from, to := int32(n), int32(n)
			if pp.EndPort > from {
				to = pp.EndPort
			}
			if from == 0 {
				to = 0 // every port of the protocol
			}
			for _, proto := range protos {
				ports = append(ports, Port{path: pth, protocol: proto, from: from, to: to})
			}
		}
		if pr.Rules != nil {
			if len(pr.Rules.HTTP) > 0 && len(pr.Rules.DNS) > 0 {
				return nil, "", fmt.Errorf("%s.rules: multiple L7 protocol rule types specified in single rule", p)
			}
			if len(pr.Rules.DNS) > 0 && d == Ingress {
				return nil, "", fmt.Errorf("%s.rules.dns: L7 protocol DNS is not supported on ingress yet", p)
			}
			if len(pr.Rules.HTTP)+len(pr.Rules.DNS) > 0 && len(pr.Ports) == 0 {
				return nil, "", fmt.Errorf("%s.rules: L7 rules need ports", p)
			}
			l7s = append(l7s, describeL7(pr.Rules))
		}
		if pr.ServerNames != nil {
			l7s = append(l7s, "TLS server names "+strings.Join(pr.ServerNames, ", "))
		}
		if pr.Listener != nil {
			l7s = append(l7s, "redirected to an Envoy listener")
		}
	}
	if ports == nil {
		ports = []Port{}
	}
	return ports, strings.Join(l7s, "; "), nil
}

func orAny(p string) string {
	if p == "" {
		return "ANY"
	}
	return p
}

// ciliumProtocols are the transport protocols a toPorts protocol stands
// for. The IP protocols without ports (VRRP, GRE...) match no port.
func ciliumProtocols(p string) ([]corev1.Protocol, error) {
	switch p {
	case "", "ANY":
		return []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}, nil
	case "TCP", "UDP", "SCTP":
		return []corev1.Protocol{corev1.Protocol(p)}, nil
	case "VRRP", "IGMP", "GRE", "IPIP", "IPV6", "ESP", "AH":
		return nil, nil
	}
	return nil, fmt.Errorf("unsupported value %q: one of TCP, UDP, SCTP, VRRP, IGMP, GRE, IPIP, IPV6, ESP, AH, ANY", p)
}

// describeL7 says which L7 rules the allowed flows are filtered by:
// "HTTP rules apply: GET /api/.*".
func describeL7(l7 *ciliumL7) string {
	var parts []string
	for _, h := range l7.HTTP {
		m, _ := h["method"].(string)
		path, _ := h["path"].(string)
		host, _ := h["host"].(string)
		s := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{m, host, path}, func(x string) bool { return x == "" }), " "))
		if s == "" {
			s = "any request"
		}
		parts = append(parts, s)
	}
	if len(parts) > 0 {
		return "HTTP rules apply: " + strings.Join(parts, ", ")
	}
	for _, q := range l7.DNS {
		for _, k := range []string{"matchName", "matchPattern"} {
			if v, ok := q[k].(string); ok {
				parts = append(parts, v)
			}
		}
	}
	return "DNS rules apply: " + strings.Join(parts, ", ")
}

// describeCiliumRule renders a Cilium rule in words, e.g. "deny from
// endpoints {k8s:app=web} on TCP 80".
func describeCiliumRule(r *Rule, d Direction) string {
	word := "from"
	if d == Egress {
		word = "to"
	}
	verb := "allow"
	if r.action == ActionDeny {
		verb = "deny"
	}
	var peers string
	switch {
	case r.anyPeer:
		peers = "anywhere"
	case len(r.peers) == 0 && r.ports == nil:
		return verb + " nothing (an empty rule: it only puts the endpoints in default deny)"
	case len(r.peers) == 0:
		peers = "nothing (an empty list of peers selects nothing)"
	default:
		parts := make([]string, len(r.peers))
		for i := range r.peers {
			parts[i] = r.peers[i].text
		}
		peers = strings.Join(parts, " or ")
	}
	ports := portsText(r.ports)
	switch {
	case r.icmp:
		ports = "ICMP only (no TCP, UDP or SCTP port)"
	case r.ports != nil && len(r.ports) == 0:
		ports = "no port"
	}
	s := fmt.Sprintf("%s %s %s on %s", verb, word, peers, ports)
	if r.l7 != "" {
		s += " (" + r.l7 + ")"
	}
	if r.authRequired != "" {
		s += " (authentication " + r.authRequired + ")"
	}
	return s
}

// addCilium compiles the Cilium objects read: the CiliumCIDRGroups first,
// which the policies' cidrGroupRef name. A rule that selects nodes (a host
// policy) is not evaluated: the policy is kept as Unevaluated for the
// host-network pods, whose traffic host policies govern.
func (s *Snapshot) addCilium(objs []*unstructured.Unstructured) error {
	for _, u := range objs {
		if _, _, err := unevaluatedKindRef(u); err != nil {
			return err // kind, version and names, as for the other plugin kinds
		}
	}
	for _, u := range objs {
		if u.GetKind() != KindCiliumCIDRGroup {
			continue
		}
		g, err := compileCiliumCIDRGroup(u)
		if err != nil {
			return fmt.Errorf("ciliumcidrgroup %s: %w", u.GetName(), err)
		}
		s.ciliumGroups = append(s.ciliumGroups, g)
	}
	for _, u := range objs {
		if u.GetKind() == KindCiliumCIDRGroup {
			continue
		}
		c, err := compileCilium(u, s.ciliumGroups)
		if err != nil {
			return fmt.Errorf("%s %s: %w", strings.ToLower(u.GetKind()), strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/"), err)
		}
		for _, p := range c.policies {
			p.adaptPorts(s.sem)
			if p.namespace == "" {
				s.clusterCilium = append(s.clusterCilium, p)
			} else {
				s.policies[p.namespace] = append(s.policies[p.namespace], p)
			}
		}
		if len(c.hostRules) > 0 {
			k, _ := LookupPluginKind(u.GroupVersionKind())
			s.unevaluated = append(s.unevaluated, &Unevaluated{Kind: k.Kind, Group: k.Group(), Name: u.GetName(), kind: k,
				selection: termsSelection([]selTerm{{hostNetwork: true}}, "host policies ("+strings.Join(c.hostRules, ", ")+" nodeSelector) are not evaluated")})
		}
	}
	return nil
}

// indexCilium builds what Cilium's peers need once the pods are known:
// every pod's identity, and the flags saying whether answers depend on
// run-time facts (runTime) or on the subject's node (nodeRelative).
func (s *Snapshot) indexCilium() {
	cilium := len(s.clusterCilium) > 0
	for p := range s.allPolicies() {
		if p.kind == KindCiliumNetworkPolicy {
			cilium = true
		}
		for _, rules := range [][]Rule{p.ingress, p.egress} {
			for i := range rules {
				r := &rules[i]
				s.runTime = s.runTime || r.authRequired != ""
				for j := range r.peers {
					pe := &r.peers[j]
					switch {
					case pe.kind == peerRunTime, pe.kind == peerCiliumService:
						s.runTime = true
					case pe.kind == peerCiliumEntity && (pe.entity == ciliumReservedAPI || pe.relative()):
						s.runTime = true
					}
					s.nodeRelative = s.nodeRelative || pe.relative()
				}
			}
		}
	}
	if s.sem.ciliumProfile {
		s.visibleLabels = make(map[*Pod]labels.Set, len(s.pods))
		for _, p := range s.pods {
			s.visibleLabels[p] = visibleLabels(p)
		}
	}
	if !cilium {
		return
	}
	s.ciliumIDs = make(map[*Pod]ciliumIdentity, len(s.pods))
	for _, p := range s.pods {
		s.ciliumIDs[p] = s.newCiliumIdentity(p)
	}
}

// CheckPluginObject validates an object of one of PluginKinds as the
// snapshot will read it: a Cilium policy or CIDR group compiled (an error
// names the field), another plugin's policy read for the pods it may apply
// to.
func CheckPluginObject(u *unstructured.Unstructured) error {
	k, _, err := unevaluatedKindRef(u)
	if err != nil {
		return err
	}
	switch {
	case !k.Evaluated:
		_, err = NewUnevaluated(u)
	case u.GetKind() == KindCiliumCIDRGroup:
		_, err = compileCiliumCIDRGroup(u)
	default:
		_, err = compileCilium(u, nil)
	}
	return err
}

// adaptPorts drops the SCTP entries of a Cilium policy's rules unless
// Cilium enforces SCTP (enable-sctp, false by default): as for a
// NetworkPolicy (adapt), an entry the plugin does not enforce matches
// nothing, and the rule's words stay as written.
func (p *Policy) adaptPorts(sem semantics) {
	if sem.sctp && sem.ciliumProfile {
		return
	}
	for _, d := range []Direction{Ingress, Egress} {
		rules := p.rules(d)
		for i := range rules {
			r := &rules[i]
			if !slices.ContainsFunc(r.ports, func(pt Port) bool { return pt.protocol == corev1.ProtocolSCTP }) {
				continue
			}
			text := r.text(d)
			r.describe = func(*Rule, Direction) string { return text }
			r.desc = nil
			r.ports = slices.DeleteFunc(slices.Clone(r.ports), func(pt Port) bool { return pt.protocol == corev1.ProtocolSCTP })
			r.index()
		}
	}
}
