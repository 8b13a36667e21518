package query

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDetectCNI(t *testing.T) {
	ds := func(name string, images ...string) *appsv1.DaemonSet {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: name}}
		for _, img := range images {
			d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: "c", Image: img})
		}
		return d
	}
	tests := []struct {
		name         string
		daemonsets   []*appsv1.DaemonSet
		wantName     string
		wantEnforces bool
	}{
		{"Calico enforces", []*appsv1.DaemonSet{ds("kube-proxy"), ds("calico-node", "docker.io/calico/node:v3.29")}, "Calico", true},
		{"Cilium by image", []*appsv1.DaemonSet{ds("agent", "quay.io/cilium/cilium:v1.17")}, "Cilium", true},
		{"flannel alone does not enforce", []*appsv1.DaemonSet{ds("kube-flannel-ds", "flannel/flannel:v0.26")}, "flannel", false},
		{"flannel with Calico (canal) enforces", []*appsv1.DaemonSet{ds("kube-flannel-ds"), ds("canal", "calico/node")}, "Calico", true},
		{"AWS VPC CNI without the policy agent", []*appsv1.DaemonSet{ds("aws-node", "amazon-k8s-cni:v1.19")}, "AWS VPC CNI without its network policy agent", false},
		{"AWS VPC CNI with the policy agent", []*appsv1.DaemonSet{ds("aws-node", "amazon-k8s-cni:v1.19", "aws-network-policy-agent:v1.2")}, "AWS VPC CNI network policy agent", true},
		{"nothing known", []*appsv1.DaemonSet{ds("kube-proxy", "registry.k8s.io/kube-proxy")}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DetectCNI(tc.daemonsets)
			if got.Name != tc.wantName || got.Enforces != tc.wantEnforces || got.Note == "" {
				t.Errorf("DetectCNI = %+v, want %q enforcing=%v", got, tc.wantName, tc.wantEnforces)
			}
		})
	}
}
