package e2e

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// clusterAs is a load.Cluster reading as the user of a kubeconfig, its
// requests logged.
func clusterAs(t *testing.T, kubeconfig string, log *requestLog) *load.Cluster {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return log.wrap(rt) })
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &load.Cluster{Client: cs, ChunkSize: load.DefaultChunkSize}
}

func createCiliumConfig(t *testing.T, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "cilium-config"}, Data: data}
	if _, err := admin.CoreV1().ConfigMaps("kube-system").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.CoreV1().ConfigMaps("kube-system").Delete(ctx, "cilium-config", metav1.DeleteOptions{})
	})
}

// TestCNIDetection: against a real API server and as a user holding only
// the documented ClusterRole, the network plugin is found outside
// kube-system (Calico of the Tigera operator in calico-system), Cilium's
// cilium-config is read with one get by name, and a role that may not read
// it leaves Cilium's settings unknown with a note.
func TestCNIDetection(t *testing.T) {
	kc := bindRole(t, "cni-reader", documentedRole(t))

	t.Run("Calico in calico-system", func(t *testing.T) {
		r := runInProcess(t, nil, "can", "-q", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
		if !strings.Contains(r.stderr, "no known network plugin found") {
			t.Fatalf("before Calico: stderr %q, want the unknown-plugin warning", r.stderr)
		}
		createDaemonSetIn(t, "calico-system", "calico-node", "quay.io/calico/node:v3.29.1")
		r = runInProcess(t, nil, "can", "-q", "--kubeconfig", kc, "-n", "prod", "api", "db:3306")
		if r.code != 0 || r.stderr != "" {
			t.Errorf("Calico in calico-system enforces: exit %d, stderr %q", r.code, r.stderr)
		}
		log := &requestLog{}
		cni, err := clusterAs(t, kc, log).CNI(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if cni.Name != "Calico" || !cni.Enforces || cni.Profile == nil || cni.Profile.Name != "calico" ||
			cni.Profile.Why != "detected from DaemonSet calico-system/calico-node" {
			t.Errorf("CNI = %+v, profile %+v", cni, cni.Profile)
		}
		if want := []string{"GET /apis/apps/v1/daemonsets?limit=500"}; !slices.Equal(want, log.paths) {
			t.Errorf("requests %q, want %q", log.paths, want)
		}
	})

	t.Run("Cilium and its cilium-config", func(t *testing.T) {
		createDaemonSet(t, "cilium", "quay.io/cilium/cilium:v1.18.0")
		createCiliumConfig(t, map[string]string{"enable-policy": "default", "policy-cidr-match-mode": "nodes", "enable-sctp": "true", "cluster-name": "e2e"})
		log := &requestLog{}
		cni, err := clusterAs(t, kc, log).CNI(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if cni.Name != "Cilium" || !cni.Enforces || cni.Profile == nil {
			t.Fatalf("CNI = %+v", cni)
		}
		p := *cni.Profile
		if p.Why != "detected from DaemonSet kube-system/cilium and ConfigMap kube-system/cilium-config" {
			t.Errorf("Why = %q", p.Why)
		}
		got := map[query.Behaviour]query.Switch{}
		for _, b := range []query.Behaviour{query.BehaviourIPBlockNodeIPs, query.BehaviourIPBlockPodIPs, query.BehaviourSCTP, query.BehaviourIsolateAll} {
			got[b] = p.Get(b)
		}
		want := map[query.Behaviour]query.Switch{query.BehaviourIPBlockNodeIPs: query.Yes, query.BehaviourIPBlockPodIPs: query.No, query.BehaviourSCTP: query.Yes, query.BehaviourIsolateAll: query.No}
		if !maps.Equal(want, got) {
			t.Errorf("switches %v, want %v", got, want)
		}
		wantPaths := []string{"GET /apis/apps/v1/daemonsets?limit=500", "GET /api/v1/namespaces/kube-system/configmaps/cilium-config?"}
		if !slices.Equal(wantPaths, log.paths) {
			t.Errorf("requests %q, want %q", log.paths, wantPaths)
		}

		role := documentedRole(t)
		role.Rules = slices.DeleteFunc(role.Rules, func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Resources, "configmaps") })
		noConfig := bindRole(t, "cni-no-configmaps", role)
		cni, err = clusterAs(t, noConfig, &requestLog{}).CNI(context.Background())
		if err != nil {
			t.Fatalf("a forbidden cilium-config is no error: %v", err)
		}
		if cni.Profile == nil || cni.Profile.Get(query.BehaviourIPBlockNodeIPs) != query.Unknown || cni.Profile.Get(query.BehaviourEnforced) != query.Unknown {
			t.Fatalf("forbidden cilium-config: profile %+v, want its settings unknown", cni.Profile)
		}
		wantNotes := []string{"reading ConfigMap kube-system/cilium-config is forbidden: Cilium's settings (enable-policy, policy-cidr-match-mode, enable-sctp, enable-k8s-cluster-network-policy, allow-localhost) are unknown"}
		if !slices.Equal(wantNotes, cni.Profile.Notes) {
			t.Errorf("notes %q, want %q", cni.Profile.Notes, wantNotes)
		}
	})
}
