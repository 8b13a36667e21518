package query

import (
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// The cluster DNS is found as kubeadm, kOps and the managed offerings
// deploy it: pods labelled k8s-app=kube-dns in kube-system. An
// application's own manifests seldom hold them, so checks about DNS judge
// against a standard DNS pod there instead of skipping, and say so.
const (
	dnsNamespace = "kube-system"
	// standardDNSName names the stand-in for the cluster DNS.
	standardDNSName = "cluster-dns"
)

var dnsLabels = labels.Set{"k8s-app": "kube-dns"}

// standardDNS is the note answers carry when they judged DNS against the
// stand-in.
var standardDNS = fmt.Sprintf("the input has no cluster DNS pods, so DNS is judged against a standard one: pod %s/%s with labels {%s}", dnsNamespace, standardDNSName, dnsLabels)

// dnsPods are the cluster DNS pods of the snapshot.
func (s *Snapshot) dnsPods() []*Pod {
	var out []*Pod
	sel := labels.SelectorFromSet(dnsLabels)
	for _, p := range s.podsByNS[dnsNamespace] {
		if sel.Matches(p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

// dnsProbe is the snapshot with a standard DNS pod (and kube-system) added
// when it has no DNS pods, built once; the snapshot itself otherwise.
type dnsProbe struct {
	once    sync.Once
	snap    *Snapshot
	assumed bool
}

func (s *Snapshot) withStandardDNS() (*Snapshot, bool) {
	s.dns.once.Do(func() {
		s.dns.snap = s
		if len(s.dnsPods()) > 0 {
			return
		}
		objs := []runtime.Object{standardDNSPod()}
		if s.namespaces[dnsNamespace] == nil || s.namespaces[dnsNamespace].Synthesized {
			objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dnsNamespace}})
		}
		next, err := s.With(objs...)
		if err != nil {
			return // cannot happen for these objects; judge without
		}
		s.dns.snap, s.dns.assumed = next, true
	})
	return s.dns.snap, s.dns.assumed
}

func standardDNSPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: dnsNamespace, Name: standardDNSName, Labels: dnsLabels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "coredns", Ports: []corev1.ContainerPort{
			{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
		}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

// reachesDNS tells whether pod p may send UDP 53 to some cluster DNS pod,
// and whether that was judged against the standard stand-in.
func (s *Snapshot) reachesDNS(p *Pod) (ok, assumed bool) {
	probe, assumed := s.withStandardDNS()
	if assumed {
		same := probe.podNamed(p.Namespace, p.Name)
		if len(same) != 1 {
			return false, true
		}
		p = same[0]
	}
	for _, d := range probe.dnsPods() {
		if d != p && probe.allowedPorts(podEnd(p), podEnd(d)).Contains(corev1.ProtocolUDP, 53) {
			return true, assumed
		}
	}
	return false, assumed
}
