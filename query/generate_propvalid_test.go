package query_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The API server's validation rules, as the generated objects must pass
// them (generate_prop_test.go).

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
