package load

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func agentDaemonSet(ns, name, image string) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "agent", Image: image}},
		}}},
	}
}

func ciliumConfig(ns string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cilium-config"}, Data: data}
}

// TestClusterCNI: the network plugin is found from the DaemonSets of every
// namespace (one cluster-wide list), Deployments are listed only when no
// DaemonSet names a plugin, and Cilium's cilium-config is read with one get
// in the namespace of Cilium's DaemonSet; a ConfigMap that cannot be read
// leaves its settings unknown, with a note, and is no error.
func TestClusterCNI(t *testing.T) {
	cilium := agentDaemonSet("kube-system", "cilium", "quay.io/cilium/cilium:v1.18.0")
	tests := []struct {
		name      string
		objects   []runtime.Object
		forbidden bool // get configmaps is forbidden
		// want
		profile  string
		why      string
		switches map[query.Behaviour]query.Switch
		notes    []string
		enforces bool
		requests []string
	}{
		{
			name:    "Cilium's settings are read from cilium-config in its namespace",
			objects: []runtime.Object{cilium, ciliumConfig("kube-system", map[string]string{"enable-policy": "always", "policy-cidr-match-mode": "nodes", "enable-sctp": "true"})},
			profile: "cilium", why: "detected from DaemonSet kube-system/cilium and ConfigMap kube-system/cilium-config",
			switches: map[query.Behaviour]query.Switch{query.BehaviourIsolateAll: query.Yes, query.BehaviourIPBlockNodeIPs: query.Yes, query.BehaviourIPBlockPodIPs: query.No, query.BehaviourSCTP: query.Yes},
			notes: []string{
				"ConfigMap kube-system/cilium-config enable-policy: always: every pod is isolated in both directions, also when no policy selects it",
				"ConfigMap kube-system/cilium-config policy-cidr-match-mode: nodes: ipBlock matches node addresses",
				"ConfigMap kube-system/cilium-config enable-sctp: true: SCTP rules are enforced",
			},
			enforces: true,
			requests: []string{"list daemonsets", "get configmaps kube-system/cilium-config"},
		},
		{
			name: "Cilium in its own namespace: the ConfigMap of that namespace",
			objects: []runtime.Object{agentDaemonSet("cilium", "cilium", "quay.io/cilium/cilium:v1.18.0"),
				ciliumConfig("kube-system", map[string]string{"policy-cidr-match-mode": "nodes"}),
				ciliumConfig("cilium", map[string]string{"policy-cidr-match-mode": "pods"})},
			profile: "cilium", why: "detected from DaemonSet cilium/cilium and ConfigMap cilium/cilium-config",
			switches: map[query.Behaviour]query.Switch{query.BehaviourIPBlockPodIPs: query.Yes, query.BehaviourIPBlockNodeIPs: query.No},
			notes:    []string{"ConfigMap cilium/cilium-config policy-cidr-match-mode: pods: ipBlock matches pod IPs"},
			enforces: true,
			requests: []string{"list daemonsets", "get configmaps cilium/cilium-config"},
		},
		{
			name:    "enable-policy: never: Cilium enforces nothing",
			objects: []runtime.Object{cilium, ciliumConfig("kube-system", map[string]string{"enable-policy": "never"})},
			profile: "cilium", why: "detected from DaemonSet kube-system/cilium and ConfigMap kube-system/cilium-config",
			switches: map[query.Behaviour]query.Switch{query.BehaviourEnforced: query.No},
			notes:    []string{"ConfigMap kube-system/cilium-config enable-policy: never: Cilium enforces no policy"},
			requests: []string{"list daemonsets", "get configmaps kube-system/cilium-config"},
		},
		{
			name:    "a missing cilium-config leaves Cilium's settings unknown",
			objects: []runtime.Object{cilium},
			profile: "cilium", why: "detected from DaemonSet kube-system/cilium",
			switches: map[query.Behaviour]query.Switch{query.BehaviourEnforced: query.Unknown, query.BehaviourIPBlockPodIPs: query.Unknown, query.BehaviourSCTP: query.Unknown, query.BehaviourNamedPortsIngress: query.Yes},
			notes:    []string{"ConfigMap kube-system/cilium-config was not found: Cilium's settings (enable-policy, policy-cidr-match-mode, enable-sctp, enable-k8s-cluster-network-policy, allow-localhost) are unknown"},
			enforces: true,
			requests: []string{"list daemonsets", "get configmaps kube-system/cilium-config"},
		},
		{
			name:      "a forbidden cilium-config leaves Cilium's settings unknown",
			objects:   []runtime.Object{cilium, ciliumConfig("kube-system", map[string]string{"policy-cidr-match-mode": "nodes"})},
			forbidden: true,
			profile:   "cilium", why: "detected from DaemonSet kube-system/cilium",
			switches: map[query.Behaviour]query.Switch{query.BehaviourIPBlockNodeIPs: query.Unknown, query.BehaviourIsolateAll: query.Unknown, query.BehaviourClusterPolicies: query.Unknown},
			notes:    []string{"reading ConfigMap kube-system/cilium-config is forbidden: Cilium's settings (enable-policy, policy-cidr-match-mode, enable-sctp, enable-k8s-cluster-network-policy, allow-localhost) are unknown"},
			enforces: true,
			requests: []string{"list daemonsets", "get configmaps kube-system/cilium-config"},
		},
		{
			name:    "Calico of the Tigera operator: no Deployments, no ConfigMap read",
			objects: []runtime.Object{agentDaemonSet("calico-system", "calico-node", "quay.io/calico/node:v3.29.1"), &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "tigera-operator", Name: "tigera-operator"}}},
			profile: "calico", why: "detected from DaemonSet calico-system/calico-node",
			enforces: true,
			requests: []string{"list daemonsets"},
		},
		{
			name:    "no DaemonSet names a plugin: Deployments are read",
			objects: []runtime.Object{agentDaemonSet("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy"), &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "tigera-operator", Name: "tigera-operator"}}},
			profile: "calico", why: "detected from Deployment tigera-operator/tigera-operator, without a DaemonSet of its node agent",
			switches: map[query.Behaviour]query.Switch{query.BehaviourEnforced: query.Unknown},
			notes:    []string{"Calico runs no node agent DaemonSet that was found"},
			requests: []string{"list daemonsets", "list deployments"},
		},
		{
			name:     "nothing known",
			objects:  []runtime.Object{agentDaemonSet("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy")},
			requests: []string{"list daemonsets", "list deployments"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := fake.NewClientset(tc.objects...)
			if tc.forbidden {
				cs.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "cilium-config", nil)
				})
			}
			c := &Cluster{Client: cs, ChunkSize: DefaultChunkSize}
			got, err := c.CNI(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var requests []string
			for _, a := range cs.Actions() {
				r := a.GetVerb() + " " + a.GetResource().Resource
				if a.GetVerb() == "list" && a.GetNamespace() != "" {
					t.Errorf("%s in namespace %q, want cluster-wide", r, a.GetNamespace())
				}
				if g, ok := a.(k8stesting.GetAction); ok {
					r += " " + g.GetNamespace() + "/" + g.GetName()
				}
				requests = append(requests, r)
			}
			if diff := cmp.Diff(tc.requests, requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if got.Enforces != tc.enforces {
				t.Errorf("Enforces = %v, want %v (note %q)", got.Enforces, tc.enforces, got.Note)
			}
			if tc.profile == "" {
				if got.Profile != nil {
					t.Errorf("profile %v, want none", got.Profile)
				}
				return
			}
			if got.Profile == nil {
				t.Fatalf("no profile, want %s", tc.profile)
			}
			if got.Profile.Name != tc.profile || got.Profile.Why != tc.why {
				t.Errorf("profile %q (%s), want %q (%s)", got.Profile.Name, got.Profile.Why, tc.profile, tc.why)
			}
			for b, v := range tc.switches {
				if g := got.Profile.Get(b); g != v {
					t.Errorf("%s = %s, want %s", b, g, v)
				}
			}
			if diff := cmp.Diff(tc.notes, got.Profile.Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClusterCNIListErrors: a DaemonSet or Deployment list that fails is an
// error naming the kind, cluster-wide.
func TestClusterCNIListErrors(t *testing.T) {
	for _, resource := range []string{"daemonsets", "deployments"} {
		t.Run(resource, func(t *testing.T) {
			cs := fake.NewClientset()
			cs.PrependReactor("list", resource, func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: resource}, "", nil)
			})
			_, err := (&Cluster{Client: cs}).CNI(context.Background())
			if err == nil || !strings.Contains(err.Error(), "cannot list "+resource+" cluster-wide") {
				t.Errorf("err = %v, want cannot list %s cluster-wide", err, resource)
			}
		})
	}
}
