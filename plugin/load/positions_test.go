package load

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// positionFiles are manifests written as people write them: comments and
// separators before documents, a YAML anchor, a List, a JSON file.
var positionFiles = map[string]string{
	"policies.yaml": `# The shop's policies.
---
# Default deny first.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: prod
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: prod
spec:
  podSelector:
    matchLabels: &db {role: db}
  ingress:
  - from:
    - podSelector:
        matchLabels: {role: api}
    - namespaceSelector: {}
      podSelector:
        matchLabels: *db
    ports:
    - port: 3306
`,
	"list.yaml": `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: prod
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: prod
  spec:
    selector:
      matchLabels: {role: api}
    template:
      metadata:
        labels: {role: api}
      spec:
        containers:
        - name: api
          image: api
`,
	"web.json": `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web", "namespace": "dev"},
  "spec": {
    "containers": [{"name": "web", "image": "web"}]
  }
}
`,
}

// TestPositions pins where objects and their fields are found: the line of
// a field's key or list item, the deepest written part of a path that goes
// on into defaults, items of a List, JSON.
func TestPositions(t *testing.T) {
	dir := writeFiles(t, positionFiles)
	var pos Positions
	if _, err := Manifests(Source{Filenames: []string{dir}, Namespace: "default", Positions: &pos}, io.Discard); err != nil {
		t.Fatal(err)
	}
	policies, list, web := filepath.Join(dir, "policies.yaml"), filepath.Join(dir, "list.yaml"), filepath.Join(dir, "web.json")
	tests := []struct {
		name                 string
		kind, namespace, obj string
		field                string
		want                 Position
	}{
		{"an object is at its first field, past comments and separators", "NetworkPolicy", "prod", "default-deny", "", Position{policies, 4, 1}},
		{"a field is at its key", "NetworkPolicy", "prod", "default-deny", "spec.podSelector", Position{policies, 10, 3}},
		{"the second document counts the first's lines", "NetworkPolicy", "prod", "db", "", Position{policies, 13, 1}},
		{"a rule is at its list item", "NetworkPolicy", "prod", "db", "spec.ingress[0]", Position{policies, 22, 5}},
		{"a peer is at its list item", "NetworkPolicy", "prod", "db", "spec.ingress[0].from[1]", Position{policies, 25, 7}},
		{"a field of a peer", "NetworkPolicy", "prod", "db", "spec.ingress[0].from[1].namespaceSelector", Position{policies, 25, 7}},
		{"through an alias", "NetworkPolicy", "prod", "db", "spec.ingress[0].from[1].podSelector.matchLabels.role", Position{policies, 27, 9}},
		{"a port", "NetworkPolicy", "prod", "db", "spec.ingress[0].ports[0]", Position{policies, 29, 7}},
		{"a field left to its default is at the deepest written part", "NetworkPolicy", "prod", "default-deny", "spec.egress[0].to[0]", Position{policies, 9, 1}},
		{"an index past the end is at the list", "NetworkPolicy", "prod", "db", "spec.ingress[3]", Position{policies, 21, 3}},
		{"an item of a List", "Deployment", "prod", "api", "", Position{list, 8, 3}},
		{"a field of an item of a List", "Deployment", "prod", "api", "spec.template", Position{list, 16, 5}},
		{"a Namespace in a List, named as findings name it", "namespace", "", "prod", "", Position{list, 4, 3}},
		{"JSON", "Pod", "dev", "web", "spec.containers[0]", Position{web, 6, 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pos.Field(tc.kind, tc.namespace, tc.obj, tc.field)
			if !ok {
				t.Fatalf("%s %s/%s not recorded", tc.kind, tc.namespace, tc.obj)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a namespace without its own object is at its first object", func(t *testing.T) {
		got, ok := pos.FirstIn("dev")
		if want := (Position{web, 1, 1}); !ok || got != want {
			t.Errorf("FirstIn(dev) = %+v, %v; want %+v", got, ok, want)
		}
		got, ok = pos.FirstIn("prod")
		if want := (Position{list, 4, 3}); !ok || got != want {
			t.Errorf("FirstIn(prod) = %+v, %v; want the Namespace at %+v", got, ok, want)
		}
	})
	t.Run("an object not read is not found", func(t *testing.T) {
		if got, ok := pos.Object("NetworkPolicy", "prod", "nope"); ok {
			t.Errorf("found at %+v", got)
		}
		if got, ok := pos.FirstIn("test"); ok {
			t.Errorf("namespace test found at %+v", got)
		}
	})
}

// TestPositionsStdinHasNoFile: standard input is no file a finding could
// point at.
func TestPositionsStdinHasNoFile(t *testing.T) {
	var pos Positions
	src := Source{Filenames: []string{"-"}, Stdin: strings.NewReader(positionFiles["web.json"]), Namespace: "default", Positions: &pos}
	if _, err := Manifests(src, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, ok := pos.Object("Pod", "dev", "web"); ok {
		t.Errorf("found at %+v", got)
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		path string
		want []pathSegment
	}{
		{"", nil},
		{"spec.podSelector", []pathSegment{{key: "spec"}, {key: "podSelector"}}},
		{"spec.ingress[0].from[12]", []pathSegment{{key: "spec"}, {key: "ingress"}, {index: 0}, {key: "from"}, {index: 12}}},
		{"specs[1][2]", []pathSegment{{key: "specs"}, {index: 1}, {index: 2}}},
		{"spec.ingress[x].from", []pathSegment{{key: "spec"}, {key: "ingress"}}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, splitPath(tc.path), cmp.AllowUnexported(pathSegment{})); diff != "" {
			t.Errorf("splitPath(%q) (-want +got):\n%s", tc.path, diff)
		}
	}
}
