package e2e

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The network plugins' policy scenario: minimal CRDs for Cilium's
// CiliumNetworkPolicy and Calico's GlobalNetworkPolicy (as stored in
// crd.projectcalico.org), and the fixtures of testdata/cni for them: a
// CiliumNetworkPolicy letting prod's API reach its db pods, which is
// evaluated, and a GlobalNetworkPolicy that may apply to every pod, which
// is read but not evaluated.
const (
	pluginCRDs = "testdata/crds-cni"
	ciliumCNP  = "../../testdata/cni/cilium-networkpolicy.yaml"
	calicoGNP  = "../../testdata/cni/calico-globalnetworkpolicy-crd.yaml"
)

var pluginGroups = []string{"cilium.io", "crd.projectcalico.org"}

// TestNetworkPluginPolicies: with Cilium's and Calico's CRDs installed,
// their policies are discovered and listed, read-only and paginated, and
// read as the same manifests are (the CiliumNetworkPolicy evaluated, the
// GlobalNetworkPolicy telling which pods it may apply to); the documented
// role reads them, and a user who cannot list them gets an error, never an
// answer without them.
func TestNetworkPluginPolicies(t *testing.T) {
	ctx := context.Background()
	installPluginCRDs(t)
	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	applyFiles(t, c, ciliumCNP, calicoGNP)

	t.Run("read as the manifests are, with one discovery request per group", func(t *testing.T) {
		log := &requestLog{}
		objs, err := readLive(t, env.Config, log, load.DefaultChunkSize, []string{"prod"})
		if err != nil {
			t.Fatal(err)
		}
		live := snapshotOf(t, objs)
		files, err := load.Manifests(load.Source{Filenames: []string{ciliumCNP, calicoGNP}, Namespace: "default"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pluginObjects(objs), pluginObjects(files); !slices.Equal(got, want) || len(got) != 2 {
			t.Errorf("network plugin objects live: %q, manifests: %q", got, want)
		}
		offline := snapshotOf(t, files)
		if got, want := live.Unevaluated().String(), offline.Unevaluated().String(); got != want || got != "1 Calico GlobalNetworkPolicy" {
			t.Errorf("live: %q, manifests: %q", got, want)
		}
		for _, p := range live.PodsIn("prod") {
			if got, want := live.UnevaluatedFor(p).String(), "1 Calico GlobalNetworkPolicy"; got != want {
				t.Errorf("%s: %q, want %q", p.Key(), got, want)
			}
		}
		// The CiliumNetworkPolicy read live is evaluated: without prod's
		// NetworkPolicy db (and judged without the GlobalNetworkPolicy) it
		// alone lets the API reach the database.
		opts := query.DefaultOptions()
		opts.WorkloadStandIns = false
		opts.IgnoreKinds = []string{"GlobalNetworkPolicy"}
		judged, err := query.NewSnapshot(objs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if judged, err = judged.Without(query.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: "db"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			src, dst string
			allowed  bool
		}{{"prod/api", "prod/db:3306", true}, {"prod/web", "prod/db:3306", false}} {
			f, err := query.ParseFlow([]string{tc.src, tc.dst})
			if err != nil {
				t.Fatal(err)
			}
			ans, err := judged.Can(f, "prod")
			if err != nil {
				t.Fatal(err)
			}
			if !ans.Decided || ans.Allowed != tc.allowed {
				t.Errorf("can %s %s without networkpolicy/prod/db: decided %v allowed %v, depends on %q; want decided, allowed %v", tc.src, tc.dst, ans.Decided, ans.Allowed, ans.DependsOn, tc.allowed)
			}
		}
		for _, want := range []string{
			"GET /apis/cilium.io/v2?",
			"GET /apis/cilium.io/v2/namespaces/prod/ciliumnetworkpolicies?limit=500",
			"GET /apis/crd.projectcalico.org/v1?",
			"GET /apis/crd.projectcalico.org/v1/globalnetworkpolicies?limit=500",
		} {
			if n := countPaths(log.paths, want); n != 1 {
				t.Errorf("%d requests %q, want 1:\n%s", n, want, strings.Join(log.paths, "\n"))
			}
		}
		for _, never := range []string{"GET /apis/cilium.io?", "GET /apis/crd.projectcalico.org?", "/ciliumclusterwidenetworkpolicies", "/ciliumcidrgroups", "/apis/crd.projectcalico.org/v1/namespaces/", "/apis/projectcalico.org", "/apis/crd.antrea.io"} {
			if n := countPaths(log.paths, never); n != 0 {
				t.Errorf("%q asked, though GET /apis and the versions' resource lists say it is not needed or not served:\n%s", never, strings.Join(log.paths, "\n"))
			}
		}
		for _, p := range log.paths {
			if !strings.HasPrefix(p, "GET ") {
				t.Errorf("wrote to the cluster: %s", p)
			}
		}
		// Without the CRDs (TestWithoutClusterPolicyCRDs): the namespaces,
		// the list of groups, pods, networkpolicies and 8 kinds that name
		// workloads = 12; with them, 2 version discoveries and 2 lists.
		if got := log.n.Load(); got != 16 {
			t.Errorf("%d requests, want 16:\n%s", got, strings.Join(log.paths, "\n"))
		}
	})

	t.Run("all namespaces: one list of a namespaced kind", func(t *testing.T) {
		log := &requestLog{}
		if _, err := readLive(t, env.Config, log, load.DefaultChunkSize, nil); err != nil {
			t.Fatal(err)
		}
		if n := countPaths(log.paths, "GET /apis/cilium.io/v2/ciliumnetworkpolicies?limit=500"); n != 1 {
			t.Errorf("%d cluster-wide lists of CiliumNetworkPolicies, want 1:\n%s", n, strings.Join(log.paths, "\n"))
		}
	})

	t.Run("paginated", func(t *testing.T) {
		second := &unstructured.Unstructured{}
		second.SetAPIVersion("cilium.io/v2")
		second.SetKind("CiliumNetworkPolicy")
		second.SetNamespace("prod")
		second.SetName("second")
		// The smallest rule Cilium accepts: one without ingress or egress
		// is an error.
		second.Object["spec"] = map[string]any{"endpointSelector": map[string]any{}, "ingress": []any{map[string]any{}}}
		if err := c.Create(ctx, second); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := c.Delete(ctx, second); err != nil {
				t.Error(err)
			}
		}()
		log := &requestLog{}
		objs, err := readLive(t, env.Config, log, 1, []string{"prod"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pluginObjects(objs), []string{"CiliumNetworkPolicy prod/db-from-api", "CiliumNetworkPolicy prod/second", "GlobalNetworkPolicy /deny-metadata"}; !slices.Equal(got, want) {
			t.Errorf("read %q, want %q", got, want)
		}
		snapshotOf(t, objs)
		if n := countPaths(log.paths, "/namespaces/prod/ciliumnetworkpolicies?continue="); n != 1 {
			t.Errorf("%d continued CiliumNetworkPolicy pages, want 1:\n%s", n, strings.Join(log.paths, "\n"))
		}
	})

	t.Run("the documented role is enough", func(t *testing.T) {
		kc := bindRole(t, "netpol-plugin-reader", documentedRole(t))
		if _, err := readLive(t, kubeconfigREST(t, kc), &requestLog{}, load.DefaultChunkSize, []string{"prod"}); err != nil {
			t.Errorf("read as netpol-plugin-reader: %v", err)
		}
	})

	for _, tc := range []struct{ resource, group, want string }{
		{"ciliumnetworkpolicies", "cilium.io", "cannot list ciliumnetworkpolicies.cilium.io in namespace prod"},
		{"globalnetworkpolicies", "crd.projectcalico.org", "cannot list globalnetworkpolicies.crd.projectcalico.org cluster-wide"},
	} {
		t.Run("a forbidden list of "+tc.resource+" is an error", func(t *testing.T) {
			role := documentedRole(t)
			for i, r := range role.Rules {
				if slices.Contains(r.APIGroups, tc.group) {
					role.Rules[i].Resources = slices.DeleteFunc(slices.Clone(r.Resources), func(s string) bool { return s == tc.resource })
				}
			}
			kc := bindRole(t, "no-"+tc.resource, role)
			_, err := readLive(t, kubeconfigREST(t, kc), &requestLog{}, load.DefaultChunkSize, []string{"prod"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "testdata/rbac/clusterrole.yaml") {
				t.Errorf("read without list on %s.%s: %v; want a forbidden error saying %q and what to grant", tc.resource, tc.group, err, tc.want)
			}
			for _, r := range []result{
				runInProcess(t, nil, "can", "--kubeconfig", kc, "-n", "prod", "api", "db:3306"),
				runBinary(t, "can", "--kubeconfig", kc, "-n", "prod", "api", "db:3306"),
			} {
				if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "forbidden") {
					t.Errorf("can without list on %s: exit %d (want 2), stderr %q\nstdout: %s", tc.resource, r.code, r.stderr, r.stdout)
				}
			}
		})
	}
}

// pluginObjects names the network plugins' objects among objs, sorted:
// "CiliumNetworkPolicy prod/db-from-api".
func pluginObjects(objs []runtime.Object) []string {
	var out []string
	for _, o := range objs {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// readLive reads the scope (namespaces, or all of them for nil) as "can"
// would, through load.Cluster without client-side rate limiting, logging
// the requests.
func readLive(t *testing.T, base *rest.Config, log *requestLog, chunk int64, namespaces []string) ([]runtime.Object, error) {
	t.Helper()
	cfg := rest.CopyConfig(base)
	cfg.QPS = -1
	cfg.Wrap(log.wrap)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs, failures, err := (&load.Cluster{Client: cs, ChunkSize: chunk}).Read(context.Background(), load.Scope{Namespaces: namespaces, AllNamespaces: namespaces == nil})
	if err == nil && len(failures) > 0 {
		t.Fatalf("failures %v", failures)
	}
	return objs, err
}

func snapshotOf(t *testing.T, objs []runtime.Object) *query.Snapshot {
	t.Helper()
	opts := query.DefaultOptions()
	opts.WorkloadStandIns = false
	s, err := query.NewSnapshot(objs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// kubeconfigREST is the REST config of a kubeconfig file.
func kubeconfigREST(t *testing.T, path string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// installPluginCRDs installs the network plugins' CRDs until the test
// ends; then they are deleted with their objects, and the test waits until
// the server no longer serves their groups, so that other tests count
// their requests on a cluster without them.
func installPluginCRDs(t *testing.T) {
	t.Helper()
	opts := envtest.CRDInstallOptions{Paths: []string{pluginCRDs}, ErrorIfPathMissing: true, MaxTime: time.Minute}
	t.Cleanup(func() {
		if err := envtest.UninstallCRDs(env.Config, opts); err != nil {
			t.Errorf("uninstall CRDs: %v", err)
			return
		}
		err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			for _, g := range pluginGroups {
				if groupServed(t, g) {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			t.Errorf("%v still served after their CRDs were deleted: %v", pluginGroups, err)
		}
	})
	crds, err := envtest.InstallCRDs(env.Config, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 2 {
		t.Fatalf("installed %d CRDs from %s, want 2", len(crds), pluginCRDs)
	}
}

// groupServed reports whether the server serves the API group.
func groupServed(t *testing.T, group string) bool {
	t.Helper()
	err := admin.Discovery().RESTClient().Get().AbsPath("/apis", group).Do(context.Background()).Error()
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("discover %s: %v", group, err)
	}
	return err == nil
}
