package load

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
)

// verbosity sets klog's -v for the test, as the command line does.
func verbosity(t *testing.T, v string) {
	t.Helper()
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("v", v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.Set("v", "0") })
}

// TestKubePrometheusWarnsOnce: a manifest set in the style of
// kube-prometheus (RBAC, service accounts, secrets, dashboards, CRDs, PDBs,
// an APIService beside the operator's custom resources) gives one warning
// line, counting the custom resources the tool does not read; everything
// it reads is read.
func TestKubePrometheusWarnsOnce(t *testing.T) {
	var warn bytes.Buffer
	objs, err := Manifests(Source{Filenames: []string{"../../testdata/kube-prometheus"}}, &warn)
	if err != nil {
		t.Fatal(err)
	}
	want := "Warning: skipped 21 objects of kinds kubectl netpol does not read: 13 ServiceMonitor.monitoring.coreos.com, 6 PrometheusRule.monitoring.coreos.com, 1 Alertmanager.monitoring.coreos.com, 1 Prometheus.monitoring.coreos.com (-v 2 lists them)\n"
	if diff := cmp.Diff(want, warn.String()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetObjectKind().GroupVersionKind().Kind]++
	}
	if diff := cmp.Diff(map[string]int{"Namespace": 1, "Service": 8, "Deployment": 5, "DaemonSet": 1, "NetworkPolicy": 8}, kinds); diff != "" {
		t.Errorf("objects read (-want +got):\n%s", diff)
	}
}

// TestSkippedKinds pins which kinds are skipped silently (Kubernetes' own
// that cannot change a verdict) and which are warned of (those that may:
// a webhook that rewrites pods, another project's kinds).
func TestSkippedKinds(t *testing.T) {
	obj := func(apiVersion, kind string) string {
		return "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata: {name: x, namespace: prod}\n"
	}
	for _, tc := range []struct {
		apiVersion, kind string
		warned           bool
	}{
		{"v1", "ServiceAccount", false},
		{"v1", "Secret", false},
		{"v1", "ConfigMap", false},
		{"v1", "Endpoints", false},
		{"v1", "PersistentVolumeClaim", false},
		{"v1", "PersistentVolume", false},
		{"v1", "LimitRange", false},
		{"v1", "ResourceQuota", false},
		{"rbac.authorization.k8s.io/v1", "Role", false},
		{"rbac.authorization.k8s.io/v1", "ClusterRole", false},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", false},
		{"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", false},
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition", false},
		{"policy/v1", "PodDisruptionBudget", false},
		{"autoscaling/v2", "HorizontalPodAutoscaler", false},
		{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", false},
		{"scheduling.k8s.io/v1", "PriorityClass", false},
		{"storage.k8s.io/v1", "StorageClass", false},
		{"storage.k8s.io/v1", "CSIDriver", false},
		{"networking.k8s.io/v1", "Ingress", false},
		{"networking.k8s.io/v1", "IngressClass", false},
		{"discovery.k8s.io/v1", "EndpointSlice", false},
		{"apiregistration.k8s.io/v1", "APIService", false},
		{"coordination.k8s.io/v1", "Lease", false},
		{"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", true},
		{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy", true},
		{"monitoring.coreos.com/v1", "Prometheus", true},
		{"gateway.networking.k8s.io/v1", "HTTPRoute", true},
		{"security.istio.io/v1", "AuthorizationPolicy", true},
		{"example.com/v1", "Secret", true},
		{"example.com/v1", "ServiceAccount", true},
	} {
		t.Run(tc.apiVersion+" "+tc.kind, func(t *testing.T) {
			_, warnings, err := readString(t, obj(tc.apiVersion, tc.kind))
			if err != nil {
				t.Fatal(err)
			}
			if got := warnings != ""; got != tc.warned {
				t.Errorf("warned %v, want %v: %q", got, tc.warned, warnings)
			}
		})
	}
}

// TestOneSkippedObjectIsNamed: a single object of a kind that may matter
// is named, file and all, rather than counted.
func TestOneSkippedObjectIsNamed(t *testing.T) {
	_, warnings, err := readString(t, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: prod}\n---\n"+
		"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prod}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "Warning: STDIN: skipping widget prod/w: kubectl netpol does not read kind Widget.example.com\n"
	if warnings != want {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
}

// TestVerbosity2ListsEverySkippedObject: -v 2 lists each skipped object,
// those skipped silently too, with why.
func TestVerbosity2ListsEverySkippedObject(t *testing.T) {
	verbosity(t, "2")
	_, warnings, err := readString(t, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: prod}\n---\n"+
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\n---\n"+
		"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prod}\n---\n"+
		"apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: prod}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Warning: skipped 2 objects of kinds kubectl netpol does not read: 1 Gadget.example.com, 1 Widget.example.com:",
		"Skipped STDIN: serviceaccount prod/a: kind ServiceAccount cannot change what may reach what",
		"Skipped STDIN: configmap prod/c: kubectl netpol reads only the ConfigMap cilium-config (Cilium's settings)",
		"Skipped STDIN: widget prod/w: kubectl netpol does not read kind Widget.example.com",
		"Skipped STDIN: gadget prod/g: kubectl netpol does not read kind Gadget.example.com",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(warnings, "\n"), "\n")); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
