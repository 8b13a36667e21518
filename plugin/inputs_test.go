package plugin

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
)

var (
	kustomizeDir = filepath.Join("..", "testdata", "kustomize")
	shopChart    = filepath.Join("..", "testdata", "helm", "shop")
	// shopCluster is what the shop chart is installed next to: the
	// namespaces its policies name, with pods in them.
	shopCluster = filepath.Join("..", "testdata", "helm", "cluster.yaml")
)

// renderedGolden is where the rendered YAML of a fixture is checked in.
func renderedGolden(name string) string {
	return filepath.Join("..", "testdata", "golden", "render", name)
}

// renderedCase is a kustomization or chart, how kubectl netpol is told to
// render it, and how its rendered YAML is read as plain manifests.
type renderedCase struct {
	name string
	// render renders the YAML checked in as the golden file name.
	render func() ([]byte, error)
	golden string
	// args read the input rendered; plain the golden YAML instead. Both
	// come after the command and before its arguments.
	args, plain []string
	// queries are commands whose answers must be the same either way.
	queries [][]string
}

var renderedCases = []renderedCase{
	{
		name:   "the prod overlay with the network-policies component",
		render: func() ([]byte, error) { return load.Kustomize(filepath.Join(kustomizeDir, "overlays", "prod")) },
		golden: "kustomize-prod.yaml",
		args:   []string{"-k", filepath.Join(kustomizeDir, "overlays", "prod")},
		queries: [][]string{
			{"map", "-o", "json"},
			{"audit", "-o", "json"},
			{"can", "prod/deploy/loadgenerator", "prod/deploy/frontend:8080"},
			{"can", "prod/deploy/loadgenerator", "prod/deploy/redis-cart:6379"},
			{"can", "prod/deploy/cartservice", "prod/svc/redis-cart:redis"},
			{"explain", "prod/deploy/checkoutservice", "-o", "json"},
		},
	},
	{
		name:    "the dev overlay, without policies",
		render:  func() ([]byte, error) { return load.Kustomize(filepath.Join(kustomizeDir, "overlays", "dev")) },
		golden:  "kustomize-dev.yaml",
		args:    []string{"-k", filepath.Join(kustomizeDir, "overlays", "dev")},
		queries: [][]string{{"map", "-o", "json"}, {"can", "dev/deploy/loadgenerator", "dev/deploy/redis-cart:6379"}},
	},
	{
		name:   "the shop chart with its values, next to the cluster's other namespaces",
		render: shopRender(),
		golden: "helm-shop.yaml",
		args:   []string{"--helm", shopChart, "-n", "shop", "-f", shopCluster},
		queries: [][]string{
			{"map", "-o", "json"},
			{"audit", "-o", "json"},
			{"can", "ingress-nginx/deploy/ingress-nginx-controller", "shop/deploy/release-name-shop-web:http"},
			{"can", "monitoring/sts/prometheus", "shop/deploy/release-name-shop-api:9090"},
			{"can", "shop/deploy/release-name-shop-web", "shop/sts/release-name-shop-db:5432"},
		},
	},
	{
		name:   "the shop chart with the prod values file",
		render: shopRender(filepath.Join(shopChart, "values-prod.yaml")),
		golden: "helm-shop-prod.yaml",
		args:   []string{"--helm", shopChart, "--values", filepath.Join(shopChart, "values-prod.yaml"), "-n", "shop", "-f", shopCluster},
		queries: [][]string{
			{"map", "-o", "json"},
			{"can", "monitoring/sts/prometheus", "shop/deploy/release-name-shop-api:9090"},
		},
	},
}

// shopRender renders the shop chart as --helm does with -n shop.
func shopRender(values ...string) func() ([]byte, error) {
	return func() ([]byte, error) {
		return load.Chart{Path: shopChart, ValuesFiles: values, ReleaseName: defaultReleaseName, Namespace: "shop",
			KubeVersion: load.DefaultKubeVersion, KubeVersionFrom: "the default --kube-version"}.Render(io.Discard)
	}
}

// TestRenderedInputsAnswerAsTheirYAML checks the rendered YAML in (as
// "kubectl kustomize" and "helm template" print it) and that every answer
// on -k or --helm is the answer on that YAML given with -f.
func TestRenderedInputsAnswerAsTheirYAML(t *testing.T) {
	for _, tc := range renderedCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.render()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("render", tc.golden), string(b))
			plain := []string{"-f", renderedGolden(tc.golden)}
			if strings.HasPrefix(tc.golden, "helm") {
				plain = append(plain, "-n", "shop", "-f", shopCluster)
			}
			for _, q := range tc.queries {
				rendered := run(t, "", append(append([]string{q[0]}, tc.args...), q[1:]...)...)
				fromYAML := run(t, "", append(append([]string{q[0]}, plain...), q[1:]...)...)
				if rendered.code == ExitError {
					t.Fatalf("%s: %s", strings.Join(q, " "), rendered.stderr)
				}
				if diff := cmp.Diff(fromYAML.stdout, rendered.stdout); diff != "" || rendered.code != fromYAML.code {
					t.Errorf("%s: exit %d rendered, %d on the YAML; output (-yaml +rendered):\n%s", strings.Join(q, " "), rendered.code, fromYAML.code, diff)
				}
			}
		})
	}
}

func TestHelmValuesChangeTheAnswers(t *testing.T) {
	prod := filepath.Join(shopChart, "values-prod.yaml")
	scrape := []string{"monitoring/sts/prometheus", "shop/deploy/release-name-shop-api:9090"}
	for _, tc := range []struct {
		name  string
		flags []string
		can   []string
		want  int
	}{
		{"the chart's values: Prometheus may not scrape the api", nil, scrape, ExitNo},
		{"the prod values file lets it", []string{"--values", prod}, scrape, ExitOK},
		{"--set wins over the values file", []string{"--values", prod, "--set", "networkPolicy.metrics.enabled=false"}, scrape, ExitNo},
		{"the web tier may not reach the database", nil, []string{"shop/deploy/release-name-shop-web", "shop/sts/release-name-shop-db:5432"}, ExitNo},
		{"without the chart's policies it may", []string{"--set", "networkPolicy.enabled=false"}, []string{"shop/deploy/release-name-shop-web", "shop/sts/release-name-shop-db:5432"}, ExitOK},
		{"the release name names the workloads", []string{"--release-name", "prod"}, []string{"ingress-nginx/deploy/ingress-nginx-controller", "shop/deploy/prod-shop-web:8080"}, ExitOK},
		{"another ingress namespace shuts out ingress-nginx", []string{"--set", "networkPolicy.ingressNamespace=traefik"}, []string{"ingress-nginx/deploy/ingress-nginx-controller", "shop/deploy/release-name-shop-web:8080"}, ExitNo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"can", "-q", "--helm", shopChart, "-n", "shop", "-f", shopCluster}, tc.flags...)
			r := run(t, "", append(args, tc.can...)...)
			if r.code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.want, r.stderr)
			}
		})
	}
}

func TestHelmHooksAreNotTheSteadyState(t *testing.T) {
	r := run(t, "", "map", "--helm", shopChart, "-n", "shop")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	note := "Note: " + shopChart + ": left out 2 Helm hook(s), which run around an install, upgrade or test and are no part of the steady state: job shop/release-name-shop-migrate (pre-install,pre-upgrade), pod shop/release-name-shop-test-connection (test)\n"
	if !strings.Contains(r.stderr, note) {
		t.Errorf("stderr does not hold the note %q:\n%s", note, r.stderr)
	}
	if strings.Contains(r.stdout, "migrate") || strings.Contains(r.stdout, "test-connection") {
		t.Errorf("a hook is in the map:\n%s", r.stdout)
	}
	r = run(t, "", "can", "--helm", shopChart, "-n", "shop", "shop/job/release-name-shop-migrate", "shop/sts/release-name-shop-db:5432")
	if r.code != ExitError || !strings.Contains(r.stderr, "release-name-shop-migrate") {
		t.Errorf("the hook Job is an endpoint: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestWithRendersKustomizeDirectoriesAndCharts(t *testing.T) {
	prod := filepath.Join(kustomizeDir, "overlays", "prod")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"the overlay over its own rendering changes nothing", []string{"diff", "-f", renderedGolden("kustomize-prod.yaml"), "--with", prod}, ExitOK},
		{"the chart over its own rendering changes nothing", []string{"diff", "-f", renderedGolden("helm-shop.yaml"), "-f", shopCluster, "-n", "shop", "--with", shopChart}, ExitOK},
		{"the chart with other values is a change", []string{"diff", "-f", renderedGolden("helm-shop.yaml"), "-f", shopCluster, "-n", "shop", "--with", shopChart, "--set", "networkPolicy.ingressNamespace=traefik"}, ExitNo},
		{"the overlay over dev adds prod", []string{"diff", "-k", filepath.Join(kustomizeDir, "overlays", "dev"), "--with", prod}, ExitNo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append(tc.args, "-q")...)
			if r.code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.want, r.stderr)
			}
		})
	}
}

func TestFilenameURLReadsAsTheFile(t *testing.T) {
	file := renderedGolden("kustomize-prod.yaml")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prod.yaml" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, file)
	}))
	defer srv.Close()
	fromURL := run(t, "", "map", "-o", "json", "-f", srv.URL+"/prod.yaml")
	fromFile := run(t, "", "map", "-o", "json", "-f", file)
	if fromURL.code != ExitOK {
		t.Fatalf("exit %d: %s", fromURL.code, fromURL.stderr)
	}
	if diff := cmp.Diff(fromFile.stdout, fromURL.stdout); diff != "" {
		t.Errorf("map of the URL (-file +url):\n%s", diff)
	}
	r := run(t, "", "map", "-f", srv.URL+"/nope.yaml")
	if want := fmt.Sprintf("error: read %s/nope.yaml: the server answered 404 Not Found\n", srv.URL); r.code != ExitError || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
}

func TestInputErrors(t *testing.T) {
	prod := filepath.Join(kustomizeDir, "overlays", "prod")
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"-f on a kustomize directory", []string{"map", "-f", prod}, prod + " is a kustomize directory: use -k " + prod},
		{"-f on a kustomization file", []string{"map", "-f", filepath.Join(prod, "kustomization.yaml")}, prod + " is a kustomize directory: use -k " + prod},
		{"-f on a chart", []string{"map", "-f", shopChart}, shopChart + " is a Helm chart: use --helm " + shopChart},
		{"-k on plain manifests", []string{"map", "-k", filepath.Dir(shopCluster)}, "-k " + filepath.Dir(shopCluster) + ": the directory holds no kustomization.yaml, kustomization.yml or Kustomization (use -f for plain manifests)"},
		{"-k on nothing", []string{"map", "-k", missing}, fmt.Sprintf("the path %q does not exist", missing)},
		{"--helm on a kustomize directory", []string{"map", "--helm", prod}, "--helm " + prod + ": the directory holds no Chart.yaml: not a Helm chart"},
		{"a missing values file", []string{"map", "--helm", shopChart, "--values", missing}, "--values: open " + missing + ": no such file or directory"},
		{"a bad --set", []string{"map", "--helm", shopChart, "--set", "networkPolicy.enabled"}, `--set networkPolicy.enabled: key "enabled" has no value`},
		{"chart flags without a chart", []string{"map", "-f", shopCluster, "--values", missing, "--set", "a=b"}, "--values, --set: no Helm chart to render with it (give --helm CHART)"},
		{"a Kubernetes version the chart refuses", []string{"map", "--helm", shopChart, "--kube-version", "1.26"}, "helm chart " + shopChart + " requires kubeVersion >=1.27.0-0, which Kubernetes v1.26 (--kube-version) is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			if want := "error: " + tc.want + "\n"; r.code != ExitError || r.stderr != want {
				t.Errorf("exit %d, stderr %q; want 2 and the one line %q", r.code, r.stderr, want)
			}
		})
	}
	t.Run("two charts", func(t *testing.T) {
		r := run(t, "", "map", "--helm", shopChart, "--helm", prod)
		if r.code != ExitError || !strings.Contains(r.stderr, "given twice: one chart per run") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestKustomizeCompletesDirectories(t *testing.T) {
	for flag, want := range map[string]string{"--kustomize": ":16\n", "-k": ":16\n", "--helm": "tgz\n:8\n", "--values": "yaml\nyml\njson\n:8\n"} {
		r := run(t, "", "__complete", "map", flag, "")
		if !strings.HasPrefix(r.stdout, want) {
			t.Errorf("completing %s: %q, want %q (directories for -k; .tgz and directories for --helm)", flag, r.stdout, want)
		}
	}
}

// copyTree copies the directory src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// versionedAPIServer serves an empty cluster (one namespace, no policies)
// whose /version is version.
func versionedAPIServer(t *testing.T, version string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/version":
			fmt.Fprintf(w, `{"major":"1","minor":"x","gitVersion":%q}`, version)
		case strings.HasPrefix(r.URL.Path, "/apis/policy.networking.k8s.io"):
			http.NotFound(w, r)
		case r.URL.Path == "/apis":
			fmt.Fprint(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`)
		case r.URL.Path == "/api/v1/namespaces":
			fmt.Fprint(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"shop"}}]}`)
		default:
			fmt.Fprint(w, `{"kind":"List","apiVersion":"v1","metadata":{},"items":[]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestChartOnAClusterSeesItsVersion: a chart given to --with on a live
// cluster is rendered for the cluster's Kubernetes version, unless
// --kube-version says otherwise.
func TestChartOnAClusterSeesItsVersion(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		flags         []string
		want          int
		wantErr       string
	}{
		{name: "a cluster the chart accepts", version: "v1.31.2-gke.1000", want: ExitNo},
		{name: "a cluster too old for the chart", version: "v1.26.3", wantErr: "error: --with: helm chart " + shopChart + " requires kubeVersion >=1.27.0-0, which Kubernetes v1.26.3 (the cluster's version) is not\n"},
		{name: "--kube-version over the cluster's", version: "v1.26.3", flags: []string{"--kube-version", "v1.30.0"}, want: ExitNo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := versionedAPIServer(t, tc.version)
			args := append([]string{"diff", "-q", "--no-cni-check", "--server", srv.URL, "-n", "shop", "--with", shopChart}, tc.flags...)
			r := run(t, "", args...)
			if tc.wantErr != "" {
				if r.code != ExitError || !strings.HasSuffix(r.stderr, tc.wantErr) {
					t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.wantErr)
				}
				return
			}
			if r.code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.want, r.stderr)
			}
		})
	}
}
