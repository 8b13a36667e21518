package query_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The structural checks of generated objects (generate_prop_test.go):
// what each selector selects, the over-permission the proof reports,
// names, and the API server's validation rules.

const ciliumNSKey = "k8s:io.kubernetes.pod.namespace"

// subjectOf finds the unit whose pods a selector of a namespace selects:
// the selector must hold only stable labels of the unit, and select
// exactly the pods those stable labels select.
func (c *propCase) subjectOf(ns string, sel map[string]string) (*propUnit, error) {
	if len(sel) == 0 {
		return nil, fmt.Errorf("an empty selector: every pod of %s", ns)
	}
	for k := range sel {
		if propControllerKeys[k] {
			return nil, fmt.Errorf("selector %s uses %s, which controllers write", labels.FormatLabels(sel), k)
		}
	}
	ls := labels.SelectorFromSet(sel)
	var selected []*query.Pod
	for _, p := range c.snap.PodsIn(ns) {
		if ls.Matches(p.Labels) {
			selected = append(selected, p)
		}
	}
	for _, u := range c.units {
		if u.ns == ns && subset(sel, u.stable) && slices.Equal(selected, u.selected) {
			return u, nil
		}
	}
	var names []string
	for _, p := range selected {
		names = append(names, p.Key())
	}
	return nil, fmt.Errorf("selector %s in %s selects %v: not the pods of one workload's stable labels", labels.FormatLabels(sel), ns, names)
}

func subset(a map[string]string, b labels.Set) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// alsoNamed checks that words naming a unit's selection name every other
// unit it selects.
func (c *propCase) alsoNamed(u *propUnit, words string) error {
	if u.exact() {
		return nil
	}
	for _, w := range c.units {
		if w != u && w.ns == u.ns && slices.ContainsFunc(w.pods, func(p *query.Pod) bool { return slices.Contains(u.selected, p) }) && !strings.Contains(words, w.String()) {
			return fmt.Errorf("the labels of %s also select %s, which %q does not say", u, w, words)
		}
	}
	return nil
}

// checkSelectors checks every selector of every generated policy.
func (c *propCase) checkSelectors(fail func(string, ...any), g *query.Generated, v propVariant) {
	for _, p := range g.Policies {
		notes := map[string]string{}
		for _, n := range p.Rules {
			notes[n.Path] = n.Note
		}
		what := fmt.Sprintf("%s %s/%s", p.Kind, p.Namespace, p.Name)
		subject, peers, shape := policyShape(p)
		if len(subject) == 0 {
			if shape != "default-deny" && shape != "allow-dns" {
				fail("%s selects every pod of its namespace but is neither the default deny nor the DNS egress: %s", what, shape)
			}
			continue
		}
		u, err := c.subjectOf(p.Namespace, subject)
		if err != nil {
			fail("%s: spec: %v", what, err)
		} else if err := c.alsoNamed(u, p.Comment); err != nil {
			fail("%s: %v", what, err)
		}
		for _, pr := range peers {
			if pr.dns {
				fail("%s: %s: a peer of the cluster DNS outside the DNS policy", what, pr.path)
				continue
			}
			u, err := c.subjectOf(pr.ns, pr.sel)
			if err != nil {
				fail("%s: %s: %v", what, pr.path, err)
			} else if err := c.alsoNamed(u, notes[pr.path]); err != nil {
				fail("%s: %s: %v", what, pr.path, err)
			}
		}
	}
}

// shapePeer is a selector peer of a generated rule.
type shapePeer struct {
	path string
	ns   string
	sel  map[string]string
	dns  bool
	err  string
}

// policyShape reads a generated policy's subject selector and selector
// peers, and says which of the two namespace-wide shapes it has
// ("default-deny", "allow-dns") or what it is instead.
func policyShape(p query.GeneratedPolicy) (map[string]string, []shapePeer, string) {
	switch o := p.Object.(type) {
	case *networkingv1.NetworkPolicy:
		var peers []shapePeer
		add := func(path string, pr networkingv1.NetworkPolicyPeer) {
			if pr.IPBlock != nil {
				return
			}
			sp := shapePeer{path: path, ns: o.Namespace}
			if pr.NamespaceSelector != nil {
				sp.ns = pr.NamespaceSelector.MatchLabels[query.NamespaceNameLabel]
				if len(pr.NamespaceSelector.MatchLabels) != 1 || sp.ns == "" || len(pr.NamespaceSelector.MatchExpressions) > 0 {
					sp.ns = "?" + labels.FormatLabels(pr.NamespaceSelector.MatchLabels)
				}
			}
			if pr.PodSelector != nil {
				sp.sel = pr.PodSelector.MatchLabels
			}
			sp.dns = sp.ns == "kube-system" && labels.Equals(sp.sel, map[string]string{"k8s-app": "kube-dns"})
			peers = append(peers, sp)
		}
		for i, r := range o.Spec.Ingress {
			for j, pr := range r.From {
				add(fmt.Sprintf("spec.ingress[%d].from[%d]", i, j), pr)
			}
		}
		for i, r := range o.Spec.Egress {
			for j, pr := range r.To {
				add(fmt.Sprintf("spec.egress[%d].to[%d]", i, j), pr)
			}
		}
		both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		shape := fmt.Sprintf("%+v", o.Spec)
		switch {
		case len(o.Spec.Ingress) == 0 && len(o.Spec.Egress) == 0 && slices.Equal(o.Spec.PolicyTypes, both):
			shape = "default-deny"
		case len(o.Spec.Ingress) == 0 && len(o.Spec.Egress) == 1 && len(peers) == 1 && peers[0].dns &&
			slices.Equal(o.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}) && npPortsAre(o.Spec.Egress[0].Ports, dnsPortSet):
			shape = "allow-dns"
		}
		if len(o.Spec.PodSelector.MatchExpressions) > 0 {
			shape = "matchExpressions"
			return map[string]string{"?": "?"}, peers, shape
		}
		return o.Spec.PodSelector.MatchLabels, peers, shape
	case *unstructured.Unstructured:
		spec, _ := o.Object["spec"].(map[string]any)
		subject := strMap(spec["endpointSelector"], "matchLabels")
		var peers []shapePeer
		for _, dir := range []struct{ field, peers string }{{"ingress", "fromEndpoints"}, {"egress", "toEndpoints"}} {
			rules, _ := spec[dir.field].([]any)
			for i, r := range rules {
				rm, _ := r.(map[string]any)
				eps, _ := rm[dir.peers].([]any)
				for j, ep := range eps {
					sel := strMap(ep, "matchLabels")
					sp := shapePeer{path: fmt.Sprintf("spec.%s[%d].%s[%d]", dir.field, i, dir.peers, j), ns: o.GetNamespace(), sel: sel}
					if ns, ok := sel[ciliumNSKey]; ok {
						sp.ns = ns
						delete(sel, ciliumNSKey)
					}
					sp.dns = sp.ns == "kube-system" && labels.Equals(sp.sel, map[string]string{"k8s-app": "kube-dns"})
					peers = append(peers, sp)
				}
			}
		}
		ing, _ := spec["ingress"].([]any)
		eg, _ := spec["egress"].([]any)
		empty := func(rs []any) bool {
			if len(rs) != 1 {
				return false
			}
			m, ok := rs[0].(map[string]any)
			return ok && len(m) == 0
		}
		shape := fmt.Sprintf("%v", spec)
		switch {
		case empty(ing) && empty(eg) && len(spec) == 3:
			shape = "default-deny"
		case ing == nil && len(eg) == 1 && len(peers) == 1 && peers[0].dns && len(spec) == 2 && cnpPortsAre(eg[0], dnsPortSet):
			shape = "allow-dns"
		}
		return subject, peers, shape
	}
	return map[string]string{"?": "?"}, nil, fmt.Sprintf("%T", p.Object)
}

func strMap(v any, field string) map[string]string {
	m, _ := v.(map[string]any)
	inner, _ := m[field].(map[string]any)
	out := map[string]string{}
	for k, v := range inner {
		out[k], _ = v.(string)
	}
	return out
}

func npPortsAre(ports []networkingv1.NetworkPolicyPort, want query.PortSet) bool {
	got := query.PortSet{}
	for _, p := range ports {
		if p.Protocol == nil || p.Port == nil || p.Port.Type != intstr.Int {
			return false
		}
		got = got.Union(query.SinglePort(*p.Protocol, p.Port.IntVal))
	}
	return got.Equal(want)
}

func cnpPortsAre(rule any, want query.PortSet) bool {
	got := query.PortSet{}
	rm, _ := rule.(map[string]any)
	tps, _ := rm["toPorts"].([]any)
	for _, tp := range tps {
		m, _ := tp.(map[string]any)
		ps, _ := m["ports"].([]any)
		for _, p := range ps {
			pm, _ := p.(map[string]any)
			n, err := strconv.Atoi(fmt.Sprint(pm["port"]))
			if err != nil {
				return false
			}
			got = got.Union(query.SinglePort(corev1.Protocol(fmt.Sprint(pm["protocol"])), int32(n)))
		}
	}
	return got.Equal(want)
}

// checkAlsoAllowed checks the claim that generated policies allow nothing
// beyond the required flows but DNS, where every required end's stable
// labels select its pods alone and no address is widened.
func (c *propCase) checkAlsoAllowed(fail func(string, ...any), g *query.Generated, m *propModel) {
	if m.widen4 > 0 || m.widen6 > 0 {
		return
	}
	for _, rf := range m.required {
		for _, e := range []propEnd{rf.src, rf.dst} {
			if e.unit != nil && !e.unit.exact() {
				return
			}
		}
	}
	// Without DNS pods, answers judge DNS against a standard one.
	dnsUnits := map[string]bool{"pod kube-system/cluster-dns": len(c.dnsPods) == 0}
	for _, p := range c.dnsPods {
		dnsUnits[c.unitByPodName[p.Key()].String()] = true
	}
	c.stats.count("exact selectors: over-permission is DNS", true)
	for _, op := range g.Proof.AlsoAllowed {
		for _, f := range op.Flows {
			if !dnsUnits[f.Destination] || !f.Ports.Subtract(dnsPortSet).IsEmpty() {
				fail("with exact selectors, also allowed beyond the required flows and DNS: %s -> %s: %s, by %v", f.Source, f.Destination, f.Ports, op.AllowedBy)
			}
		}
	}
}

// checkNames checks the generated objects live in the namespaces in
// scope, under names unique there that no kept policy of their kind has.
func (c *propCase) checkNames(fail func(string, ...any), g *query.Generated, v propVariant) {
	kept := map[string]bool{}
	removed := map[string]bool{}
	for _, r := range g.Removes {
		removed[r.Namespace+"/"+r.Name] = true
	}
	for _, obj := range c.app.policies {
		m, _ := obj.(metav1.Object)
		_, isCNP := obj.(*unstructured.Unstructured)
		if isCNP == v.cilium && !(v.replace && slices.Contains(g.Namespaces, m.GetNamespace())) {
			kept[m.GetNamespace()+"/"+m.GetName()] = true
		}
	}
	seen := map[string]bool{}
	for _, p := range g.Policies {
		k := p.Namespace + "/" + p.Name
		if seen[k] {
			fail("two generated policies named %s", k)
		}
		seen[k] = true
		if kept[k] {
			fail("generated %s %s overwrites a policy that is kept", p.Kind, k)
		}
		if removed[k] {
			fail("generated %s %s is also to be deleted", p.Kind, k)
		}
		if !slices.Contains(g.Namespaces, p.Namespace) {
			fail("generated %s %s outside the namespaces in scope %v", p.Kind, k, g.Namespaces)
		}
	}
}

// validPolicy checks a generated object against the rules the API server
// validates: names, labels, selectors, ports, CIDRs, policy types (for
// NetworkPolicy, a port of ValidateNetworkPolicySpec's rules); for a
// CiliumNetworkPolicy, the fields and values Cilium's schema accepts.
func validPolicy(p query.GeneratedPolicy) []string {
	var errs field.ErrorList
	m, ok := p.Object.(metav1.Object)
	if !ok {
		return []string{fmt.Sprintf("%T is not an API object", p.Object)}
	}
	meta := field.NewPath("metadata")
	for _, msg := range validation.IsDNS1123Subdomain(m.GetName()) {
		errs = append(errs, field.Invalid(meta.Child("name"), m.GetName(), msg))
	}
	for _, msg := range validation.IsDNS1123Label(m.GetNamespace()) {
		errs = append(errs, field.Invalid(meta.Child("namespace"), m.GetNamespace(), msg))
	}
	errs = append(errs, validLabels(m.GetLabels(), meta.Child("labels"))...)
	if m.GetName() != p.Name || m.GetNamespace() != p.Namespace {
		errs = append(errs, field.Invalid(meta, m.GetNamespace()+"/"+m.GetName(), "not the name "+p.Namespace+"/"+p.Name+" the answer gives"))
	}
	switch o := p.Object.(type) {
	case *networkingv1.NetworkPolicy:
		if o.APIVersion != "networking.k8s.io/v1" || o.Kind != "NetworkPolicy" || p.Kind != "NetworkPolicy" {
			errs = append(errs, field.Invalid(field.NewPath("kind"), o.Kind, "want networking.k8s.io/v1 NetworkPolicy"))
		}
		errs = append(errs, validNPSpec(&o.Spec, field.NewPath("spec"))...)
	case *unstructured.Unstructured:
		if o.GetAPIVersion() != "cilium.io/v2" || o.GetKind() != "CiliumNetworkPolicy" || p.Kind != "CiliumNetworkPolicy" {
			errs = append(errs, field.Invalid(field.NewPath("kind"), o.GetKind(), "want cilium.io/v2 CiliumNetworkPolicy"))
		}
		errs = append(errs, validCNPSpec(o.Object["spec"], field.NewPath("spec"))...)
	default:
		errs = append(errs, field.Invalid(field.NewPath("kind"), fmt.Sprintf("%T", p.Object), "not a policy"))
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func validLabels(l map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for k, v := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(path.Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(path.Key(k), v, msg))
		}
	}
	return errs
}

func validSelector(s *metav1.LabelSelector, path *field.Path) field.ErrorList {
	return metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, path)
}

func validProtocol(p corev1.Protocol) bool {
	return p == corev1.ProtocolTCP || p == corev1.ProtocolUDP || p == corev1.ProtocolSCTP
}

func validNPSpec(spec *networkingv1.NetworkPolicySpec, path *field.Path) field.ErrorList {
	errs := validSelector(&spec.PodSelector, path.Child("podSelector"))
	ports := func(ps []networkingv1.NetworkPolicyPort, path *field.Path) {
		for i, p := range ps {
			pp := path.Index(i)
			if p.Protocol == nil || !validProtocol(*p.Protocol) {
				errs = append(errs, field.Invalid(pp.Child("protocol"), p.Protocol, "want TCP, UDP or SCTP"))
			}
			switch {
			case p.Port == nil:
				errs = append(errs, field.Required(pp.Child("port"), "a generated rule names its ports"))
			case p.Port.Type == intstr.Int:
				for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
					errs = append(errs, field.Invalid(pp.Child("port"), p.Port.IntVal, msg))
				}
			default:
				for _, msg := range validation.IsValidPortName(p.Port.StrVal) {
					errs = append(errs, field.Invalid(pp.Child("port"), p.Port.StrVal, msg))
				}
			}
			if p.EndPort != nil {
				errs = append(errs, field.Forbidden(pp.Child("endPort"), "not generated"))
			}
		}
	}
	peers := func(ps []networkingv1.NetworkPolicyPeer, path *field.Path) {
		if len(ps) == 0 {
			errs = append(errs, field.Required(path, "a generated rule names its peers"))
		}
		for i, p := range ps {
			pp := path.Index(i)
			switch {
			case p.IPBlock != nil && (p.PodSelector != nil || p.NamespaceSelector != nil):
				errs = append(errs, field.Forbidden(pp, "may not specify both ipBlock and another peer"))
			case p.IPBlock != nil:
				errs = append(errs, validCIDR(p.IPBlock.CIDR, pp.Child("ipBlock", "cidr"))...)
				if len(p.IPBlock.Except) > 0 {
					errs = append(errs, field.Forbidden(pp.Child("ipBlock", "except"), "not generated"))
				}
			case p.PodSelector == nil && p.NamespaceSelector == nil:
				errs = append(errs, field.Required(pp, "must specify a peer"))
			}
			if p.PodSelector != nil {
				errs = append(errs, validSelector(p.PodSelector, pp.Child("podSelector"))...)
			}
			if p.NamespaceSelector != nil {
				errs = append(errs, validSelector(p.NamespaceSelector, pp.Child("namespaceSelector"))...)
			}
		}
	}
	for i, r := range spec.Ingress {
		ports(r.Ports, path.Child("ingress").Index(i).Child("ports"))
		peers(r.From, path.Child("ingress").Index(i).Child("from"))
	}
	for i, r := range spec.Egress {
		ports(r.Ports, path.Child("egress").Index(i).Child("ports"))
		peers(r.To, path.Child("egress").Index(i).Child("to"))
	}
	types := map[networkingv1.PolicyType]bool{}
	for i, t := range spec.PolicyTypes {
		if (t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress) || types[t] {
			errs = append(errs, field.Invalid(path.Child("policyTypes").Index(i), t, "want Ingress and Egress, each once"))
		}
		types[t] = true
	}
	if len(spec.PolicyTypes) == 0 {
		errs = append(errs, field.Required(path.Child("policyTypes"), "a generated policy says what it isolates"))
	}
	if len(spec.Ingress) > 0 && !types[networkingv1.PolicyTypeIngress] || len(spec.Egress) > 0 && !types[networkingv1.PolicyTypeEgress] {
		errs = append(errs, field.Invalid(path.Child("policyTypes"), spec.PolicyTypes, "rules of a direction the policy types leave out"))
	}
	return errs
}

// validCIDR wants a CIDR in the canonical form new objects must have.
func validCIDR(s string, path *field.Path) field.ErrorList {
	errs := validation.IsValidCIDR(path, s)
	if p, err := netip.ParsePrefix(s); err == nil && p.Masked() != p {
		errs = append(errs, field.Invalid(path, s, "not the network address"))
	}
	return errs
}

// validCNPSpec checks a CiliumNetworkPolicy spec's fields: an endpoint
// selector, and rules of endpoint, CIDR and port peers as Cilium's schema
// has them (ports as decimal strings, protocols TCP, UDP, SCTP or ANY).
func validCNPSpec(v any, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	spec, ok := v.(map[string]any)
	if !ok {
		return field.ErrorList{field.Required(path, "")}
	}
	selector := func(v any, path *field.Path) {
		m, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, field.Invalid(path, v, "not a selector"))
			return
		}
		for k := range m {
			if k != "matchLabels" {
				errs = append(errs, field.NotSupported(path.Child(k), k, []string{"matchLabels"}))
			}
		}
		for k, lv := range strMap(m, "matchLabels") {
			for _, msg := range validation.IsQualifiedName(strings.TrimPrefix(k, "k8s:")) {
				errs = append(errs, field.Invalid(path.Child("matchLabels").Key(k), k, msg))
			}
			for _, msg := range validation.IsValidLabelValue(lv) {
				errs = append(errs, field.Invalid(path.Child("matchLabels").Key(k), lv, msg))
			}
		}
	}
	for k := range spec {
		if k != "endpointSelector" && k != "ingress" && k != "egress" {
			errs = append(errs, field.NotSupported(path.Child(k), k, []string{"endpointSelector", "ingress", "egress"}))
		}
	}
	if _, ok := spec["endpointSelector"]; !ok {
		errs = append(errs, field.Required(path.Child("endpointSelector"), ""))
	} else {
		selector(spec["endpointSelector"], path.Child("endpointSelector"))
	}
	for _, dir := range []struct{ field, peers, cidrs string }{{"ingress", "fromEndpoints", "fromCIDR"}, {"egress", "toEndpoints", "toCIDR"}} {
		rules, ok := spec[dir.field].([]any)
		if _, has := spec[dir.field]; has && !ok {
			errs = append(errs, field.Invalid(path.Child(dir.field), spec[dir.field], "not a list"))
		}
		for i, r := range rules {
			rp := path.Child(dir.field).Index(i)
			rm, ok := r.(map[string]any)
			if !ok {
				errs = append(errs, field.Invalid(rp, r, "not a rule"))
				continue
			}
			for k, v := range rm {
				list, _ := v.([]any)
				switch k {
				case dir.peers:
					for j, ep := range list {
						selector(ep, rp.Child(k).Index(j))
					}
				case dir.cidrs:
					for j, c := range list {
						errs = append(errs, validCIDR(fmt.Sprint(c), rp.Child(k).Index(j))...)
					}
				case "toPorts":
					for j, tp := range list {
						tm, _ := tp.(map[string]any)
						ps, _ := tm["ports"].([]any)
						if len(tm) != 1 || len(ps) == 0 {
							errs = append(errs, field.Invalid(rp.Child(k).Index(j), tp, "want ports alone"))
						}
						for n, p := range ps {
							pm, _ := p.(map[string]any)
							port, _ := pm["port"].(string)
							num, err := strconv.Atoi(port)
							if err != nil || validation.IsValidPortNum(num) != nil || strconv.Itoa(num) != port {
								errs = append(errs, field.Invalid(rp.Child(k).Index(j).Child("ports").Index(n).Child("port"), pm["port"], "want a port number as a string"))
							}
							if proto, _ := pm["protocol"].(string); !validProtocol(corev1.Protocol(proto)) && proto != "ANY" {
								errs = append(errs, field.Invalid(rp.Child(k).Index(j).Child("ports").Index(n).Child("protocol"), pm["protocol"], "want TCP, UDP, SCTP or ANY"))
							}
						}
					}
				default:
					errs = append(errs, field.NotSupported(rp.Child(k), k, []string{dir.peers, dir.cidrs, "toPorts"}))
				}
			}
		}
	}
	return errs
}
