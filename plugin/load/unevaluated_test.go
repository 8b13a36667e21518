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
// (not skipped): a kind the engine does not evaluate as an object it knows
// applies to some pods; Cilium's kinds compiled, nothing left unevaluated
// but a host policy (a rule with nodeSelector), for host-network pods.
func TestNetworkPluginPolicyFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		// id and selects are the unevaluated object read, "" for none.
		id, selects string
		// policies is how many policies of namespace prod are evaluated.
		policies int
	}{
		{file: "calico-networkpolicy.yaml", id: "Calico NetworkPolicy prod/db-from-api", selects: "every pod in namespace prod (spec.selector is Calico's selector language, not read)"},
		{file: "calico-globalnetworkpolicy-crd.yaml", id: "Calico GlobalNetworkPolicy deny-metadata", selects: "every pod (spec.selector is Calico's selector language, not read)"},
		{file: "cilium-networkpolicy.yaml", policies: 1},
		{file: "cilium-clusterwidenetworkpolicy.yaml", id: "CiliumClusterwideNetworkPolicy dns-only", selects: "host-network pods (host policies (specs[1] nodeSelector) are not evaluated)"},
		{file: "cilium-cidrgroup.yaml"},
		{file: "antrea-clusternetworkpolicy.yaml", id: "Antrea ClusterNetworkPolicy isolate-db", selects: "pods matching role=db"},
		{file: "antrea-networkpolicy.yaml", id: "Antrea NetworkPolicy prod/web-ingress", selects: "pods matching role=web in namespace prod"},
		{file: "ovn-egressfirewall.yaml", id: "EgressFirewall dev/default", selects: "every pod in namespace dev"},
		{file: "multinetworkpolicy.yaml", id: "MultiNetworkPolicy prod/storage-db", selects: "pods matching role=db in namespace prod"},
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
			var got []string
			for _, u := range snap.Unevaluated() {
				got = append(got, u.String()+" selecting "+u.Selects())
			}
			var want []string
			if tc.id != "" {
				want = []string{tc.id + " selecting " + tc.selects}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unevaluated (-want +got):\n%s", diff)
			}
			if n := len(snap.PoliciesIn("prod")); n != tc.policies {
				t.Errorf("%d policies evaluated in prod, want %d", n, tc.policies)
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
			manifest: cnp + "metadata: {namespace: prod}\nspec: {endpointSelector: {}, ingress: [{}]}\n",
			wantErr:  []string{"ciliumnetworkpolicy without a name: metadata.name: required"},
		},
		{
			name:     "an invalid name is an error as the API server words it",
			manifest: cnp + "metadata: {name: Deny_All, namespace: prod}\nspec: {endpointSelector: {}, ingress: [{}]}\n",
			wantErr:  []string{`metadata.name: Invalid value: "Deny_All"`},
		},
		{
			name:     "an invalid namespace is an error",
			manifest: cnp + "metadata: {name: p, namespace: Prod}\nspec: {endpointSelector: {}, ingress: [{}]}\n",
			wantErr:  []string{`metadata.namespace: Invalid value: "Prod"`},
		},
		{
			name:     "an unknown metadata field is an error",
			manifest: cnp + "metadata: {name: p, namespace: prod, label: {app: x}}\nspec: {endpointSelector: {}, ingress: [{}]}\n",
			wantErr:  []string{`strict decoding error: unknown field "metadata.label"`},
		},
		{
			name:     "a duplicate field is an error",
			manifest: `{"apiVersion":"cilium.io/v2","kind":"CiliumNetworkPolicy","metadata":{"name":"p","namespace":"prod"},"spec":{"endpointSelector":{},"endpointSelector":{"matchLabels":{"app":"db"}}}}`,
			wantErr:  []string{`duplicate field "spec.endpointSelector"`},
		},
		{
			name:     "a plugin's own fields are not checked where the kind is not evaluated: Calico's API is not this tool's",
			manifest: "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec: {selector: all(), futureField: 1, ingress: [{action: Teleport}]}\n",
		},
		{
			name:     "Cilium's kinds are evaluated: a policy Cilium accepts is read",
			manifest: cnp + "metadata: {name: p, namespace: prod}\nspec: {endpointSelector: {}, ingressDeny: [{fromEntities: [world]}], enableDefaultDeny: {ingress: true}}\n",
		},
		{
			name:     "Cilium's kinds are evaluated: a rule Cilium rejects is an error naming the field",
			manifest: cnp + "metadata: {name: p, namespace: prod}\nspec: {endpointSelector: {}}\n",
			wantErr:  []string{"STDIN: ciliumnetworkpolicy prod/p: spec: rule must have at least one of ingress, ingressDeny, egress, egressDeny"},
		},
		{
			name:     "Cilium's kinds are evaluated: an unknown field of a rule is an error",
			manifest: cnp + "metadata: {name: p, namespace: prod}\nspec: {endpointSelector: {}, ingress: [{fromEndpoint: [{}]}]}\n",
			wantErr:  []string{"STDIN: ciliumnetworkpolicy prod/p:", `unknown field "spec.ingress[0].fromEndpoint"`},
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
			manifest: "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: c, namespace: prod}\nspec: {endpointSelector: {}, ingress: [{}]}\n",
			want:     []string{"CiliumClusterwideNetworkPolicy /c"},
		},
		{
			name:     "the items of a CiliumNetworkPolicyList are CiliumNetworkPolicies",
			manifest: `{"kind":"CiliumNetworkPolicyList","apiVersion":"cilium.io/v2","items":[{"metadata":{"name":"a","namespace":"prod"},"spec":{"endpointSelector":{},"ingress":[{}]}},{"metadata":{"name":"b"},"spec":{"endpointSelector":{},"ingress":[{}]}}]}`,
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
