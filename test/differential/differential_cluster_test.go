package differential

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Known, intended divergences from the reference. A mismatching flow is
// only put down to one of these if (1) its structural condition holds and
// (2) the reference with exactly that behaviour corrected agrees with the
// engine; every other mismatch fails the test.
const (
	divergenceNPTier          = "NetworkPolicy tier ignores policyTypes (reference)"
	divergenceANPNamedPort    = "v1alpha1 namedPort ignores port number and protocol (reference)"
	divergenceNPTierNamedPort = divergenceNPTier + " + " + divergenceANPNamedPort
)

// knownNPTierDivergence reports whether flow p in the defaulted cluster c is
// in the situation where the reference and the engine intentionally differ
// about the NetworkPolicy tier, in either direction: the subject pod (the
// source for egress, the destination for ingress) is selected by some
// NetworkPolicy, but by none whose policyTypes include that direction, and
// some Baseline-tier policy (ClusterNetworkPolicy tier Baseline, or the
// BaselineAdminNetworkPolicy) selects the pod and has rules in that
// direction.
//
// Why: the reference's StandardNetworkPolicy returns Accept, a final
// verdict, for a direction as soon as any NetworkPolicy selects the pod
// (kube-network-policies v1.1.1 pkg/networkpolicy/networkpolicy.go
// EvaluateIngress/EvaluateEgress: `len(policies) == 0` is checked before the
// direction), so such a pod never reaches the Baseline tier in that
// direction. The API text isolates per direction (NetworkPolicy: a pod is
// isolated for egress only if a policy selecting it has Egress in
// policyTypes; network-policy-api "Getting started with ANP": a pod not
// isolated for a direction by NetworkPolicy goes on to the Baseline tier for
// that direction), and so does the engine.
func knownNPTierDivergence(c Cluster, p probe) bool {
	if p.src.pod != nil && npTierHidesBaseline(c, p.src.pod, networkingv1.PolicyTypeEgress) {
		return true
	}
	return p.dst.pod != nil && npTierHidesBaseline(c, p.dst.pod, networkingv1.PolicyTypeIngress)
}

func npTierHidesBaseline(c Cluster, pod *corev1.Pod, dir networkingv1.PolicyType) bool {
	selected := false
	for _, np := range c.Policies {
		if np.Namespace != pod.Namespace {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		selected = true
		if slices.Contains(np.Spec.PolicyTypes, dir) {
			return false
		}
	}
	if !selected {
		return false
	}
	nsLabels := namespaceLabels(c, pod.Namespace)
	for _, cnp := range c.CNPs {
		if cnp.Spec.Tier != npav1alpha2.BaselineTier || !subjectSelects(cnp.Spec.Subject.Namespaces, cnpPodsShape(cnp.Spec.Subject.Pods), pod, nsLabels) {
			continue
		}
		if (dir == networkingv1.PolicyTypeIngress && len(cnp.Spec.Ingress) > 0) || (dir == networkingv1.PolicyTypeEgress && len(cnp.Spec.Egress) > 0) {
			return true
		}
	}
	if b := c.BANP; b != nil && subjectSelects(b.Spec.Subject.Namespaces, anpPodsShape(b.Spec.Subject.Pods), pod, nsLabels) {
		if (dir == networkingv1.PolicyTypeIngress && len(b.Spec.Ingress) > 0) || (dir == networkingv1.PolicyTypeEgress && len(b.Spec.Egress) > 0) {
			return true
		}
	}
	return false
}

// knownANPNamedPortDivergence reports whether the defaulted cluster c has a
// v1alpha1 namedPort that the reference could misapply to flow p: an
// AdminNetworkPolicy or BaselineAdminNetworkPolicy rule with a namedPort,
// and a destination pod (where the reference resolves named ports in both
// directions) declaring a container port of that name.
//
// Why: the reference's v1alpha1 port matcher (kube-network-policies v1.1.1
// plugins/npa-v1alpha1/adminnetworkpolicy.go evaluateAdminNetworkPolicyPort,
// also used by the BANP plugin) accepts a namedPort as soon as the pod has a
// container port of that name, whatever the flow's port number and
// protocol. The API ("NamedPort selects a port on a pod(s) based on name")
// and the reference's own v1alpha2 plugin (matchProtocolDestinationNamedPort)
// match only that container port's number and protocol, and so does the
// engine.
func knownANPNamedPortDivergence(c Cluster, p probe) bool {
	if p.dst.pod == nil {
		return false
	}
	names := map[string]bool{}
	for _, ctr := range p.dst.pod.Spec.Containers {
		for _, cp := range ctr.Ports {
			names[cp.Name] = true
		}
	}
	found := false
	visit := func(ports *[]npav1alpha1.AdminNetworkPolicyPort) {
		if ports != nil {
			for _, pp := range *ports {
				found = found || (pp.NamedPort != nil && names[*pp.NamedPort])
			}
		}
	}
	for _, anp := range c.ANPs {
		for _, r := range anp.Spec.Ingress {
			visit(r.Ports)
		}
		for _, r := range anp.Spec.Egress {
			visit(r.Ports)
		}
	}
	if b := c.BANP; b != nil {
		for _, r := range b.Spec.Ingress {
			visit(r.Ports)
		}
		for _, r := range b.Spec.Egress {
			visit(r.Ports)
		}
	}
	return found
}

// resolveV1alpha1NamedPorts returns a copy of the defaulted cluster c in
// which every v1alpha1 namedPort is replaced with what it means for a flow
// to dst: the number and protocol of dst's container port of that name, or
// nothing if dst (nil: not a pod) declares none. A rule whose port list
// becomes empty matched nothing and is dropped. For flows to dst, the
// reference judges this cluster as the API reads the original one.
func resolveV1alpha1NamedPorts(c Cluster, dst *corev1.Pod) Cluster {
	out := c.deepCopy()
	declared := map[string]corev1.ContainerPort{}
	if dst != nil {
		for _, ctr := range dst.Spec.Containers {
			for _, cp := range ctr.Ports {
				declared[cp.Name] = cp
			}
		}
	}
	// resolve returns the resolved list and whether the rule can still
	// match.
	resolve := func(ports *[]npav1alpha1.AdminNetworkPolicyPort) (*[]npav1alpha1.AdminNetworkPolicyPort, bool) {
		if ports == nil {
			return nil, true
		}
		var res []npav1alpha1.AdminNetworkPolicyPort
		for _, pp := range *ports {
			if pp.NamedPort == nil {
				res = append(res, pp)
				continue
			}
			if cp, ok := declared[*pp.NamedPort]; ok {
				proto := cp.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				res = append(res, npav1alpha1.AdminNetworkPolicyPort{PortNumber: &npav1alpha1.Port{Protocol: proto, Port: cp.ContainerPort}})
			}
		}
		return &res, len(res) > 0
	}
	for _, anp := range out.ANPs {
		var in []npav1alpha1.AdminNetworkPolicyIngressRule
		for _, r := range anp.Spec.Ingress {
			var ok bool
			if r.Ports, ok = resolve(r.Ports); ok {
				in = append(in, r)
			}
		}
		anp.Spec.Ingress = in
		var eg []npav1alpha1.AdminNetworkPolicyEgressRule
		for _, r := range anp.Spec.Egress {
			var ok bool
			if r.Ports, ok = resolve(r.Ports); ok {
				eg = append(eg, r)
			}
		}
		anp.Spec.Egress = eg
	}
	if b := out.BANP; b != nil {
		var in []npav1alpha1.BaselineAdminNetworkPolicyIngressRule
		for _, r := range b.Spec.Ingress {
			var ok bool
			if r.Ports, ok = resolve(r.Ports); ok {
				in = append(in, r)
			}
		}
		b.Spec.Ingress = in
		var eg []npav1alpha1.BaselineAdminNetworkPolicyEgressRule
		for _, r := range b.Spec.Egress {
			var ok bool
			if r.Ports, ok = resolve(r.Ports); ok {
				eg = append(eg, r)
			}
		}
		b.Spec.Egress = eg
	}
	return out
}

// explain returns which known divergence explains the engine's verdict on p
// differing from the reference's, or "" if none does (a real mismatch).
func (ch *checker) explain(p probe, engine bool) (string, error) {
	npTier := knownNPTierDivergence(ch.refCluster, p)
	if npTier {
		alt, err := ch.ref.AllowedNPPerDirection(p.src.ip, p.dst.ip, int(p.port), p.proto)
		if err != nil {
			return "", err
		}
		if alt == engine {
			return divergenceNPTier, nil
		}
	}
	if !knownANPNamedPortDivergence(ch.refCluster, p) {
		return "", nil
	}
	ref, err := ch.namedPortReference(p.dst.pod)
	if err != nil {
		return "", err
	}
	alt, err := ref.Allowed(p.src.ip, p.dst.ip, int(p.port), p.proto)
	if err != nil {
		return "", err
	}
	if alt == engine {
		return divergenceANPNamedPort, nil
	}
	if npTier {
		if alt, err = ref.AllowedNPPerDirection(p.src.ip, p.dst.ip, int(p.port), p.proto); err != nil {
			return "", err
		}
		if alt == engine {
			return divergenceNPTierNamedPort, nil
		}
	}
	return "", nil
}

// namedPortReference is the reference over resolveV1alpha1NamedPorts(c,
// dst), built once per destination pod.
func (ch *checker) namedPortReference(dst *corev1.Pod) (*Reference, error) {
	key := dst.Namespace + "/" + dst.Name
	if r, ok := ch.namedPortRefs[key]; ok {
		return r, nil
	}
	r, err := NewReference(resolveV1alpha1NamedPorts(ch.refCluster, dst))
	if err != nil {
		return nil, err
	}
	if ch.namedPortRefs == nil {
		ch.namedPortRefs = map[string]*Reference{}
	}
	ch.namedPortRefs[key] = r
	return r, nil
}

// clusterPolicyObjects returns the cluster-scoped policies as the engine
// gets them: as written (v1alpha1 protocols may be missing), each
// ClusterNetworkPolicy in the version its apiVersion names, and every other
// object without TypeMeta (the engine must go by the Go type).
func clusterPolicyObjects(c Cluster) ([]k8sruntime.Object, error) {
	var objs []k8sruntime.Object
	for _, o := range c.CNPs {
		if o.APIVersion != cnpV1beta1APIVersion {
			objs = append(objs, o.DeepCopy())
			continue
		}
		b, err := toV1beta1(o)
		if err != nil {
			return nil, err
		}
		objs = append(objs, b)
	}
	for _, o := range c.ANPs {
		objs = append(objs, o.DeepCopy())
	}
	if c.BANP != nil {
		objs = append(objs, c.BANP.DeepCopy())
	}
	for i, o := range objs {
		if i%2 == 1 {
			o.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
		}
	}
	return objs, nil
}

// toV1beta1 converts by a JSON round trip (the two versions have the same
// schema).
func toV1beta1(in *npav1alpha2.ClusterNetworkPolicy) (*npav1beta1.ClusterNetworkPolicy, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	out := &npav1beta1.ClusterNetworkPolicy{}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("v1alpha2 -> v1beta1: %w", err)
	}
	out.APIVersion, out.Kind = cnpV1beta1APIVersion, "ClusterNetworkPolicy"
	return out, nil
}

func namespaceLabels(c Cluster, ns string) map[string]string {
	for _, n := range c.Namespaces {
		if n.Name == ns {
			return n.Labels
		}
	}
	return nil
}

func selectorMatches(s *metav1.LabelSelector, l map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(s)
	return err == nil && sel.Matches(labels.Set(l))
}

// subjectSelects reports whether a cluster-scoped subject selects pod.
func subjectSelects(ns *metav1.LabelSelector, pods *[2]metav1.LabelSelector, pod *corev1.Pod, nsLabels map[string]string) bool {
	if ns != nil {
		return selectorMatches(ns, nsLabels)
	}
	return pods != nil && selectorMatches(&pods[0], nsLabels) && selectorMatches(&pods[1], pod.Labels)
}

// clusterPoliciesSelecting returns the cluster-scoped policies whose
// subject selects one of pods.
func clusterPoliciesSelecting(c Cluster, pods []*corev1.Pod) (cnps []*npav1alpha2.ClusterNetworkPolicy, anps []*npav1alpha1.AdminNetworkPolicy, banp *npav1alpha1.BaselineAdminNetworkPolicy) {
	for _, pod := range pods {
		l := namespaceLabels(c, pod.Namespace)
		for _, p := range c.CNPs {
			if !slices.Contains(cnps, p) && subjectSelects(p.Spec.Subject.Namespaces, cnpPodsShape(p.Spec.Subject.Pods), pod, l) {
				cnps = append(cnps, p)
			}
		}
		for _, p := range c.ANPs {
			if !slices.Contains(anps, p) && subjectSelects(p.Spec.Subject.Namespaces, anpPodsShape(p.Spec.Subject.Pods), pod, l) {
				anps = append(anps, p)
			}
		}
		if b := c.BANP; b != nil && subjectSelects(b.Spec.Subject.Namespaces, anpPodsShape(b.Spec.Subject.Pods), pod, l) {
			banp = b
		}
	}
	return cnps, anps, banp
}

// clusterPolicyMutations are the shrinking steps for cluster-scoped
// policies: drop a policy, a rule, a peer, a network, a protocol or port
// (or the whole list: all ports), and selector terms.
func clusterPolicyMutations(c Cluster) []mutation {
	var ms []mutation
	for i, p := range c.CNPs {
		get := func(c *Cluster) *npav1alpha2.ClusterNetworkPolicySpec { return &c.CNPs[i].Spec }
		ms = append(ms, func(c *Cluster) bool { c.CNPs = slices.Delete(c.CNPs, i, i+1); return true })
		ms = append(ms, subjectMutations(p.Spec.Subject.Namespaces, p.Spec.Subject.Pods != nil,
			func(c *Cluster) *metav1.LabelSelector { return get(c).Subject.Namespaces },
			func(c *Cluster) *npav1alpha2.NamespacedPod { return get(c).Subject.Pods })...)
		for j, r := range p.Spec.Ingress {
			rule := func(c *Cluster) *npav1alpha2.ClusterNetworkPolicyIngressRule { return &get(c).Ingress[j] }
			ms = append(ms, func(c *Cluster) bool { get(c).Ingress = slices.Delete(get(c).Ingress, j, j+1); return true })
			ms = append(ms, cnpProtocolMutations(r.Protocols, func(c *Cluster) *[]npav1alpha2.ClusterNetworkPolicyProtocol { return &rule(c).Protocols })...)
			for k, peer := range r.From {
				ms = append(ms, func(c *Cluster) bool { rule(c).From = slices.Delete(rule(c).From, k, k+1); return true })
				ms = append(ms, subjectMutations(peer.Namespaces, peer.Pods != nil,
					func(c *Cluster) *metav1.LabelSelector { return rule(c).From[k].Namespaces },
					func(c *Cluster) *npav1alpha2.NamespacedPod { return rule(c).From[k].Pods })...)
			}
		}
		for j, r := range p.Spec.Egress {
			rule := func(c *Cluster) *npav1alpha2.ClusterNetworkPolicyEgressRule { return &get(c).Egress[j] }
			ms = append(ms, func(c *Cluster) bool { get(c).Egress = slices.Delete(get(c).Egress, j, j+1); return true })
			ms = append(ms, cnpProtocolMutations(r.Protocols, func(c *Cluster) *[]npav1alpha2.ClusterNetworkPolicyProtocol { return &rule(c).Protocols })...)
			for k, peer := range r.To {
				ms = append(ms, func(c *Cluster) bool { rule(c).To = slices.Delete(rule(c).To, k, k+1); return true })
				ms = append(ms, subjectMutations(peer.Namespaces, peer.Pods != nil,
					func(c *Cluster) *metav1.LabelSelector { return rule(c).To[k].Namespaces },
					func(c *Cluster) *npav1alpha2.NamespacedPod { return rule(c).To[k].Pods })...)
				for n := range peer.Networks {
					ms = append(ms, func(c *Cluster) bool {
						nets := &rule(c).To[k].Networks
						*nets = slices.Delete(*nets, n, n+1)
						return true
					})
				}
			}
		}
	}
	for i, p := range c.ANPs {
		get := func(c *Cluster) *npav1alpha1.AdminNetworkPolicySpec { return &c.ANPs[i].Spec }
		ms = append(ms, func(c *Cluster) bool { c.ANPs = slices.Delete(c.ANPs, i, i+1); return true })
		ms = append(ms, subjectMutations(p.Spec.Subject.Namespaces, p.Spec.Subject.Pods != nil,
			func(c *Cluster) *metav1.LabelSelector { return get(c).Subject.Namespaces },
			func(c *Cluster) *npav1alpha1.NamespacedPod { return get(c).Subject.Pods })...)
		for j, r := range p.Spec.Ingress {
			rule := func(c *Cluster) *npav1alpha1.AdminNetworkPolicyIngressRule { return &get(c).Ingress[j] }
			ms = append(ms, func(c *Cluster) bool { get(c).Ingress = slices.Delete(get(c).Ingress, j, j+1); return true })
			ms = append(ms, anpPortMutations(r.Ports, func(c *Cluster) **[]npav1alpha1.AdminNetworkPolicyPort { return &rule(c).Ports })...)
			ms = append(ms, anpIngressPeerMutations(r.From, func(c *Cluster) *[]npav1alpha1.AdminNetworkPolicyIngressPeer { return &rule(c).From })...)
		}
		for j, r := range p.Spec.Egress {
			rule := func(c *Cluster) *npav1alpha1.AdminNetworkPolicyEgressRule { return &get(c).Egress[j] }
			ms = append(ms, func(c *Cluster) bool { get(c).Egress = slices.Delete(get(c).Egress, j, j+1); return true })
			ms = append(ms, anpPortMutations(r.Ports, func(c *Cluster) **[]npav1alpha1.AdminNetworkPolicyPort { return &rule(c).Ports })...)
			for k, peer := range r.To {
				ms = append(ms, func(c *Cluster) bool { rule(c).To = slices.Delete(rule(c).To, k, k+1); return true })
				ms = append(ms, subjectMutations(peer.Namespaces, peer.Pods != nil,
					func(c *Cluster) *metav1.LabelSelector { return rule(c).To[k].Namespaces },
					func(c *Cluster) *npav1alpha1.NamespacedPod { return rule(c).To[k].Pods })...)
				for n := range peer.Networks {
					ms = append(ms, func(c *Cluster) bool {
						nets := &rule(c).To[k].Networks
						*nets = slices.Delete(*nets, n, n+1)
						return true
					})
				}
			}
		}
	}
	if b := c.BANP; b != nil {
		get := func(c *Cluster) *npav1alpha1.BaselineAdminNetworkPolicySpec { return &c.BANP.Spec }
		ms = append(ms, func(c *Cluster) bool { c.BANP = nil; return true })
		ms = append(ms, subjectMutations(b.Spec.Subject.Namespaces, b.Spec.Subject.Pods != nil,
			func(c *Cluster) *metav1.LabelSelector { return get(c).Subject.Namespaces },
			func(c *Cluster) *npav1alpha1.NamespacedPod { return get(c).Subject.Pods })...)
		for j, r := range b.Spec.Ingress {
			rule := func(c *Cluster) *npav1alpha1.BaselineAdminNetworkPolicyIngressRule { return &get(c).Ingress[j] }
			ms = append(ms, func(c *Cluster) bool { get(c).Ingress = slices.Delete(get(c).Ingress, j, j+1); return true })
			ms = append(ms, anpPortMutations(r.Ports, func(c *Cluster) **[]npav1alpha1.AdminNetworkPolicyPort { return &rule(c).Ports })...)
			ms = append(ms, anpIngressPeerMutations(r.From, func(c *Cluster) *[]npav1alpha1.AdminNetworkPolicyIngressPeer { return &rule(c).From })...)
		}
		for j, r := range b.Spec.Egress {
			rule := func(c *Cluster) *npav1alpha1.BaselineAdminNetworkPolicyEgressRule { return &get(c).Egress[j] }
			ms = append(ms, func(c *Cluster) bool { get(c).Egress = slices.Delete(get(c).Egress, j, j+1); return true })
			ms = append(ms, anpPortMutations(r.Ports, func(c *Cluster) **[]npav1alpha1.AdminNetworkPolicyPort { return &rule(c).Ports })...)
			for k, peer := range r.To {
				ms = append(ms, func(c *Cluster) bool { rule(c).To = slices.Delete(rule(c).To, k, k+1); return true })
				ms = append(ms, subjectMutations(peer.Namespaces, peer.Pods != nil,
					func(c *Cluster) *metav1.LabelSelector { return rule(c).To[k].Namespaces },
					func(c *Cluster) *npav1alpha1.NamespacedPod { return rule(c).To[k].Pods })...)
				for n := range peer.Networks {
					ms = append(ms, func(c *Cluster) bool {
						nets := &rule(c).To[k].Networks
						*nets = slices.Delete(*nets, n, n+1)
						return true
					})
				}
			}
		}
	}
	return ms
}

// namespacedPod abstracts the v1alpha1 and v1alpha2 NamespacedPod types.
type namespacedPod interface {
	*npav1alpha1.NamespacedPod | *npav1alpha2.NamespacedPod
}

func podSelectors[P namespacedPod](p P) (ns, pod *metav1.LabelSelector) {
	switch p := any(p).(type) {
	case *npav1alpha1.NamespacedPod:
		return &p.NamespaceSelector, &p.PodSelector
	case *npav1alpha2.NamespacedPod:
		return &p.NamespaceSelector, &p.PodSelector
	}
	return nil, nil
}

// subjectMutations drop selector terms of a subject or namespaces/pods
// peer.
func subjectMutations[P namespacedPod](ns *metav1.LabelSelector, hasPods bool, getNS func(*Cluster) *metav1.LabelSelector, getPods func(*Cluster) P) []mutation {
	var ms []mutation
	if ns != nil {
		ms = append(ms, selectorMutations(*ns, getNS)...)
	}
	if hasPods {
		ms = append(ms, podSelectorMutations(getPods)...)
	}
	return ms
}

func podSelectorMutations[P namespacedPod](getPods func(*Cluster) P) []mutation {
	// The selectors are only known on a concrete cluster; generate
	// mutations for up to 4 terms of each kind and let the out-of-range
	// ones report no change.
	var ms []mutation
	for which := 0; which < 2; which++ {
		sel := func(c *Cluster) *metav1.LabelSelector {
			ns, pod := podSelectors(getPods(c))
			if which == 0 {
				return ns
			}
			return pod
		}
		for k := 0; k < 4; k++ {
			ms = append(ms, func(c *Cluster) bool {
				s := sel(c)
				keys := sortedKeys(s.MatchLabels)
				if k >= len(keys) {
					return false
				}
				delete(s.MatchLabels, keys[k])
				return true
			})
			ms = append(ms, func(c *Cluster) bool {
				s := sel(c)
				if k >= len(s.MatchExpressions) {
					return false
				}
				s.MatchExpressions = slices.Delete(s.MatchExpressions, k, k+1)
				return true
			})
		}
	}
	return ms
}

func cnpProtocolMutations(ps []npav1alpha2.ClusterNetworkPolicyProtocol, get func(*Cluster) *[]npav1alpha2.ClusterNetworkPolicyProtocol) []mutation {
	var ms []mutation
	if ps != nil {
		ms = append(ms, func(c *Cluster) bool { *get(c) = nil; return true })
	}
	for i := range ps {
		ms = append(ms, func(c *Cluster) bool { ps := get(c); *ps = slices.Delete(*ps, i, i+1); return true })
	}
	return ms
}

func anpPortMutations(ps *[]npav1alpha1.AdminNetworkPolicyPort, get func(*Cluster) **[]npav1alpha1.AdminNetworkPolicyPort) []mutation {
	if ps == nil {
		return nil
	}
	ms := []mutation{func(c *Cluster) bool { *get(c) = nil; return true }}
	for i := range *ps {
		ms = append(ms, func(c *Cluster) bool {
			ps := *get(c)
			*ps = slices.Delete(*ps, i, i+1)
			return true
		})
	}
	return ms
}

func anpIngressPeerMutations(peers []npav1alpha1.AdminNetworkPolicyIngressPeer, get func(*Cluster) *[]npav1alpha1.AdminNetworkPolicyIngressPeer) []mutation {
	var ms []mutation
	for k, peer := range peers {
		ms = append(ms, func(c *Cluster) bool { ps := get(c); *ps = slices.Delete(*ps, k, k+1); return true })
		ms = append(ms, subjectMutations(peer.Namespaces, peer.Pods != nil,
			func(c *Cluster) *metav1.LabelSelector { return (*get(c))[k].Namespaces },
			func(c *Cluster) *npav1alpha1.NamespacedPod { return (*get(c))[k].Pods })...)
	}
	return ms
}

// cnpDestinationPort is the destinationPort of a tcp, udp or sctp protocol
// (nil for a named port).
func cnpDestinationPort(p npav1alpha2.ClusterNetworkPolicyProtocol) *npav1alpha2.Port {
	switch {
	case p.TCP != nil:
		return p.TCP.DestinationPort
	case p.UDP != nil:
		return p.UDP.DestinationPort
	case p.SCTP != nil:
		return p.SCTP.DestinationPort
	}
	return nil
}

// TestHarnessDetectsPlantedClusterPolicyBugs guards against a harness that
// cannot fail for cluster-scoped policies: with a bug planted in what the
// reference gets, the comparison must find mismatches that no known
// divergence explains.
func TestHarnessDetectsPlantedClusterPolicyBugs(t *testing.T) {
	cases := []struct {
		name   string
		family Family
		// plant changes the reference's (defaulted) cluster and reports
		// whether it changed anything.
		plant func(c *Cluster) bool
	}{
		{"Admin-tier Pass read as Accept", FamilyCNP, func(c *Cluster) bool {
			found := false
			for _, p := range c.CNPs {
				if p.Spec.Tier != npav1alpha2.AdminTier {
					continue
				}
				for i := range p.Spec.Ingress {
					if p.Spec.Ingress[i].Action == npav1alpha2.ClusterNetworkPolicyRuleActionPass {
						p.Spec.Ingress[i].Action, found = npav1alpha2.ClusterNetworkPolicyRuleActionAccept, true
					}
				}
				for i := range p.Spec.Egress {
					if p.Spec.Egress[i].Action == npav1alpha2.ClusterNetworkPolicyRuleActionPass {
						p.Spec.Egress[i].Action, found = npav1alpha2.ClusterNetworkPolicyRuleActionAccept, true
					}
				}
			}
			return found
		}},
		{"Baseline tier dropped", FamilyCNP, func(c *Cluster) bool {
			n := len(c.CNPs)
			c.CNPs = slices.DeleteFunc(c.CNPs, func(p *npav1alpha2.ClusterNetworkPolicy) bool { return p.Spec.Tier == npav1alpha2.BaselineTier })
			return len(c.CNPs) < n
		}},
		{"BANP Deny read as Allow", FamilyANP, func(c *Cluster) bool {
			found := false
			if b := c.BANP; b != nil {
				for i := range b.Spec.Ingress {
					if b.Spec.Ingress[i].Action == npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny {
						b.Spec.Ingress[i].Action, found = npav1alpha1.BaselineAdminNetworkPolicyRuleActionAllow, true
					}
				}
				for i := range b.Spec.Egress {
					if b.Spec.Egress[i].Action == npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny {
						b.Spec.Egress[i].Action, found = npav1alpha1.BaselineAdminNetworkPolicyRuleActionAllow, true
					}
				}
			}
			return found
		}},
		{"v1alpha1 port protocol not defaulted", FamilyANP, func(c *Cluster) bool {
			// The reference gets the ANPs as written: a port without
			// protocol matches nothing there.
			found := false
			for _, p := range c.ANPs {
				for _, rules := range [][]*[]npav1alpha1.AdminNetworkPolicyPort{ingressPorts(p), egressPorts(p)} {
					for _, ports := range rules {
						if ports == nil {
							continue
						}
						for _, pp := range *ports {
							if pp.PortNumber != nil && pp.PortNumber.Protocol == corev1.ProtocolTCP {
								pp.PortNumber.Protocol, found = "", true
							}
						}
					}
				}
			}
			return found
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := int64(1); seed <= 100; seed++ {
				c := GenerateFamily(rand.New(rand.NewSource(seed)), tc.family)
				planted := APIServerDefaults(c)
				if !tc.plant(&planted) {
					continue
				}
				ch, err := newCheckerWith(c, planted)
				if err != nil {
					t.Fatal(err)
				}
				mms, _, errs := ch.run(pairs(rand.New(rand.NewSource(seed)), c, 0))
				ch.close()
				if len(errs) > 0 {
					t.Fatal(errs[0])
				}
				if len(mms) > 0 {
					return
				}
			}
			t.Fatal("the planted reference bug went unnoticed in 100 clusters")
		})
	}
}

func ingressPorts(p *npav1alpha1.AdminNetworkPolicy) []*[]npav1alpha1.AdminNetworkPolicyPort {
	var out []*[]npav1alpha1.AdminNetworkPolicyPort
	for _, r := range p.Spec.Ingress {
		out = append(out, r.Ports)
	}
	return out
}

func egressPorts(p *npav1alpha1.AdminNetworkPolicy) []*[]npav1alpha1.AdminNetworkPolicyPort {
	var out []*[]npav1alpha1.AdminNetworkPolicyPort
	for _, r := range p.Spec.Egress {
		out = append(out, r.Ports)
	}
	return out
}

// TestPortClassesAreReferenceClasses checks the assumption behind
// portClasses on every candidate of some pairs: the reference gives every
// candidate of a class the same verdict.
func TestPortClassesAreReferenceClasses(t *testing.T) {
	for _, f := range Families {
		for seed := int64(1); seed <= 5; seed++ {
			c := GenerateFamily(rand.New(rand.NewSource(seed)), f)
			ref, err := NewReference(APIServerDefaults(c))
			if err != nil {
				t.Fatal(err)
			}
			classes := newPortClasses(APIServerDefaults(c))
			ps := pairs(rand.New(rand.NewSource(seed)), c, 0)
			for i := 0; i < len(ps); i += 5 {
				pp := ps[i]
				seen := map[string]bool{}
				first := map[string]portProto{}
				for _, x := range pp.all {
					w, err := ref.Allowed(pp.src.ip, pp.dst.ip, int(x.port), x.proto)
					if err != nil {
						t.Fatal(err)
					}
					k := classes.key(x)
					if v, ok := seen[k]; ok && v != w {
						t.Errorf("family %s seed %d: %s -> %s: %d/%s and %d/%s share class %q but the reference says %v and %v",
							f, seed, pp.src, pp.dst, first[k].port, first[k].proto, x.port, x.proto, k, v, w)
					} else if !ok {
						seen[k], first[k] = w, x
					}
				}
			}
			ref.Close()
		}
	}
}
