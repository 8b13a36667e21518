package differential

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// APIServerDefaults returns a deep copy of c as a live API server would store
// and serve it. kube-network-policies reads objects from informers and relies
// on that defaulting (it dereferences port protocols, and it treats a
// non-nil empty `ingress: []` as "allow all" because the API server never
// serves one). The engine under test must do this defaulting itself, so it is
// given the raw objects and only the reference gets the defaulted copies.
//
// Applied:
//   - NetworkPolicy policyTypes missing: [Ingress], plus Egress iff
//     len(spec.egress) > 0 (pkg/apis/networking/v1/defaults.go upstream);
//   - NetworkPolicyPort protocol nil: TCP;
//   - empty lists dropped on the wire (every list field is omitempty, so
//     `ingress: []`, `egress: []`, `from: []`, `to: []`, `ports: []`,
//     `except: []`, `policyTypes: []` come back as nil);
//   - ContainerPort protocol "": TCP;
//   - Namespace label kubernetes.io/metadata.name = name (the generator
//     always sets it already);
//   - the CRD defaults of the cluster-scoped policies (see
//     defaultClusterPolicies).
func APIServerDefaults(c Cluster) Cluster {
	var out Cluster
	for _, ns := range c.Namespaces {
		ns = ns.DeepCopy()
		// The API server always sets this immutable label.
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels["kubernetes.io/metadata.name"] = ns.Name
		out.Namespaces = append(out.Namespaces, ns)
	}
	for _, p := range c.Pods {
		p = p.DeepCopy()
		defaultPod(p)
		out.Pods = append(out.Pods, p)
	}
	for _, np := range c.Policies {
		np = np.DeepCopy()
		DefaultNetworkPolicy(np)
		out.Policies = append(out.Policies, np)
	}
	defaultClusterPolicies(c, &out)
	return out
}

func defaultPod(p *corev1.Pod) {
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			for j := range cs[i].Ports {
				if cs[i].Ports[j].Protocol == "" {
					cs[i].Ports[j].Protocol = corev1.ProtocolTCP
				}
			}
		}
	}
	if len(p.Status.PodIPs) == 0 {
		p.Status.PodIPs = nil
	}
}

// DefaultNetworkPolicy applies the API server's defaulting to np in place.
func DefaultNetworkPolicy(np *networkingv1.NetworkPolicy) {
	spec := &np.Spec
	// Defaulting (SetDefaults_NetworkPolicySpec) runs on the decoded object,
	// before the empty lists are lost, so it looks at len(), which is 0 for
	// both nil and [].
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	tcp := corev1.ProtocolTCP
	defaultPorts := func(ports []networkingv1.NetworkPolicyPort) []networkingv1.NetworkPolicyPort {
		if len(ports) == 0 {
			return nil
		}
		for i := range ports {
			if ports[i].Protocol == nil {
				p := tcp
				ports[i].Protocol = &p
			}
		}
		return ports
	}
	defaultPeers := func(peers []networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer {
		if len(peers) == 0 {
			return nil
		}
		for i := range peers {
			if b := peers[i].IPBlock; b != nil && len(b.Except) == 0 {
				b.Except = nil
			}
		}
		return peers
	}
	if len(spec.Ingress) == 0 {
		spec.Ingress = nil
	}
	for i := range spec.Ingress {
		spec.Ingress[i].Ports = defaultPorts(spec.Ingress[i].Ports)
		spec.Ingress[i].From = defaultPeers(spec.Ingress[i].From)
	}
	if len(spec.Egress) == 0 {
		spec.Egress = nil
	}
	for i := range spec.Egress {
		spec.Egress[i].Ports = defaultPorts(spec.Egress[i].Ports)
		spec.Egress[i].To = defaultPeers(spec.Egress[i].To)
	}
}

// defaultClusterPolicies applies the CRD defaulting to the cluster-scoped
// policies of c into out, and gives out's ClusterNetworkPolicies in
// v1alpha2, the version the reference reads:
//   - v1alpha1 portNumber.protocol and portRange.protocol missing: TCP
//     (+kubebuilder:default=TCP);
//   - v1alpha2 has no defaults.
func defaultClusterPolicies(c Cluster, out *Cluster) {
	out.Family = c.Family
	for _, cnp := range c.CNPs {
		cnp = cnp.DeepCopy()
		cnp.APIVersion = cnpV1alpha2APIVersion
		out.CNPs = append(out.CNPs, cnp)
	}
	for _, anp := range c.ANPs {
		anp = anp.DeepCopy()
		for i := range anp.Spec.Ingress {
			defaultANPPorts(anp.Spec.Ingress[i].Ports)
		}
		for i := range anp.Spec.Egress {
			defaultANPPorts(anp.Spec.Egress[i].Ports)
		}
		out.ANPs = append(out.ANPs, anp)
	}
	if c.BANP != nil {
		banp := c.BANP.DeepCopy()
		for i := range banp.Spec.Ingress {
			defaultANPPorts(banp.Spec.Ingress[i].Ports)
		}
		for i := range banp.Spec.Egress {
			defaultANPPorts(banp.Spec.Egress[i].Ports)
		}
		out.BANP = banp
	}
}

func defaultANPPorts(ports *[]npav1alpha1.AdminNetworkPolicyPort) {
	if ports == nil {
		return
	}
	for _, p := range *ports {
		if p.PortNumber != nil && p.PortNumber.Protocol == "" {
			p.PortNumber.Protocol = corev1.ProtocolTCP
		}
		if p.PortRange != nil && p.PortRange.Protocol == "" {
			p.PortRange.Protocol = corev1.ProtocolTCP
		}
	}
}
