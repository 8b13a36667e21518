package query

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// TestTrimKeepsAnswers: a snapshot of trimmed objects answers as one of
// the objects as decoded, on generated clusters with NetworkPolicies,
// Cilium policies and both, in the expanded and the aggregated map.
func TestTrimKeepsAnswers(t *testing.T) {
	for _, cfg := range []gen.Config{
		{Pods: 400, Policies: 80, Seed: 1},
		{Pods: 300, CiliumPolicies: 60, Seed: 2},
		{Pods: 300, Policies: 30, CiliumPolicies: 30, Seed: 3},
	} {
		objs := gen.Cluster(cfg)
		trimmed := make([]runtime.Object, len(objs))
		smaller := 0
		for i, o := range objs {
			trimmed[i] = Trim(o)
			if trimmed[i] != o {
				smaller++
			}
		}
		if smaller == 0 {
			t.Fatalf("%+v: Trim kept every object as it was", cfg)
		}
		for _, aggregate := range []bool{false, true} {
			want := graphJSON(t, objs, aggregate)
			if got := graphJSON(t, trimmed, aggregate); got != want {
				t.Errorf("%+v aggregate=%v: the map of the trimmed objects differs", cfg, aggregate)
			}
		}
	}
}

func graphJSON(t *testing.T, objs []runtime.Object, aggregate bool) string {
	t.Helper()
	s, err := NewSnapshot(objs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s.Graph(GraphOptions{Aggregate: aggregate}))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTrimPod pins what Trim keeps of a pod: everything podFromObject
// reads (sidecar ports, host network, node, service account, both
// addresses, owner), and nothing of images, resources or conditions; the
// pod given is not modified.
func TestTrimPod(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	yes := true
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "api-1", Namespace: "shop", Labels: map[string]string{"app": "api"},
			Annotations:     map[string]string{"note": "x"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7d", Controller: &yes}}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "api", Image: "api:1", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}}},
			InitContainers: []corev1.Container{{Name: "proxy", Image: "envoy", RestartPolicy: &always,
				Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 9901}}}},
			HostNetwork: true, NodeName: "worker-1", ServiceAccountName: "api",
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.5",
			PodIPs:     []corev1.PodIP{{IP: "10.0.0.5"}, {IP: "fd00::5"}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
	before := pod.DeepCopy()
	got := Trim(pod).(*corev1.Pod)
	if !equality.Semantic.DeepEqual(pod, before) {
		t.Fatal("Trim modified the pod it was given")
	}
	want, err := podFromObject(pod)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := podFromObject(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, kept, cmpopts.IgnoreUnexported(Pod{}), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("the trimmed pod reads differently (-want +got):\n%s", diff)
	}
	if got.Annotations != nil || got.Spec.Containers[0].Image != "" || got.Spec.Containers[0].Resources.Limits != nil || got.Status.Conditions != nil {
		t.Errorf("Trim kept fields no verdict reads: %+v", got)
	}
}

// TestTrimWorkload: a Deployment keeps its selector and its template's
// labels and ports.
func TestTrimWorkload(t *testing.T) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Annotations: map[string]string{"a": "b"}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}, Annotations: map[string]string{"c": "d"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "api:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
			},
		},
	}
	got := Trim(d).(*appsv1.Deployment)
	want := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{
			Selector: d.Spec.Selector,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
