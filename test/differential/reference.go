package differential

import (
	"context"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/kube-network-policies/pkg/api"
	"sigs.k8s.io/kube-network-policies/pkg/network"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
)

// Reference evaluates flows with kube-network-policies' real policy engine:
// the StandardNetworkPolicy evaluator fed by client-go informers over a fake
// clientset, inside networkpolicy.PolicyEngine.
type Reference struct {
	engine *networkpolicy.PolicyEngine
	stop   chan struct{}
}

// podInfoProvider maps a pod IP to the pod's PodInfo, as KNP's
// informer-based provider does in a real cluster.
type podInfoProvider map[string]*api.PodInfo

func (m podInfoProvider) GetPodInfoByIP(ip string) (*api.PodInfo, bool) {
	pi, ok := m[ip]
	return pi, ok
}

// canonicalIP returns the textual form net.IP.String() gives, which is what
// the engine uses as the lookup key.
func canonicalIP(s string) string {
	ip := net.ParseIP(s)
	if ip == nil {
		return s
	}
	return ip.String()
}

// NewReference builds KNP's evaluator for a cluster. The cluster must already
// carry the API server's defaulting (see APIServerDefaults). Call Close when
// done.
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

	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	nsInformer := factory.Core().V1().Namespaces()
	podInformer := factory.Core().V1().Pods()
	npInformer := factory.Networking().V1().NetworkPolicies()
	evaluator := networkpolicy.NewStandardNetworkPolicy(NodeName, nsInformer, podInformer, npInformer)

	stop := make(chan struct{})
	factory.Start(stop)
	for typ, ok := range factory.WaitForCacheSync(stop) {
		if !ok {
			close(stop)
			return nil, fmt.Errorf("informer for %v did not sync", typ)
		}
	}
	// The listers must hold every object before we evaluate anything.
	deadline := time.Now().Add(10 * time.Second)
	for {
		nss, _ := nsInformer.Lister().List(labels.Everything())
		pods, _ := podInformer.Lister().List(labels.Everything())
		nps, _ := npInformer.Lister().List(labels.Everything())
		if len(nss) == len(c.Namespaces) && len(pods) == len(c.Pods) && len(nps) == len(c.Policies) && evaluator.Ready() {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			return nil, fmt.Errorf("informer caches incomplete: %d/%d namespaces, %d/%d pods, %d/%d policies",
				len(nss), len(c.Namespaces), len(pods), len(c.Pods), len(nps), len(c.Policies))
		}
		time.Sleep(time.Millisecond)
	}

	engine := networkpolicy.NewPolicyEngine(provider, []api.PolicyEvaluator{evaluator})
	return &Reference{engine: engine, stop: stop}, nil
}

// Close stops the informers.
func (r *Reference) Close() { close(r.stop) }

// Allowed returns KNP's verdict for the first packet of a connection from
// srcIP to dstIP:dstPort/proto.
func (r *Reference) Allowed(srcIP, dstIP string, dstPort int, proto corev1.Protocol) (bool, error) {
	src, dst := net.ParseIP(srcIP), net.ParseIP(dstIP)
	if src == nil || dst == nil {
		return false, fmt.Errorf("bad IPs %q -> %q", srcIP, dstIP)
	}
	family := corev1.IPv4Protocol
	if src.To4() == nil {
		family = corev1.IPv6Protocol
	}
	return r.engine.EvaluatePacket(context.Background(), &network.Packet{
		Family:  family,
		SrcIP:   src,
		DstIP:   dst,
		SrcPort: 40000,
		DstPort: dstPort,
		Proto:   proto,
	})
}
