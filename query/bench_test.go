package query

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// benchCluster is namespaces of the three-tier shop: per namespace 10 web,
// 10 api and 5 db pods, a default deny and an allow-list per tier.
func benchCluster(namespaces int) []runtime.Object {
	var objs []runtime.Object
	for n := range namespaces {
		ns := fmt.Sprintf("ns%d", n)
		objs = append(objs, testNamespace(ns, fmt.Sprintf("env=%s", []string{"prod", "dev", "test"}[n%3])))
		for _, tier := range []struct {
			role  string
			count int
		}{{"web", 10}, {"api", 10}, {"db", 5}} {
			for i := range tier.count {
				p := testPod(fmt.Sprintf("%s/%s-%d", ns, tier.role, i), "role="+tier.role, fmt.Sprintf("10.%d.%d.%d", n/250, n%250, len(objs)%250+1))
				objs = append(objs, p)
			}
		}
		tcp := corev1.ProtocolTCP
		allow := func(name, role, from string, port int32) *networkingv1.NetworkPolicy {
			return &networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": role}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{
						From: []networkingv1.NetworkPolicyPeer{{
							PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"role": from}},
							NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
						}},
						Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr.To(intstr.FromInt32(port))}},
					}},
				},
			}
		}
		objs = append(objs,
			&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default-deny"},
				Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"}}},
			allow("web", "web", "lb", 80), allow("api", "api", "web", 5000), allow("db", "db", "api", 3306))
	}
	return objs
}

func BenchmarkNewSnapshot1kPods(b *testing.B) {
	objs := benchCluster(40)
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewSnapshot(objs, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanWorkloadToWorkload1kPods(b *testing.B) {
	s, err := NewSnapshot(benchCluster(40), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	flow, err := ParseFlow([]string{"ns0/role=api", "ns3/role=db:3306"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Can(flow, "ns0"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewSnapshotGenerated20kPods builds the snapshot of a generated
// cluster of 20,000 pods (workloads, services, 4,000 NetworkPolicies), as
// every command from manifests does after reading them.
func BenchmarkNewSnapshotGenerated20kPods(b *testing.B) {
	objs := gen.Cluster(gen.Config{Pods: 20000, Policies: 4000, Seed: 1})
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewSnapshot(objs, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
