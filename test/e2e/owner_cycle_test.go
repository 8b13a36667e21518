package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const cycleNS = "owner-cycle"

// TestOwnerReferenceCycle: a ReplicaSet whose controller reference is
// itself (the API server accepts it; only the garbage collector would
// object), owning one pod, gets every command an answer with a warning
// naming the cycle, not a hang. Each run is killed after 30 seconds.
//
// Waits for the engine fix of issue 22.1: until then the owner walk in
// query/ never ends and every run is killed.
func TestOwnerReferenceCycle(t *testing.T) {
	loops := createOwnerCycle(t)
	kc := bindRole(t, "cycle-reader", documentedRole(t))
	for _, args := range [][]string{
		{"can", "-n", cycleNS, "pod/client", "pod/loop-7xk2p:80"},
		{"map", "-A"},
		{"audit", "-A"},
		{"explain", "-n", cycleNS, "pod/loop-7xk2p"},
	} {
		r := runBinaryWithin(t, 30*time.Second, append(args, "--kubeconfig", kc)...)
		if r.code == 2 {
			t.Errorf("%v: exit 2, want an answer:\n%s", args, r.stderr)
		}
		if !strings.Contains(strings.ToLower(r.stderr), "cycle") || !strings.Contains(r.stderr, loops) {
			t.Errorf("%v: stderr should warn of the ownerReference cycle through %s:\n%s", args, loops, r.stderr)
		}
	}
}

// createOwnerCycle creates, in cycleNS, ReplicaSet loop controlled by
// itself with a running pod loop-7xk2p it controls, and a plain pod client;
// they are deleted when the test ends (a cycle left behind would hang the
// -A commands of later tests). It returns the name of the ReplicaSet.
func createOwnerCycle(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cycleNS}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "loop"}
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx", Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: cycleNS, Name: "loop", Labels: labels},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
	rs, err := admin.AppsV1().ReplicaSets(cycleNS).Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range []string{"loop-7xk2p", "client"} {
			if err := admin.CoreV1().Pods(cycleNS).Delete(ctx, p, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
				t.Errorf("delete pod %s: %v", p, err)
			}
		}
		if err := admin.AppsV1().ReplicaSets(cycleNS).Delete(ctx, "loop", metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete replicaset loop: %v", err)
		}
	})
	// The UID exists once the ReplicaSet does: the reference to itself is
	// an update.
	rs.OwnerReferences = []metav1.OwnerReference{ownerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID)}
	if rs, err = admin.AppsV1().ReplicaSets(cycleNS).Update(ctx, rs, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("the API server refused a ReplicaSet controlled by itself: %v", err)
	}
	loop := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cycleNS, Name: "loop-7xk2p", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{ownerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID)},
		},
		Spec: spec,
	}
	client := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: cycleNS, Name: "client", Labels: map[string]string{"app": "client"}}, Spec: spec}
	for i, p := range []*corev1.Pod{loop, client} {
		if err := createRunningPod(ctx, admin, p, []string{"10.9.0.10", "10.9.0.11"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	return rs.Name
}
