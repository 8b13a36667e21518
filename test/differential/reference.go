package differential

import (
	"context"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/kube-network-policies/pkg/api"
	"sigs.k8s.io/kube-network-policies/pkg/network"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
	npav1alpha1plugin "sigs.k8s.io/kube-network-policies/plugins/npa-v1alpha1"
	npav1alpha2plugin "sigs.k8s.io/kube-network-policies/plugins/npa-v1alpha2"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npafake "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned/fake"
	npainformers "sigs.k8s.io/network-policy-api/pkg/client/informers/externalversions"
)

// Reference evaluates flows with kube-network-policies' real policy engine:
// its evaluators fed by client-go informers over fake clientsets, inside
// networkpolicy.PolicyEngine, in the order the reference's binaries wire
// them for the cluster's family (see Family).
type Reference struct {
	engine *networkpolicy.PolicyEngine
	// perDirection is engine with the StandardNetworkPolicy evaluator
	// replaced by perDirectionNetworkPolicy; used only to confirm that a
	// mismatch is the known NetworkPolicy-tier divergence.
	perDirection *networkpolicy.PolicyEngine
	stop         chan struct{}
}

// podInfoProvider maps a pod IP to the pod's PodInfo, as KNP's
// informer-based provider does in a real cluster.
type podInfoProvider map[string]*api.PodInfo

func (m podInfoProvider) GetPodInfoByIP(ip string) (*api.PodInfo, bool) {
	pi, ok := m[ip]
	return pi, ok
}

// noDomains resolves no domain name (the generator writes no domainNames
// peers).
type noDomains struct{}

func (noDomains) ContainsIP(string, net.IP) bool { return false }

// canonicalIP returns the textual form net.IP.String() gives, which is what
// the engine uses as the lookup key.
func canonicalIP(s string) string {
	ip := net.ParseIP(s)
	if ip == nil {
		return s
	}
	return ip.String()
}

// NewReference builds KNP's evaluators for a cluster. The cluster must
// already carry the API server's defaulting (see APIServerDefaults). Call
// Close when done.
func NewReference(c Cluster) (*Reference, error) {
	objs := make([]runtime.Object, 0, len(c.Namespaces)+len(c.Pods)+len(c.Policies))
	nsLabels := map[string]map[string]string{}
	for _, ns := range c.Namespaces {
		objs = append(objs, ns.DeepCopy())
		nsLabels[ns.Name] = ns.Labels
	}
	provider := podInfoProvider{}
	for _, p := range c.Pods {
		objs = append(objs, p.DeepCopy())
		if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, ip := range p.Status.PodIPs {
			provider[canonicalIP(ip.IP)] = api.NewPodInfo(p, nsLabels[p.Namespace], nil, "")
		}
	}
	for _, np := range c.Policies {
		objs = append(objs, np.DeepCopy())
	}
	var npaObjs []runtime.Object
	for _, o := range c.CNPs {
		o = o.DeepCopy()
		o.APIVersion = cnpV1alpha2APIVersion
		npaObjs = append(npaObjs, o)
	}
	for _, o := range c.ANPs {
		npaObjs = append(npaObjs, o.DeepCopy())
	}
	if c.BANP != nil {
		npaObjs = append(npaObjs, c.BANP.DeepCopy())
	}

	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	nsInformer := factory.Core().V1().Namespaces()
	podInformer := factory.Core().V1().Pods()
	npInformer := factory.Networking().V1().NetworkPolicies()
	nodeInformer := factory.Core().V1().Nodes()
	standard := networkpolicy.NewStandardNetworkPolicy(NodeName, nsInformer, podInformer, npInformer)
	perDirection := newPerDirectionNetworkPolicy(standard, c)

	npaClient := npafake.NewClientset(npaObjs...)
	npaFactory := npainformers.NewSharedInformerFactory(npaClient, 0)
	var listed func() int // number of cluster-scoped policies in the listers
	var admin, baseline api.PolicyEvaluator
	switch c.Family {
	case FamilyCNP:
		cnpInformer := npaFactory.Policy().V1alpha2().ClusterNetworkPolicies()
		admin = npav1alpha2plugin.NewClusterNetworkPolicy(npav1alpha2.AdminTier, cnpInformer, noDomains{}, nodeInformer.Lister())
		baseline = npav1alpha2plugin.NewClusterNetworkPolicy(npav1alpha2.BaselineTier, cnpInformer, noDomains{}, nodeInformer.Lister())
		listed = func() int { l, _ := cnpInformer.Lister().List(labels.Everything()); return len(l) }
	case FamilyANP:
		anpInformer := npaFactory.Policy().V1alpha1().AdminNetworkPolicies()
		banpInformer := npaFactory.Policy().V1alpha1().BaselineAdminNetworkPolicies()
		admin = npav1alpha1plugin.NewAdminNetworkPolicy(anpInformer, noDomains{})
		baseline = npav1alpha1plugin.NewBaselineAdminNetworkPolicy(banpInformer)
		listed = func() int {
			a, _ := anpInformer.Lister().List(labels.Everything())
			b, _ := banpInformer.Lister().List(labels.Everything())
			return len(a) + len(b)
		}
	default:
		listed = func() int { return 0 }
	}

	stop := make(chan struct{})
	factory.Start(stop)
	npaFactory.Start(stop)
	for typ, ok := range factory.WaitForCacheSync(stop) {
		if !ok {
			close(stop)
			return nil, fmt.Errorf("informer for %v did not sync", typ)
		}
	}
	for typ, ok := range npaFactory.WaitForCacheSync(stop) {
		if !ok {
			close(stop)
			return nil, fmt.Errorf("informer for %v did not sync", typ)
		}
	}
	evaluators := []api.PolicyEvaluator{standard}
	corrected := []api.PolicyEvaluator{perDirection}
	if admin != nil {
		evaluators = []api.PolicyEvaluator{admin, standard, baseline}
		corrected = []api.PolicyEvaluator{admin, perDirection, baseline}
	}
	// The listers must hold every object before we evaluate anything.
	deadline := time.Now().Add(10 * time.Second)
	for {
		nss, _ := nsInformer.Lister().List(labels.Everything())
		pods, _ := podInformer.Lister().List(labels.Everything())
		nps, _ := npInformer.Lister().List(labels.Everything())
		ready := true
		for _, e := range evaluators {
			ready = ready && e.Ready()
		}
		if len(nss) == len(c.Namespaces) && len(pods) == len(c.Pods) && len(nps) == len(c.Policies) && listed() == len(npaObjs) && ready {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			return nil, fmt.Errorf("informer caches incomplete: %d/%d namespaces, %d/%d pods, %d/%d policies, %d/%d cluster-scoped policies",
				len(nss), len(c.Namespaces), len(pods), len(c.Pods), len(nps), len(c.Policies), listed(), len(npaObjs))
		}
		time.Sleep(time.Millisecond)
	}

	return &Reference{
		engine:       networkpolicy.NewPolicyEngine(provider, evaluators),
		perDirection: networkpolicy.NewPolicyEngine(provider, corrected),
		stop:         stop,
	}, nil
}

// Close stops the informers.
func (r *Reference) Close() { close(r.stop) }

// Allowed returns KNP's verdict for the first packet of a connection from
// srcIP to dstIP:dstPort/proto.
func (r *Reference) Allowed(srcIP, dstIP string, dstPort int, proto corev1.Protocol) (bool, error) {
	return evaluate(r.engine, srcIP, dstIP, dstPort, proto)
}

// AllowedNPPerDirection is Allowed with NetworkPolicy isolation applied per
// direction (see perDirectionNetworkPolicy).
func (r *Reference) AllowedNPPerDirection(srcIP, dstIP string, dstPort int, proto corev1.Protocol) (bool, error) {
	return evaluate(r.perDirection, srcIP, dstIP, dstPort, proto)
}

func evaluate(e *networkpolicy.PolicyEngine, srcIP, dstIP string, dstPort int, proto corev1.Protocol) (bool, error) {
	src, dst := net.ParseIP(srcIP), net.ParseIP(dstIP)
	if src == nil || dst == nil {
		return false, fmt.Errorf("bad IPs %q -> %q", srcIP, dstIP)
	}
	family := corev1.IPv4Protocol
	if src.To4() == nil {
		family = corev1.IPv6Protocol
	}
	return e.EvaluatePacket(context.Background(), &network.Packet{
		Family:  family,
		SrcIP:   src,
		DstIP:   dst,
		SrcPort: 40000,
		DstPort: dstPort,
		Proto:   proto,
	})
}

// perDirectionNetworkPolicy is the reference's StandardNetworkPolicy with
// one change: for a direction in which no NetworkPolicy with that
// policyType selects the pod, it returns VerdictNext (go on to the Baseline
// tier) instead of delegating, which would return VerdictAccept as soon as
// any NetworkPolicy selects the pod. That is how the API text reads (see
// knownNPTierDivergence); the engine under test does the same.
type perDirectionNetworkPolicy struct {
	*networkpolicy.StandardNetworkPolicy
	isolated map[string]map[networkingv1.PolicyType]bool // "ns/name" -> isolated directions
}

func newPerDirectionNetworkPolicy(s *networkpolicy.StandardNetworkPolicy, c Cluster) *perDirectionNetworkPolicy {
	p := &perDirectionNetworkPolicy{StandardNetworkPolicy: s, isolated: map[string]map[networkingv1.PolicyType]bool{}}
	for _, pod := range c.Pods {
		p.isolated[pod.Namespace+"/"+pod.Name] = isolatedDirections(c, pod)
	}
	return p
}

// isolatedDirections returns the directions for which NetworkPolicies
// (already defaulted) isolate pod: the policyTypes of those selecting it.
func isolatedDirections(c Cluster, pod *corev1.Pod) map[networkingv1.PolicyType]bool {
	dirs := map[networkingv1.PolicyType]bool{}
	for _, np := range c.Policies {
		if np.Namespace != pod.Namespace {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		for _, t := range np.Spec.PolicyTypes {
			dirs[t] = true
		}
	}
	return dirs
}

func (p *perDirectionNetworkPolicy) EvaluateIngress(ctx context.Context, pkt *network.Packet, srcPod, dstPod *api.PodInfo) (api.Verdict, error) {
	if dstPod != nil && !p.isolated[dstPod.Namespace.Name+"/"+dstPod.Name][networkingv1.PolicyTypeIngress] {
		return api.VerdictNext, nil
	}
	return p.StandardNetworkPolicy.EvaluateIngress(ctx, pkt, srcPod, dstPod)
}

func (p *perDirectionNetworkPolicy) EvaluateEgress(ctx context.Context, pkt *network.Packet, srcPod, dstPod *api.PodInfo) (api.Verdict, error) {
	if srcPod != nil && !p.isolated[srcPod.Namespace.Name+"/"+srcPod.Name][networkingv1.PolicyTypeEgress] {
		return api.VerdictNext, nil
	}
	return p.StandardNetworkPolicy.EvaluateEgress(ctx, pkt, srcPod, dstPod)
}
