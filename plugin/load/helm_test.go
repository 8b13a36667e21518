package load

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// shopChart is the Helm chart fixture: a web, api and db tier, its
// NetworkPolicies behind values toggles, a migration hook and a test hook.
var shopChart = filepath.Join("..", "..", "testdata", "helm", "shop")

// readChart reads the chart c, with the notes it printed.
func readChart(t *testing.T, c Chart) ([]runtime.Object, string, error) {
	t.Helper()
	if c.ReleaseName == "" {
		c.ReleaseName = "release-name"
	}
	if c.Namespace == "" {
		c.Namespace = "shop"
	}
	if c.KubeVersion == "" {
		c.KubeVersion, c.KubeVersionFrom = DefaultKubeVersion, "the default --kube-version"
	}
	var warn strings.Builder
	objs, err := Manifests(Source{Charts: []Chart{c}, Namespace: c.Namespace}, &warn)
	return objs, warn.String(), err
}

// policy is the NetworkPolicy named name among objs, or nil.
func policy(objs []runtime.Object, name string) *networkingv1.NetworkPolicy {
	for _, o := range objs {
		if p, ok := o.(*networkingv1.NetworkPolicy); ok && p.Name == name {
			return p
		}
	}
	return nil
}

func TestChartRendersItsSteadyState(t *testing.T) {
	objs, notes, err := readChart(t, Chart{Path: shopChart})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Deployment shop/release-name-shop-api", "Service shop/release-name-shop-api",
		"StatefulSet shop/release-name-shop-db", "Service shop/release-name-shop-db",
		"NetworkPolicy shop/release-name-shop-default-deny", "NetworkPolicy shop/release-name-shop-web", "NetworkPolicy shop/release-name-shop-api", "NetworkPolicy shop/release-name-shop-db",
		"Deployment shop/release-name-shop-web", "Service shop/release-name-shop-web",
	}
	if diff := cmp.Diff(want, ids(objs)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	wantNote := "Note: " + shopChart + ": left out 2 Helm hook(s), which run around an install, upgrade or test and are no part of the steady state: job shop/release-name-shop-migrate (pre-install,pre-upgrade), pod shop/release-name-shop-test-connection (test)\n"
	if diff := cmp.Diff(wantNote, notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestChartValues(t *testing.T) {
	prod := filepath.Join(shopChart, "values-prod.yaml")
	for _, tc := range []struct {
		name   string
		chart  Chart
		check  func(objs []runtime.Object) string
		noHook bool
	}{
		{
			name:  "the chart's values: the api admits the web tier only",
			chart: Chart{Path: shopChart},
			check: apiIngressRules(1),
		},
		{
			name:  "a values file turns the metrics rule on",
			chart: Chart{Path: shopChart, ValuesFiles: []string{prod}},
			check: apiIngressRules(2),
		},
		{
			name:  "--set wins over a values file",
			chart: Chart{Path: shopChart, ValuesFiles: []string{prod}, Set: []string{"networkPolicy.metrics.enabled=false"}},
			check: apiIngressRules(1),
		},
		{
			name:  "a later --set wins over an earlier one",
			chart: Chart{Path: shopChart, Set: []string{"networkPolicy.metrics.enabled=true", "networkPolicy.metrics.enabled=false"}},
			check: apiIngressRules(1),
		},
		{
			name:  "a later values file wins over an earlier one, key by key",
			chart: Chart{Path: shopChart, ValuesFiles: []string{prod, writeValues(t, "networkPolicy:\n  ingressNamespace: traefik\n")}},
			check: func(objs []runtime.Object) string {
				web := policy(objs, "release-name-shop-web")
				if got := web.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]; got != "traefik" {
					return "the web tier admits " + got + ", want traefik"
				}
				return apiIngressRules(2)(objs) // the first file's metrics are still on
			},
		},
		{
			name:  "policies toggled off",
			chart: Chart{Path: shopChart, Set: []string{"networkPolicy.enabled=false"}},
			check: func(objs []runtime.Object) string {
				for _, o := range objs {
					if _, ok := o.(*networkingv1.NetworkPolicy); ok {
						return "a NetworkPolicy is rendered with networkPolicy.enabled=false"
					}
				}
				return ""
			},
		},
		{
			name:  "the release name and namespace name the objects",
			chart: Chart{Path: shopChart, ReleaseName: "prod", Namespace: "store"},
			check: func(objs []runtime.Object) string {
				if p := policy(objs, "prod-shop-api"); p == nil || p.Namespace != "store" {
					return "no NetworkPolicy store/prod-shop-api"
				}
				return ""
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, _, err := readChart(t, tc.chart)
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(objs); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// apiIngressRules checks that the api's policy has n ingress rules.
func apiIngressRules(n int) func([]runtime.Object) string {
	return func(objs []runtime.Object) string {
		for _, o := range objs {
			if p, ok := o.(*networkingv1.NetworkPolicy); ok && strings.HasSuffix(p.Name, "-shop-api") {
				if len(p.Spec.Ingress) != n {
					return fmt.Sprintf("the api's policy has %d ingress rules, want %d", len(p.Spec.Ingress), n)
				}
				return ""
			}
		}
		return "no policy for the api"
	}
}

// writeValues writes a values file.
func writeValues(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPackagedChartReadsAsItsDirectory(t *testing.T) {
	tgz := packageChart(t, shopChart)
	fromDir, _, err := readChart(t, Chart{Path: shopChart})
	if err != nil {
		t.Fatal(err)
	}
	fromTgz, notes, err := readChart(t, Chart{Path: tgz})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(fromDir), ids(fromTgz)); diff != "" {
		t.Errorf("objects of the .tgz (-dir +tgz):\n%s", diff)
	}
	if !strings.Contains(notes, tgz+": left out 2 Helm hook(s)") {
		t.Errorf("notes %q do not name the .tgz", notes)
	}
}

// packageChart writes the chart in dir as "helm package" would: a gzipped
// tar of its files under the chart's name.
func packageChart(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "shop-1.4.0.tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: "shop/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	for _, c := range []io.Closer{tw, zw, f} {
		if e := c.Close(); err == nil {
			err = e
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChartErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"nochart/values.yaml":          "a: 1\n",
		"badmeta/Chart.yaml":           "apiVersion: v2\nname: [\n",
		"failing/Chart.yaml":           "apiVersion: v2\nname: failing\nversion: 0.1.0\n",
		"failing/templates/a.yaml":     `{{ fail "set image.tag" }}`,
		"notyaml/Chart.yaml":           "apiVersion: v2\nname: notyaml\nversion: 0.1.0\n",
		"notyaml/templates/a.yaml":     "kind: [\n",
		"onlyhooks/Chart.yaml":         "apiVersion: v2\nname: onlyhooks\nversion: 0.1.0\n",
		"onlyhooks/templates/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations: {helm.sh/hook: post-install}\n",
		"badvalues.yaml":               "a: [\n",
	})
	for _, tc := range []struct {
		name  string
		chart Chart
		want  string
	}{
		{"a path that does not exist", Chart{Path: filepath.Join(dir, "nope")}, `the path "` + dir + `/nope" does not exist`},
		{"a directory without Chart.yaml", Chart{Path: filepath.Join(dir, "nochart")}, "--helm " + dir + "/nochart: the directory holds no Chart.yaml: not a Helm chart"},
		{"a Chart.yaml that is not YAML", Chart{Path: filepath.Join(dir, "badmeta")}, "--helm " + dir + "/badmeta: not a valid Helm chart:"},
		{"a .tgz that is not one", Chart{Path: filepath.Join(dir, "badvalues.yaml")}, "not a valid Helm chart"},
		{"a missing values file", Chart{Path: shopChart, ValuesFiles: []string{filepath.Join(dir, "missing.yaml")}}, "--values: open " + dir + "/missing.yaml: no such file or directory"},
		{"a values file that is not YAML", Chart{Path: shopChart, ValuesFiles: []string{filepath.Join(dir, "badvalues.yaml")}}, "--values " + dir + "/badvalues.yaml:"},
		{"a --set without a value", Chart{Path: shopChart, Set: []string{"networkPolicy.enabled"}}, `--set networkPolicy.enabled: key "enabled" has no value`},
		{"a --set with a bad index", Chart{Path: shopChart, Set: []string{"a[x]=1"}}, "--set a[x]=1:"},
		{"a Kubernetes version that is not one", Chart{Path: shopChart, KubeVersion: "latest", KubeVersionFrom: "--kube-version"}, `--kube-version: "latest" is not a Kubernetes version (like v1.33.0)`},
		{"a Kubernetes version the chart refuses", Chart{Path: shopChart, KubeVersion: "v1.25.3", KubeVersionFrom: "--kube-version"}, "helm chart " + shopChart + " requires kubeVersion >=1.27.0-0, which Kubernetes v1.25.3 (--kube-version) is not"},
		{"a template that fails", Chart{Path: filepath.Join(dir, "failing")}, "helm chart " + dir + "/failing: execution error at (failing/templates/a.yaml:1:3): set image.tag"},
		{"a template that renders no YAML", Chart{Path: filepath.Join(dir, "notyaml")}, "helm chart " + dir + "/notyaml: YAML parse error on notyaml/templates/a.yaml"},
		{"a chart of hooks only", Chart{Path: filepath.Join(dir, "onlyhooks")}, "no objects rendered from helm chart " + dir + "/onlyhooks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readChart(t, tc.chart)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
		})
	}
}

func TestMergeValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b map[string]any
		want map[string]any
	}{
		{"maps merge key by key", map[string]any{"x": map[string]any{"a": 1, "b": 2}}, map[string]any{"x": map[string]any{"b": 3}}, map[string]any{"x": map[string]any{"a": 1, "b": 3}}},
		{"a list replaces a list", map[string]any{"x": []any{1, 2}}, map[string]any{"x": []any{3}}, map[string]any{"x": []any{3}}},
		{"a value replaces a map", map[string]any{"x": map[string]any{"a": 1}}, map[string]any{"x": "off"}, map[string]any{"x": "off"}},
		{"a map replaces a value", map[string]any{"x": "off"}, map[string]any{"x": map[string]any{"a": 1}}, map[string]any{"x": map[string]any{"a": 1}}},
		{"keys of either are kept", map[string]any{"a": 1}, map[string]any{"b": 2}, map[string]any{"a": 1, "b": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, mergeValues(tc.a, tc.b)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultKubeVersion keeps the version charts see offline that of the
// k8s.io libraries go.mod requires: v0.N of k8s.io/api is Kubernetes 1.N.
func TestDefaultKubeVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "k8s.io/api" {
			minor := strings.Split(strings.TrimPrefix(f[1], "v0."), ".")[0]
			if want := "v1." + minor + ".0"; DefaultKubeVersion != want {
				t.Errorf("DefaultKubeVersion is %s; k8s.io/api %s is Kubernetes %s", DefaultKubeVersion, f[1], want)
			}
			return
		}
	}
	t.Fatal("go.mod does not require k8s.io/api")
}
