package load

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kustomizeFixture is the microservices-demo-style kustomize setup: a base,
// a dev and a prod overlay, and a network-policies component prod uses.
var kustomizeFixture = filepath.Join("..", "..", "testdata", "kustomize")

func TestKustomizeRendersWhatKubectlApplyKWould(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		dirs  []string
		want  []string
		count int
	}{
		{
			name: "the prod overlay: its namespace on every object, the component's policies, selectors relabelled",
			dirs: []string{filepath.Join(kustomizeFixture, "overlays", "prod")},
			want: []string{
				"Namespace /prod",
				"Service prod/cartservice", "Service prod/checkoutservice", "Service prod/frontend", "Service prod/productcatalogservice", "Service prod/redis-cart",
				"Deployment prod/cartservice", "Deployment prod/checkoutservice", "Deployment prod/frontend", "Deployment prod/loadgenerator", "Deployment prod/productcatalogservice", "Deployment prod/redis-cart",
				"NetworkPolicy prod/cartservice", "NetworkPolicy prod/checkoutservice", "NetworkPolicy prod/deny-all", "NetworkPolicy prod/frontend", "NetworkPolicy prod/loadgenerator", "NetworkPolicy prod/productcatalogservice", "NetworkPolicy prod/redis-cart",
			},
		},
		{
			name:  "plain manifests, then two overlays",
			files: []string{filepath.Join(kustomizeFixture, "..", "helm", "cluster.yaml")},
			dirs:  []string{filepath.Join(kustomizeFixture, "overlays", "dev"), filepath.Join(kustomizeFixture, "overlays", "prod")},
			// cluster.yaml's 7 objects first, then dev's 12 (it has no
			// policies), then prod's 19.
			count: 7 + 12 + 19,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Manifests(Source{Filenames: tc.files, Kustomizations: tc.dirs, Namespace: "default"}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(objs)
			if tc.want == nil {
				if len(got) != tc.count || got[0] != "Namespace /shop" || got[7] != "Namespace /dev" || got[19] != "Namespace /prod" {
					t.Errorf("read %q, want %d objects: cluster.yaml's, dev's, prod's", got, tc.count)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKustomizeRelabelsPolicySelectorsWithTheWorkloads(t *testing.T) {
	b, err := Kustomize(filepath.Join(kustomizeFixture, "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	// includeSelectors: the policies select the relabelled pods, as
	// reading the base's files one by one never would.
	for _, want := range []string{"env: prod", "namespace: prod", "replicas: 3"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("rendered prod overlay does not hold %q", want)
		}
	}
}

func TestKustomizeErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"plain/a.yaml":                 namespaceA,
		"broken/kustomization.yaml":    "resources:\n- missing.yaml\n",
		"notadir.yaml":                 namespaceA,
		"empty/kustomization.yaml":     "resources:\n- none.yaml\n",
		"empty/none.yaml":              "# nothing yet\n",
		"onlysa/kustomization.yaml":    "resources:\n- sa.yaml\n",
		"onlysa/sa.yaml":               "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n",
		"malformed/kustomization.yaml": "resources: [\n",
	})
	for _, tc := range []struct {
		name, dir string
		want      string
	}{
		{"a path that does not exist", "nope", `the path "` + dir + `/nope" does not exist`},
		{"a file", "notadir.yaml", "not a directory: -k takes a directory holding a kustomization.yaml"},
		{"a directory without a kustomization", "plain", "holds no kustomization.yaml, kustomization.yml or Kustomization (use -f for plain manifests)"},
		{"a kustomization naming a file that is not there", "broken", "kustomize " + dir + "/broken: accumulating resources"},
		{"a kustomization that is not YAML", "malformed", "kustomize " + dir + "/malformed:"},
		{"a kustomization that renders nothing", "empty", "no objects rendered from kustomize " + dir + "/empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Manifests(Source{Kustomizations: []string{filepath.Join(dir, tc.dir)}}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q", err, tc.want)
			}
		})
	}
	t.Run("a kustomization of kinds not read is not an error", func(t *testing.T) {
		// A ServiceAccount cannot change a verdict: skipped silently
		// (skipped.go), but it counts as rendered.
		var warn strings.Builder
		if _, err := Manifests(Source{Kustomizations: []string{filepath.Join(dir, "onlysa")}}, &warn); err != nil {
			t.Fatal(err)
		}
		if warn.Len() != 0 {
			t.Errorf("warnings %q for a ServiceAccount", warn.String())
		}
	})
}

func TestFilenamesRefuseWhatIsRendered(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"app/kustomization.yaml":           "resources:\n- a.yaml\n",
		"app/a.yaml":                       namespaceA,
		"yml/kustomization.yml":            "resources: []\n",
		"capital/Kustomization":            "resources: []\n",
		"repo/plain/a.yaml":                namespaceA,
		"repo/overlays/kustomization.yaml": "resources: []\n",
		"chart/Chart.yaml":                 "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"chart.tgz":                        "not really",
	})
	for _, tc := range []struct {
		name      string
		path      string
		recursive bool
		want      string
	}{
		{"a directory holding kustomization.yaml", "app", false, dir + "/app is a kustomize directory: use -k " + dir + "/app"},
		{"a directory holding kustomization.yml", "yml", false, "yml is a kustomize directory: use -k"},
		{"a directory holding Kustomization", "capital", false, "capital is a kustomize directory: use -k"},
		{"a kustomization file", "app/kustomization.yaml", false, dir + "/app is a kustomize directory: use -k " + dir + "/app"},
		{"a kustomize directory found with -R", "repo", true, dir + "/repo/overlays is a kustomize directory: use -k " + dir + "/repo/overlays"},
		{"a chart directory", "chart", false, dir + "/chart is a Helm chart: use --helm " + dir + "/chart"},
		{"a packaged chart", "chart.tgz", false, dir + "/chart.tgz is a packaged Helm chart: use --helm " + dir + "/chart.tgz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readPaths(t, tc.recursive, filepath.Join(dir, tc.path))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q", err, tc.want)
			}
		})
	}
	t.Run("without -R a kustomize directory below is not looked at", func(t *testing.T) {
		got, _, err := readPaths(t, false, filepath.Join(dir, "repo", "plain"), filepath.Join(dir, "repo"))
		if err == nil || !strings.Contains(err.Error(), "no objects read from") {
			t.Fatalf("read %q, error %v: want only that repo holds no manifests", got, err)
		}
	})
}
