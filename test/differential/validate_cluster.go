package differential

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// validateClusterPolicies checks the cluster-scoped policies against the
// CRD schemas of sigs.k8s.io/network-policy-api v0.3.0 (OpenAPI and CEL
// rules) as far as the generator can get them wrong, plus the generator's
// own restrictions: the policies match c.Family, no two policies of one tier
// share a priority (the API leaves their order undefined), and no nodes or
// domainNames peers (the harness has no node or DNS data).
func validateClusterPolicies(c Cluster) field.ErrorList {
	var errs field.ErrorList
	switch c.Family {
	case "", FamilyNP, FamilyCNP, FamilyANP: // "" is FamilyNP
	default:
		errs = append(errs, field.NotSupported(field.NewPath("family"), c.Family, Families))
	}
	if c.Family != FamilyCNP && len(c.CNPs) > 0 {
		errs = append(errs, field.Forbidden(field.NewPath("clusternetworkpolicy"), fmt.Sprintf("not in family %q", c.Family)))
	}
	if c.Family != FamilyANP && (len(c.ANPs) > 0 || c.BANP != nil) {
		errs = append(errs, field.Forbidden(field.NewPath("adminnetworkpolicy"), fmt.Sprintf("not in family %q", c.Family)))
	}

	names := map[string]bool{}
	prios := map[npav1alpha2.Tier]map[int32]string{}
	for _, cnp := range c.CNPs {
		path := field.NewPath("clusternetworkpolicy", cnp.Name)
		if names[cnp.Name] {
			errs = append(errs, field.Duplicate(path, cnp.Name))
		}
		names[cnp.Name] = true
		if cnp.APIVersion != cnpV1alpha2APIVersion && cnp.APIVersion != cnpV1beta1APIVersion {
			errs = append(errs, field.NotSupported(path.Child("apiVersion"), cnp.APIVersion, []string{cnpV1alpha2APIVersion, cnpV1beta1APIVersion}))
		}
		spec := &cnp.Spec
		sp := path.Child("spec")
		if spec.Tier != npav1alpha2.AdminTier && spec.Tier != npav1alpha2.BaselineTier {
			errs = append(errs, field.NotSupported(sp.Child("tier"), spec.Tier, []npav1alpha2.Tier{npav1alpha2.AdminTier, npav1alpha2.BaselineTier}))
		}
		errs = append(errs, validatePriority(spec.Priority, sp.Child("priority"))...)
		if prios[spec.Tier] == nil {
			prios[spec.Tier] = map[int32]string{}
		}
		if other, ok := prios[spec.Tier][spec.Priority]; ok {
			errs = append(errs, field.Duplicate(sp.Child("priority"), fmt.Sprintf("%d (also %s; generator rule)", spec.Priority, other)))
		}
		prios[spec.Tier][spec.Priority] = cnp.Name
		errs = append(errs, validateSubject(spec.Subject.Namespaces, cnpPodsShape(spec.Subject.Pods), sp.Child("subject"))...)
		if len(spec.Ingress) > 25 || len(spec.Egress) > 25 {
			errs = append(errs, field.TooMany(sp, len(spec.Ingress)+len(spec.Egress), 25))
		}
		for i, rule := range spec.Ingress {
			rp := sp.Child("ingress").Index(i)
			errs = append(errs, validateAction(string(rule.Action), rp.Child("action"), "Accept", "Deny", "Pass")...)
			errs = append(errs, validateCNPProtocols(rule.Protocols, rp.Child("protocols"))...)
			if len(rule.From) == 0 {
				errs = append(errs, field.Required(rp.Child("from"), "at least one peer"))
			}
			for j, peer := range rule.From {
				errs = append(errs, validateSubject(peer.Namespaces, cnpPodsShape(peer.Pods), rp.Child("from").Index(j))...)
			}
		}
		for i, rule := range spec.Egress {
			rp := sp.Child("egress").Index(i)
			errs = append(errs, validateAction(string(rule.Action), rp.Child("action"), "Accept", "Deny", "Pass")...)
			errs = append(errs, validateCNPProtocols(rule.Protocols, rp.Child("protocols"))...)
			if len(rule.To) == 0 {
				errs = append(errs, field.Required(rp.Child("to"), "at least one peer"))
			}
			named := false
			for _, p := range rule.Protocols {
				named = named || p.DestinationNamedPort != ""
			}
			for j, peer := range rule.To {
				pp := rp.Child("to").Index(j)
				var nets []string
				for _, n := range peer.Networks {
					nets = append(nets, string(n))
				}
				errs = append(errs, validateEgressPeer(peer.Namespaces, cnpPodsShape(peer.Pods), peer.Nodes, nets, len(peer.DomainNames), named, pp)...)
			}
		}
	}

	anpPrios := map[int32]string{}
	for _, anp := range c.ANPs {
		path := field.NewPath("adminnetworkpolicy", anp.Name)
		if names[anp.Name] {
			errs = append(errs, field.Duplicate(path, anp.Name))
		}
		names[anp.Name] = true
		spec := &anp.Spec
		sp := path.Child("spec")
		errs = append(errs, validatePriority(spec.Priority, sp.Child("priority"))...)
		if other, ok := anpPrios[spec.Priority]; ok {
			errs = append(errs, field.Duplicate(sp.Child("priority"), fmt.Sprintf("%d (also %s; generator rule)", spec.Priority, other)))
		}
		anpPrios[spec.Priority] = anp.Name
		errs = append(errs, validateSubject(spec.Subject.Namespaces, anpPodsShape(spec.Subject.Pods), sp.Child("subject"))...)
		for i, rule := range spec.Ingress {
			rp := sp.Child("ingress").Index(i)
			errs = append(errs, validateAction(string(rule.Action), rp.Child("action"), "Allow", "Deny", "Pass")...)
			errs = append(errs, validateANPPorts(rule.Ports, rp.Child("ports"))...)
			errs = append(errs, validateANPIngressPeers(rule.From, rp.Child("from"))...)
		}
		for i, rule := range spec.Egress {
			rp := sp.Child("egress").Index(i)
			errs = append(errs, validateAction(string(rule.Action), rp.Child("action"), "Allow", "Deny", "Pass")...)
			errs = append(errs, validateANPPorts(rule.Ports, rp.Child("ports"))...)
			named := hasANPNamedPort(rule.Ports)
			if len(rule.To) == 0 {
				errs = append(errs, field.Required(rp.Child("to"), "at least one peer"))
			}
			for j, peer := range rule.To {
				var nets []string
				for _, n := range peer.Networks {
					nets = append(nets, string(n))
				}
				errs = append(errs, validateEgressPeer(peer.Namespaces, anpPodsShape(peer.Pods), peer.Nodes, nets, len(peer.DomainNames), named, rp.Child("to").Index(j))...)
			}
		}
	}

	if b := c.BANP; b != nil {
		path := field.NewPath("baselineadminnetworkpolicy", b.Name)
		if b.Name != "default" {
			errs = append(errs, field.Invalid(path.Child("metadata", "name"), b.Name, `must be "default"`))
		}
		sp := path.Child("spec")
		errs = append(errs, validateSubject(b.Spec.Subject.Namespaces, anpPodsShape(b.Spec.Subject.Pods), sp.Child("subject"))...)
		for i, rule := range b.Spec.Ingress {
			rp := sp.Child("ingress").Index(i)
			errs = append(errs, validateAction(string(rule.Action), rp.Child("action"), "Allow", "Deny")...)
			errs = append(errs, validateANPPorts(rule.Ports, rp.Child("ports"))...)
			errs = append(errs, validateANPIngressPeers(rule.From, rp.Child("from"))...)
		}
		for i, rule := range b.Spec.Egress {
			rp := sp.Child("egress").Index(i)
			errs = append(errs, validateAction(string(rule.Action), rp.Child("action"), "Allow", "Deny")...)
			errs = append(errs, validateANPPorts(rule.Ports, rp.Child("ports"))...)
			named := hasANPNamedPort(rule.Ports)
			if len(rule.To) == 0 {
				errs = append(errs, field.Required(rp.Child("to"), "at least one peer"))
			}
			for j, peer := range rule.To {
				var nets []string
				for _, n := range peer.Networks {
					nets = append(nets, string(n))
				}
				errs = append(errs, validateEgressPeer(peer.Namespaces, anpPodsShape(peer.Pods), peer.Nodes, nets, 0, named, rp.Child("to").Index(j))...)
			}
		}
	}
	return errs
}

func cnpPodsShape(p *npav1alpha2.NamespacedPod) *[2]metav1.LabelSelector {
	if p == nil {
		return nil
	}
	return &[2]metav1.LabelSelector{p.NamespaceSelector, p.PodSelector}
}

func anpPodsShape(p *npav1alpha1.NamespacedPod) *[2]metav1.LabelSelector {
	if p == nil {
		return nil
	}
	return &[2]metav1.LabelSelector{p.NamespaceSelector, p.PodSelector}
}

func validatePriority(p int32, path *field.Path) field.ErrorList {
	if p < 0 || p > 1000 {
		return field.ErrorList{field.Invalid(path, p, "must be between 0 and 1000")}
	}
	return nil
}

func validateAction(a string, path *field.Path, allowed ...string) field.ErrorList {
	for _, x := range allowed {
		if a == x {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(path, a, allowed)}
}

// validateSubject checks a subject or a namespaces/pods peer: exactly one
// of namespaces and pods (MinProperties=MaxProperties=1).
func validateSubject(ns *metav1.LabelSelector, pods *[2]metav1.LabelSelector, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case ns != nil && pods != nil:
		errs = append(errs, field.Forbidden(path, "exactly one of namespaces and pods"))
	case ns == nil && pods == nil:
		errs = append(errs, field.Required(path, "exactly one of namespaces and pods"))
	}
	if ns != nil {
		errs = append(errs, validateSelector(ns, path.Child("namespaces"))...)
	}
	if pods != nil {
		errs = append(errs, validateSelector(&pods[0], path.Child("pods", "namespaceSelector"))...)
		errs = append(errs, validateSelector(&pods[1], path.Child("pods", "podSelector"))...)
	}
	return errs
}

// validateEgressPeer checks an egress peer: exactly one field; networks are
// masked CIDRs (CEL: cidr(self) == cidr(self).masked()), 1-25 of them, no
// duplicates (listType=set); networks not combined with named ports in one
// rule (CEL rule on the egress rule). nodes and domainNames are valid API
// but not generated here.
func validateEgressPeer(ns *metav1.LabelSelector, pods *[2]metav1.LabelSelector, nodes *metav1.LabelSelector, nets []string, nDomains int, namedPorts bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if nodes != nil || nDomains > 0 {
		errs = append(errs, field.Forbidden(path, "nodes and domainNames peers are not generated (no node or DNS data)"))
	}
	n := 0
	for _, set := range []bool{ns != nil, pods != nil, nets != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, field.Invalid(path, n, "exactly one of namespaces, pods, networks"))
	}
	if n == 1 && (ns != nil || pods != nil) {
		errs = append(errs, validateSubject(ns, pods, path)...)
	}
	if nets != nil {
		np := path.Child("networks")
		if len(nets) == 0 || len(nets) > 25 {
			errs = append(errs, field.Invalid(np, len(nets), "must have 1-25 items"))
		}
		if namedPorts {
			errs = append(errs, field.Forbidden(np, "networks peer cannot be set with namedPorts"))
		}
		seen := map[string]bool{}
		for i, s := range nets {
			if seen[s] {
				errs = append(errs, field.Duplicate(np.Index(i), s))
			}
			seen[s] = true
			pfx, err := netip.ParsePrefix(s)
			if err != nil || pfx.Masked() != pfx || len(s) > 43 {
				errs = append(errs, field.Invalid(np.Index(i), s, "Invalid CIDR format provided"))
			}
		}
	}
	return errs
}

func validPortNumber(n int32) bool { return n >= 1 && n <= 65535 }

func validateCNPProtocols(ps []npav1alpha2.ClusterNetworkPolicyProtocol, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ps != nil && (len(ps) == 0 || len(ps) > 25) {
		errs = append(errs, field.Invalid(path, len(ps), "must have 1-25 items when present"))
	}
	for i, p := range ps {
		pp := path.Index(i)
		var ports []*npav1alpha2.Port
		n := 0
		if p.TCP != nil {
			n++
			ports = append(ports, p.TCP.DestinationPort)
		}
		if p.UDP != nil {
			n++
			ports = append(ports, p.UDP.DestinationPort)
		}
		if p.SCTP != nil {
			n++
			ports = append(ports, p.SCTP.DestinationPort)
		}
		if p.DestinationNamedPort != "" {
			n++
			errs = append(errs, validatePortName(p.DestinationNamedPort, pp.Child("destinationNamedPort"))...)
		}
		if n != 1 {
			errs = append(errs, field.Invalid(pp, n, "exactly one of tcp, udp, sctp, destinationNamedPort"))
		}
		for _, port := range ports {
			// The tcp/udp/sctp structs have MinProperties=1: destinationPort
			// is required in practice.
			if port == nil {
				errs = append(errs, field.Required(pp, "destinationPort"))
				continue
			}
			switch {
			case port.Number != 0 && port.Range != nil, port.Number == 0 && port.Range == nil:
				errs = append(errs, field.Invalid(pp.Child("destinationPort"), port, "exactly one of number and range"))
			case port.Number != 0:
				if !validPortNumber(port.Number) {
					errs = append(errs, field.Invalid(pp.Child("destinationPort", "number"), port.Number, "must be 1-65535"))
				}
			default:
				errs = append(errs, validatePortRange(port.Range.Start, port.Range.End, pp.Child("destinationPort", "range"))...)
			}
		}
	}
	return errs
}

func validatePortRange(start, end int32, path *field.Path) field.ErrorList {
	if !validPortNumber(start) || !validPortNumber(end) || start >= end {
		return field.ErrorList{field.Invalid(path, fmt.Sprintf("%d-%d", start, end), "ports 1-65535 and start < end")}
	}
	return nil
}

func validatePortName(name string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortName(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func validateANPProtocol(p corev1.Protocol, path *field.Path) field.ErrorList {
	if p == "" || validProtocol(p) { // "" is defaulted to TCP
		return nil
	}
	return field.ErrorList{field.NotSupported(path, p, allProtocols)}
}

func validateANPPorts(ps *[]npav1alpha1.AdminNetworkPolicyPort, path *field.Path) field.ErrorList {
	if ps == nil {
		return nil
	}
	var errs field.ErrorList
	if len(*ps) == 0 || len(*ps) > 100 {
		errs = append(errs, field.Invalid(path, len(*ps), "must have 1-100 items when present"))
	}
	for i, p := range *ps {
		pp := path.Index(i)
		n := 0
		if p.PortNumber != nil {
			n++
			errs = append(errs, validateANPProtocol(p.PortNumber.Protocol, pp.Child("portNumber", "protocol"))...)
			if !validPortNumber(p.PortNumber.Port) {
				errs = append(errs, field.Invalid(pp.Child("portNumber", "port"), p.PortNumber.Port, "must be 1-65535"))
			}
		}
		if p.PortRange != nil {
			n++
			errs = append(errs, validateANPProtocol(p.PortRange.Protocol, pp.Child("portRange", "protocol"))...)
			errs = append(errs, validatePortRange(p.PortRange.Start, p.PortRange.End, pp.Child("portRange"))...)
		}
		if p.NamedPort != nil {
			n++
			errs = append(errs, validatePortName(*p.NamedPort, pp.Child("namedPort"))...)
		}
		if n != 1 {
			errs = append(errs, field.Invalid(pp, n, "exactly one of portNumber, portRange, namedPort"))
		}
	}
	return errs
}

func hasANPNamedPort(ps *[]npav1alpha1.AdminNetworkPolicyPort) bool {
	if ps == nil {
		return false
	}
	for _, p := range *ps {
		if p.NamedPort != nil {
			return true
		}
	}
	return false
}

func validateANPIngressPeers(peers []npav1alpha1.AdminNetworkPolicyIngressPeer, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(peers) == 0 || len(peers) > 100 {
		errs = append(errs, field.Invalid(path, len(peers), "must have 1-100 items"))
	}
	for j, peer := range peers {
		errs = append(errs, validateSubject(peer.Namespaces, anpPodsShape(peer.Pods), path.Index(j))...)
	}
	return errs
}
