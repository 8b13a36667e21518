package e2e

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func createDaemonSet(t *testing.T, name, image string) {
	t.Helper()
	createDaemonSetIn(t, "kube-system", name, image)
}

// createDaemonSetIn creates a DaemonSet (there is no controller to run it)
// in a namespace, created when missing, and deletes it after the test.
func createDaemonSetIn(t *testing.T, ns, name, image string) {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	labels := map[string]string{"k8s-app": name}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image}}},
			},
		},
	}
	if _, err := admin.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.AppsV1().DaemonSets(ns).Delete(ctx, name, metav1.DeleteOptions{})
	})
}

// TestCNICheck: the DaemonSets tell whether policy is enforced;
// answers warn when it is not or cannot be told, and audit reports it.
func TestCNICheck(t *testing.T) {
	r := runInProcess(t, nil, "can", "-q", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if !strings.Contains(r.stderr, "Warning: no known network plugin found") {
		t.Errorf("no CNI: want a warning, stderr %q", r.stderr)
	}

	createDaemonSet(t, "kube-flannel-ds", "ghcr.io/flannel-io/flannel:v0.26.1")
	r = runInProcess(t, nil, "can", "-q", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 0 || !strings.Contains(r.stderr, "Warning: flannel does not enforce NetworkPolicy") {
		t.Errorf("flannel: exit %d, stderr %q", r.code, r.stderr)
	}
	a := runInProcess(t, nil, "audit", "--kubeconfig", adminKubeconfig, "-n", "prod")
	if a.code != 1 || !strings.Contains(a.stdout, "HIGH    cluster  [cni-does-not-enforce]") {
		t.Errorf("audit with flannel: exit %d\n%s", a.code, a.stdout)
	}

	r = runInProcess(t, nil, "can", "-q", "--no-cni-check", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("--no-cni-check: exit %d, stderr %q", r.code, r.stderr)
	}

	createDaemonSet(t, "calico-node", "docker.io/calico/node:v3.29.1")
	r = runInProcess(t, nil, "can", "-q", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("calico beside flannel enforces: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestLiveExplainDiffMapTestAudit runs every other command against the
// cluster, in-process and as a binary, and compares with the manifests.
func TestLiveExplainDiffMapTestAudit(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "db", "-o", "json"},
		{"diff", "--with", "../../testdata/whatif/deny-all-dev.yaml", "-o", "json"},
		{"diff", "--without", "networkpolicy/prod/db", "-o", "json"},
		{"test", "../../testdata/three-tier/expectations.yaml", "-o", "json"},
		{"audit", "-n", "prod", "-o", "json", "--no-cni-check"}, // a bare API server has no CNI
	} {
		live := runInProcess(t, nil, append(args, "--kubeconfig", adminKubeconfig, "-n", "prod")...)
		bin := runBinary(t, append(args, "--kubeconfig", adminKubeconfig, "-n", "prod")...)
		offline := runInProcess(t, nil, append(args, "-f", threeTier, "-n", "prod")...)
		if live.code == 2 || live.code != offline.code || bin.code != offline.code {
			t.Errorf("%v: exit codes live %d, binary %d, manifests %d\nlive stderr: %s", args, live.code, bin.code, offline.code, live.stderr)
		}
	}
	m := runInProcess(t, nil, "map", "-A", "--kubeconfig", adminKubeconfig)
	if m.code != 0 || !strings.Contains(m.stdout, "deployment prod/api") {
		t.Errorf("map: exit %d\n%s%s", m.code, m.stdout, m.stderr)
	}
}
