package differential

import (
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks c against the API server's validation rules that matter
// here (a port of ValidateNetworkPolicySpec from k8s.io/kubernetes
// pkg/apis/networking/validation, with strict CIDR validation as for new
// objects, plus the container-port and uniqueness rules for pods). The
// generator must only produce clusters that pass.
func Validate(c Cluster) error {
	var errs field.ErrorList
	nsSeen := map[string]bool{}
	for _, ns := range c.Namespaces {
		if nsSeen[ns.Name] {
			errs = append(errs, field.Duplicate(field.NewPath("namespace"), ns.Name))
		}
		nsSeen[ns.Name] = true
		if ns.Labels["kubernetes.io/metadata.name"] != ns.Name {
			errs = append(errs, field.Invalid(field.NewPath("namespace", ns.Name, "labels"), ns.Labels, "missing kubernetes.io/metadata.name"))
		}
	}
	podSeen := map[string]bool{}
	ipSeen := map[netip.Addr]string{}
	for _, p := range c.Pods {
		path := field.NewPath("pod", p.Namespace+"/"+p.Name)
		if !nsSeen[p.Namespace] {
			errs = append(errs, field.NotFound(path.Child("namespace"), p.Namespace))
		}
		if podSeen[p.Namespace+"/"+p.Name] {
			errs = append(errs, field.Duplicate(path, p.Name))
		}
		podSeen[p.Namespace+"/"+p.Name] = true
		if len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != p.Status.PodIP {
			errs = append(errs, field.Invalid(path.Child("status"), p.Status.PodIPs, "want exactly one IP, equal to podIP"))
		}
		for _, ip := range p.Status.PodIPs {
			a, err := netip.ParseAddr(ip.IP)
			if err != nil {
				errs = append(errs, field.Invalid(path.Child("status", "podIPs"), ip.IP, err.Error()))
				continue
			}
			if other, ok := ipSeen[a]; ok {
				errs = append(errs, field.Duplicate(path.Child("status", "podIPs"), ip.IP+" (also "+other+")"))
			}
			ipSeen[a] = p.Namespace + "/" + p.Name
		}
		names := map[string]bool{}
		type key struct {
			n int32
			p corev1.Protocol
		}
		nums := map[key]bool{}
		if len(p.Spec.InitContainers) > 0 {
			errs = append(errs, field.Forbidden(path.Child("spec", "initContainers"), "not generated: KNP ignores their ports"))
		}
		for _, ctr := range p.Spec.Containers {
			for _, cp := range ctr.Ports {
				pp := path.Child("spec", "containers").Key(ctr.Name).Child("ports").Key(cp.Name)
				for _, msg := range validation.IsValidPortNum(int(cp.ContainerPort)) {
					errs = append(errs, field.Invalid(pp, cp.ContainerPort, msg))
				}
				if cp.Name != "" {
					for _, msg := range validation.IsValidPortName(cp.Name) {
						errs = append(errs, field.Invalid(pp, cp.Name, msg))
					}
					if names[cp.Name] {
						errs = append(errs, field.Duplicate(pp, cp.Name))
					}
					names[cp.Name] = true
				}
				proto := cp.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				if !validProtocol(proto) {
					errs = append(errs, field.NotSupported(pp.Child("protocol"), proto, allProtocols))
				}
				if nums[key{cp.ContainerPort, proto}] {
					errs = append(errs, field.Duplicate(pp, fmt.Sprintf("%d/%s", cp.ContainerPort, proto)))
				}
				nums[key{cp.ContainerPort, proto}] = true
			}
		}
	}
	npSeen := map[string]bool{}
	for _, np := range c.Policies {
		path := field.NewPath("networkpolicy", np.Namespace+"/"+np.Name)
		if !nsSeen[np.Namespace] {
			errs = append(errs, field.NotFound(path.Child("namespace"), np.Namespace))
		}
		if npSeen[np.Namespace+"/"+np.Name] {
			errs = append(errs, field.Duplicate(path, np.Name))
		}
		npSeen[np.Namespace+"/"+np.Name] = true
		errs = append(errs, validatePolicySpec(&np.Spec, path.Child("spec"))...)
	}
	errs = append(errs, validateClusterPolicies(c)...)
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs.ToAggregate().Errors()...)
}

var allProtocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

func validProtocol(p corev1.Protocol) bool {
	return p == corev1.ProtocolTCP || p == corev1.ProtocolUDP || p == corev1.ProtocolSCTP
}

func validateSelector(s *metav1.LabelSelector, path *field.Path) field.ErrorList {
	return metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, path)
}

func validatePolicySpec(spec *networkingv1.NetworkPolicySpec, path *field.Path) field.ErrorList {
	errs := validateSelector(&spec.PodSelector, path.Child("podSelector"))
	for i, rule := range spec.Ingress {
		rp := path.Child("ingress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validatePolicyPort(&rule.Ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range rule.From {
			errs = append(errs, validatePeer(&rule.From[j], rp.Child("from").Index(j))...)
		}
	}
	for i, rule := range spec.Egress {
		rp := path.Child("egress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validatePolicyPort(&rule.Ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range rule.To {
			errs = append(errs, validatePeer(&rule.To[j], rp.Child("to").Index(j))...)
		}
	}
	if len(spec.PolicyTypes) > 2 {
		errs = append(errs, field.Invalid(path.Child("policyTypes"), spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(path.Child("policyTypes").Index(i), t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}))
		}
	}
	return errs
}

func validatePolicyPort(p *networkingv1.NetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.Protocol != nil && !validProtocol(*p.Protocol) {
		errs = append(errs, field.NotSupported(path.Child("protocol"), *p.Protocol, allProtocols))
	}
	switch {
	case p.Port == nil:
		if p.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "may not be specified when `port` is not specified"))
		}
	case p.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
			errs = append(errs, field.Invalid(path.Child("port"), p.Port.IntVal, msg))
		}
		if p.EndPort != nil {
			if *p.EndPort < p.Port.IntVal {
				errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*p.EndPort)) {
				errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, msg))
			}
		}
	default:
		if p.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(p.Port.StrVal) {
			errs = append(errs, field.Invalid(path.Child("port"), p.Port.StrVal, msg))
		}
	}
	return errs
}

func validatePeer(p *networkingv1.NetworkPolicyPeer, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if p.PodSelector != nil {
		n++
		errs = append(errs, validateSelector(p.PodSelector, path.Child("podSelector"))...)
	}
	if p.NamespaceSelector != nil {
		n++
		errs = append(errs, validateSelector(p.NamespaceSelector, path.Child("namespaceSelector"))...)
	}
	if p.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(p.IPBlock, path.Child("ipBlock"))...)
	}
	if n == 0 {
		errs = append(errs, field.Required(path, "must specify a peer"))
	} else if n > 1 && p.IPBlock != nil {
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	}
	return errs
}

func validateIPBlock(b *networkingv1.IPBlock, path *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(path.Child("cidr"), "")}
	}
	errs := validation.IsValidCIDR(path.Child("cidr"), b.CIDR)
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return errs
	}
	for i, ex := range b.Except {
		ep := path.Child("except").Index(i)
		errs = append(errs, validation.IsValidCIDR(ep, ex)...)
		e, err := netip.ParsePrefix(ex)
		if err != nil {
			continue
		}
		if e.Addr().Is4() != cidr.Addr().Is4() || !cidr.Contains(e.Addr()) || e.Bits() <= cidr.Bits() {
			errs = append(errs, field.Invalid(ep, ex, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}
