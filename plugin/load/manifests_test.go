package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// readString reads one manifest from standard input.
func readString(t *testing.T, manifest string) (objs []runtime.Object, warnings string, err error) {
	t.Helper()
	var warn bytes.Buffer
	objs, err = Manifests(Source{Filenames: []string{"-"}, Stdin: strings.NewReader(manifest), Namespace: "default"}, &warn)
	return objs, warn.String(), err
}

// writeFiles writes files (name -> content) under a new directory and
// returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadCase is a manifest and what reading it must give: an error holding
// every one of wantErr, or else warnings holding every one of wantWarn.
type loadCase struct {
	name     string
	manifest string
	wantErr  []string
	wantWarn []string
}

func runLoadCases(t *testing.T, cases []loadCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, warnings, err := readString(t, tc.manifest)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("read %d objects and no error (warnings %q); want an error with %q", len(objs), warnings, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not hold %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is more than one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, w := range tc.wantWarn {
				if !strings.Contains(warnings, w) {
					t.Errorf("warnings %q do not hold %q", warnings, w)
				}
			}
		})
	}
}

// ids names the objects read as "Kind namespace/name".
func ids(objs []runtime.Object) []string {
	var out []string
	for _, o := range objs {
		m := o.(metav1.Object)
		out = append(out, o.GetObjectKind().GroupVersionKind().Kind+" "+m.GetNamespace()+"/"+m.GetName())
	}
	return out
}

func TestTypedListItemsTakeTheListsKind(t *testing.T) {
	for _, tc := range []struct {
		name, manifest string
		want           []string
		wantErr        string
	}{
		{
			name:     "the items of a PodList without apiVersion and kind are Pods",
			manifest: `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a","namespace":"default"}},{"metadata":{"name":"b","namespace":"prod"}}]}`,
			want:     []string{"Pod default/a", "Pod prod/b"},
		},
		{
			name:     "the items of a YAML NetworkPolicyList are NetworkPolicies",
			manifest: "kind: NetworkPolicyList\napiVersion: networking.k8s.io/v1\nitems:\n- metadata: {name: deny, namespace: prod}\n  spec: {podSelector: {}}\n",
			want:     []string{"NetworkPolicy prod/deny"},
		},
		{
			name:     "the items of a ClusterNetworkPolicyList are ClusterNetworkPolicies",
			manifest: `{"kind":"ClusterNetworkPolicyList","apiVersion":"policy.networking.k8s.io/v1beta1","items":[{"metadata":{"name":"c"},"spec":{"tier":"Admin","priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Deny","from":[{"namespaces":{}}]}]}}]}`,
			want:     []string{"ClusterNetworkPolicy /c"},
		},
		{
			name:     "a typed list in a List gives its kind to its items",
			manifest: `{"kind":"List","apiVersion":"v1","items":[{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"a","namespace":"default"}}]}]}`,
			want:     []string{"Pod default/a"},
		},
		{
			name:     "an item naming its kind keeps it",
			manifest: `{"kind":"PodList","apiVersion":"v1","items":[{"kind":"Service","apiVersion":"v1","metadata":{"name":"s","namespace":"default"}}]}`,
			want:     []string{"Service default/s"},
		},
		{
			name:     "the items of a List must name their kind",
			manifest: `{"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"a","namespace":"default"}}]}`,
			wantErr:  "STDIN: object default/a: apiVersion and kind are required",
		},
		{
			name:     "an item naming only its kind is an error, as in kubectl",
			manifest: `{"kind":"PodList","apiVersion":"v1","items":[{"kind":"Pod","metadata":{"name":"a","namespace":"default"}}]}`,
			wantErr:  "pod default/a: apiVersion and kind are required",
		},
		{
			name:     "the items of a DeploymentList of a removed version are errors",
			manifest: `{"kind":"DeploymentList","apiVersion":"apps/v1beta1","items":[{"metadata":{"name":"d","namespace":"default"}}]}`,
			wantErr:  "deployment default/d: apps/v1beta1 Deployment is no longer served",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, _, err := readString(t, tc.manifest)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one holding %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(objs)); diff != "" {
				t.Errorf("objects read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodingErrorsNameFieldsNotGoTypes(t *testing.T) {
	const np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: prod}\n"
	for _, tc := range []struct{ name, manifest, want string }{
		{"a document that is a string", "just a string\n", "STDIN: not a Kubernetes object: expected a mapping, not a string"},
		{"a document that is a list", "- a\n- b\n", "STDIN: not a Kubernetes object: expected a mapping, not a list"},
		{"a JSON document that is a number", "42", "STDIN: not a Kubernetes object: expected a mapping, not a number"},
		{"a kind that is a list", "apiVersion: v1\nkind: [Pod]\n", "STDIN: kind: expected a string, not a list"},
		{"a name YAML reads as a boolean", "apiVersion: v1\nkind: Pod\nmetadata: {name: n}\n", "STDIN: metadata.name: expected a string, not a boolean (YAML reads y, n, yes, no, on, off, true and false unquoted as booleans: quote the value)"},
		{"items that are a mapping", "apiVersion: v1\nkind: PodList\nitems: {a: b}\n", "STDIN: items: expected a list, not a mapping"},
		{"a selector that is a string", np + "spec: {podSelector: all}\n", "STDIN: networkpolicy prod/x: spec.podSelector: expected a mapping, not a string"},
		{"rules that are a mapping", np + "spec: {podSelector: {}, ingress: {from: []}}\n", "STDIN: networkpolicy prod/x: spec.ingress: expected a list, not a mapping"},
		{"a label that is a number", np + "spec: {podSelector: {matchLabels: {tier: 1}}}\n", "STDIN: networkpolicy prod/x: spec.podSelector.matchLabels: expected a string, not a number"},
		// sigs.k8s.io/json names fields without list indexes and map keys.
		{"a protocol that is a boolean", np + "spec: {podSelector: {}, ingress: [{ports: [{protocol: on}]}]}\n", "STDIN: networkpolicy prod/x: spec.ingress.ports.protocol: expected a string, not a boolean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readString(t, tc.manifest)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s", err, tc.want)
			}
			for _, goName := range []string{"Go ", "typeMeta", "v1.", "load."} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("error %q names Go types (%q)", err, goName)
				}
			}
		})
	}
}
