package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestNetworkPluginPolicyFixtures: each manifest of testdata/cni is read
// (not skipped) as an object the engine knows applies to some pods.
func TestNetworkPluginPolicyFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, id, selects string
	}{
		{"calico-networkpolicy.yaml", "Calico NetworkPolicy prod/db-from-api", "every pod in namespace prod (spec.selector is Calico's selector language, not read)"},
		{"calico-globalnetworkpolicy-crd.yaml", "Calico GlobalNetworkPolicy deny-metadata", "every pod (spec.selector is Calico's selector language, not read)"},
		{"cilium-networkpolicy.yaml", "CiliumNetworkPolicy prod/db-from-api", "pods matching role=db in namespace prod"},
		{"cilium-clusterwidenetworkpolicy.yaml", "CiliumClusterwideNetworkPolicy dns-only", "every pod in namespaces matching kubernetes.io/metadata.name notin (kube-system); host-network pods"},
		{"antrea-clusternetworkpolicy.yaml", "Antrea ClusterNetworkPolicy isolate-db", "pods matching role=db"},
		{"antrea-networkpolicy.yaml", "Antrea NetworkPolicy prod/web-ingress", "pods matching role=web in namespace prod"},
		{"ovn-egressfirewall.yaml", "EgressFirewall dev/default", "every pod in namespace dev"},
		{"multinetworkpolicy.yaml", "MultiNetworkPolicy prod/storage-db", "pods matching role=db in namespace prod"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var warn bytes.Buffer
			objs, err := Manifests(Source{Filenames: []string{filepath.Join("../../testdata/cni", tc.file)}, Namespace: "default"}, &warn)
			if err != nil || warn.Len() > 0 || len(objs) != 1 {
				t.Fatalf("read %d objects, error %v, warnings %q; want one object", len(objs), err, warn.String())
			}
			if _, ok := objs[0].(*unstructured.Unstructured); !ok {
				t.Fatalf("read a %T", objs[0])
			}
			snap, err := query.NewSnapshot(objs, query.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			u := snap.Unevaluated()
			if len(u) != 1 || u[0].String() != tc.id || u[0].Selects() != tc.selects {
				t.Errorf("unevaluated %v selecting %q; want %s selecting %q", u, u[0].Selects(), tc.id, tc.selects)
			}
		})
	}
	t.Run("the three-tier shop on Calico", func(t *testing.T) {
		var warn bytes.Buffer
		objs, err := Manifests(Source{Filenames: []string{"../../testdata/three-tier", "../../testdata/three-tier-calico"}, Namespace: "default"}, &warn)
		if err != nil || warn.Len() > 0 {
			t.Fatalf("error %v, warnings %q", err, warn.String())
		}
		snap, err := query.NewSnapshot(objs, query.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range snap.Pods() {
			if got := snap.UnevaluatedFor(p).String(); got != "1 Calico GlobalNetworkPolicy" {
				t.Errorf("%s: unevaluated %q, want the GlobalNetworkPolicy", p.Key(), got)
			}
		}
	})
}

// TestNetworkPluginPolicyKinds pins how documents of the network plugins'
// policy kinds are read and checked.
func TestNetworkPluginPolicyKinds(t *testing.T) {
	const cnp = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
	runLoadCases(t, []loadCase{
		{
			name:     "a version the plugin does not serve is an error giving the served one",
			manifest: "apiVersion: cilium.io/v1\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {}\n",
			wantErr:  []string{"STDIN: ciliumnetworkpolicy prod/p: apiVersion cilium.io/v1 does not serve CiliumNetworkPolicy: use apiVersion cilium.io/v2"},
		},
		{
			name:     "a Calico version not served names both of Calico's groups",
			manifest: "apiVersion: projectcalico.org/v4\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n",
			wantErr:  []string{"apiVersion projectcalico.org/v4 does not serve GlobalNetworkPolicy: use apiVersion projectcalico.org/v3 or crd.projectcalico.org/v1"},
		},
		{
			name:     "a plugin's kind under a Kubernetes group is an error giving the plugin's group",
			manifest: "apiVersion: networking.k8s.io/v1\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: prod}\n",
			wantErr:  []string{"apiVersion networking.k8s.io/v1 does not serve CiliumNetworkPolicy: use apiVersion cilium.io/v2"},
		},
		{
			name:     "kind ciliumnetworkpolicy is an error giving the spelling",
			manifest: "apiVersion: cilium.io/v2\nkind: ciliumnetworkpolicy\nmetadata: {name: p, namespace: prod}\n",
			wantErr:  []string{`kind "ciliumnetworkpolicy": did you mean CiliumNetworkPolicy?`},
		},
		{
			name:     "kind EgressFirewalls is an error giving the spelling",
			manifest: "apiVersion: k8s.ovn.org/v1\nkind: EgressFirewalls\nmetadata: {name: default, namespace: prod}\n",
			wantErr:  []string{`kind "EgressFirewalls": did you mean EgressFirewall?`},
		},
		{
			name:     "a name is required",
			manifest: cnp + "metadata: {namespace: prod}\nspec: {endpointSelector: {}}\n",
			wantErr:  []string{"ciliumnetworkpolicy without a name: metadata.name: required"},
		},
		{
			name:     "an invalid name is an error as the API server words it",
			manifest: cnp + "metadata: {name: Deny_All, namespace: prod}\nspec: {endpointSelector: {}}\n",
			wantErr:  []string{`metadata.name: Invalid value: "Deny_All"`},
		},
		{
			name:     "an invalid namespace is an error",
			manifest: cnp + "metadata: {name: p, namespace: Prod}\nspec: {endpointSelector: {}}\n",
			wantErr:  []string{`metadata.namespace: Invalid value: "Prod"`},
		},
		{
			name:     "an unknown metadata field is an error",
			manifest: cnp + "metadata: {name: p, namespace: prod, label: {app: x}}\nspec: {endpointSelector: {}}\n",
			wantErr:  []string{`strict decoding error: unknown field "metadata.label"`},
		},
		{
			name:     "a duplicate field is an error",
			manifest: `{"apiVersion":"cilium.io/v2","kind":"CiliumNetworkPolicy","metadata":{"name":"p","namespace":"prod"},"spec":{"endpointSelector":{},"endpointSelector":{"matchLabels":{"app":"db"}}}}`,
			wantErr:  []string{`duplicate field "spec.endpointSelector"`},
		},
		{
			name:     "the plugin's own fields are not checked: Cilium's API is not this tool's",
			manifest: cnp + "metadata: {name: p, namespace: prod}\nspec: {endpointSelector: {}, ingressDeny: [{fromEntities: [world]}], enableDefaultDeny: {ingress: true}}\n",
		},
		{
			name:     "Calico's staged policies are not enforced: skipped with a warning",
			manifest: "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: p, namespace: prod}\n",
			wantWarn: []string{"skipping stagednetworkpolicy prod/p: kubectl netpol does not read kind StagedNetworkPolicy.projectcalico.org"},
		},
		{
			name:     "a Calico and a Kubernetes NetworkPolicy of one name are two objects",
			manifest: np("networking.k8s.io/v1", "NetworkPolicy") + "---\n" + np("projectcalico.org/v3", "NetworkPolicy"),
		},
		{
			name:     "Calico's two groups serve one object: the same name twice is a duplicate",
			manifest: np("crd.projectcalico.org/v1", "NetworkPolicy") + "---\n" + np("projectcalico.org/v3", "NetworkPolicy"),
			wantErr:  []string{"STDIN: networkpolicy.projectcalico.org prod/deny is also defined in STDIN"},
		},
	})
}

func TestNetworkPluginPolicyNamespaces(t *testing.T) {
	for _, tc := range []struct {
		name, manifest string
		want           []string
	}{
		{
			name:     "a namespaced kind without namespace takes the default namespace",
			manifest: "apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: default}\nspec: {egress: []}\n",
			want:     []string{"EgressFirewall default/default"},
		},
		{
			name:     "a cluster-scoped kind drops a namespace",
			manifest: "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: c, namespace: prod}\nspec: {endpointSelector: {}}\n",
			want:     []string{"CiliumClusterwideNetworkPolicy /c"},
		},
		{
			name:     "the items of a CiliumNetworkPolicyList are CiliumNetworkPolicies",
			manifest: `{"kind":"CiliumNetworkPolicyList","apiVersion":"cilium.io/v2","items":[{"metadata":{"name":"a","namespace":"prod"},"spec":{"endpointSelector":{}}},{"metadata":{"name":"b"},"spec":{"endpointSelector":{}}}]}`,
			want:     []string{"CiliumNetworkPolicy prod/a", "CiliumNetworkPolicy default/b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, warnings, err := readString(t, tc.manifest)
			if err != nil || warnings != "" {
				t.Fatalf("error %v, warnings %q", err, warnings)
			}
			if diff := cmp.Diff(tc.want, ids(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNetworkPluginPolicyDirectory: the whole of testdata/cni is read
// without a warning, one object per file.
func TestNetworkPluginPolicyDirectory(t *testing.T) {
	var warn bytes.Buffer
	objs, err := Manifests(Source{Filenames: []string{"../../testdata/cni"}, Namespace: "default"}, &warn)
	if err != nil || warn.Len() > 0 {
		t.Fatalf("error %v, warnings %q", err, warn.String())
	}
	files, _ := filepath.Glob("../../testdata/cni/*.yaml")
	if len(objs) != len(files) || len(files) != len(query.PluginKinds) {
		t.Errorf("%d objects from %d files; want one file per kind (%d kinds)", len(objs), len(files), len(query.PluginKinds))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(b), "#") {
			t.Errorf("%s: say what the policy does in a comment first", f)
		}
	}
}
