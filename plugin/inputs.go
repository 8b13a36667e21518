package plugin

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/discovery"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
)

// inputFlags are the inputs rendered before they are read: kustomize
// directories (-k) and a Helm chart (--helm) with what it is rendered with.
type inputFlags struct {
	kustomize   []string
	helm        string
	values      []string
	set         []string
	releaseName string
	kubeVersion string
}

// defaultReleaseName is the release name charts are rendered with, that of
// "helm template" without a name, so that the objects are named as in its
// output.
const defaultReleaseName = "release-name"

func (f *inputFlags) addFlags(fs *pflag.FlagSet) {
	pathsVarP(fs, &f.kustomize, "kustomize", "k", "Read the kustomization in this directory, rendered as 'kubectl apply -k' does (repeatable, mixes with -f)")
	fs.Var(&onceString{v: &f.helm, what: "one chart per run"}, "helm", "Read this Helm chart (a directory or a .tgz), rendered in-process as 'helm template' does; hooks are left out. Mixes with -f and -k")
	fs.StringArrayVar(&f.values, "values", nil, "Values file for the Helm chart (repeatable; later files win)")
	fs.StringArrayVar(&f.set, "set", nil, "Set a value of the Helm chart, in helm's --set syntax (repeatable): KEY=VALUE, a.b=c, list={x,y}")
	fs.StringVar(&f.releaseName, "release-name", defaultReleaseName, "Release name the Helm chart is rendered with; the namespace is -n's")
	mustRegister(cobra.MarkFlagDirname(fs, "kustomize"))
	mustRegister(cobra.MarkFlagFilename(fs, "helm", "tgz"))
	mustRegister(cobra.MarkFlagFilename(fs, "values", "yaml", "yml", "json"))
	fs.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version the Helm chart's templates see (.Capabilities.KubeVersion). Default: the cluster's when one is read, else "+load.DefaultKubeVersion)
}

// given reports whether -k or --helm was given: the state is then read
// from the inputs, not the cluster.
func (f *inputFlags) given() bool { return len(f.kustomize) > 0 || f.helm != "" }

// chartFlags reports whether a flag that renders a chart was given.
func (f *inputFlags) chartFlags() bool {
	return len(f.values) > 0 || len(f.set) > 0 || f.releaseName != defaultReleaseName || f.kubeVersion != ""
}

// onceString is a string flag that may be given once (or twice the
// same, as cobra's completion parses a command line twice): a second
// value would otherwise replace the first silently.
type onceString struct {
	v    *string
	what string
}

func (s *onceString) String() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

func (s *onceString) Set(v string) error {
	if *s.v != "" && *s.v != v {
		return fmt.Errorf("given twice: %s", s.what)
	}
	if v == "" {
		return fmt.Errorf(`an empty path: give a chart directory or .tgz (is a variable unset?)`)
	}
	*s.v = v
	return nil
}

func (s *onceString) Type() string { return "string" }

// chart is the chart at path, rendered with the --values, --set and
// --release-name flags, in namespace ns, for the Kubernetes version
// --kube-version gives, else the cluster's when live, else the default.
func (g *globalOptions) chart(path, ns string, live bool) (load.Chart, error) {
	f := &g.snapshot.inputs
	c := load.Chart{Path: path, ValuesFiles: f.values, Set: f.set, ReleaseName: f.releaseName, Namespace: ns,
		KubeVersion: f.kubeVersion, KubeVersionFrom: "--kube-version"}
	switch {
	case f.kubeVersion != "":
	case live:
		v, err := g.serverVersion()
		if err != nil {
			return c, fmt.Errorf("render %s for the cluster's Kubernetes version: %w (give --kube-version)", path, err)
		}
		c.KubeVersion, c.KubeVersionFrom = v, "the cluster's version"
	default:
		c.KubeVersion, c.KubeVersionFrom = load.DefaultKubeVersion, "the default --kube-version"
	}
	return c, nil
}

// serverVersion is the Kubernetes version of the cluster the kubeconfig
// flags name, from its discovery document.
func (g *globalOptions) serverVersion() (string, error) {
	cfg, err := g.configFlags.ToRESTConfig()
	if err != nil {
		return "", err
	}
	d, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", err
	}
	v, err := d.ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

// classified are paths given to --with or --base, each taken for what it is:
// a kustomize directory is rendered as with -k, a Helm chart (a directory
// holding Chart.yaml, or a .tgz) as with --helm, anything else (files,
// directories, URLs, "-") read as with -f.
type classified struct {
	files, kustomize, charts []string
}

// classify sorts paths into what classified holds.
func classify(paths []string) classified {
	var r classified
	for _, p := range paths {
		if p == "-" || load.IsURL(p) {
			r.files = append(r.files, p)
			continue
		}
		info, err := os.Stat(p)
		switch {
		case err != nil:
			r.files = append(r.files, p) // the loader says what is wrong
		case info.IsDir() && load.KustomizationFile(p) != "":
			r.kustomize = append(r.kustomize, p)
		case info.IsDir() && load.IsChartDir(p):
			r.charts = append(r.charts, p)
		case !info.IsDir() && load.IsChartArchive(p):
			r.charts = append(r.charts, p)
		default:
			r.files = append(r.files, p)
		}
	}
	return r
}

// inputs are the -f manifests, -k kustomizations and --helm chart, the
// state read instead of a cluster's.
func (g *globalOptions) inputs() manifests {
	f := &g.snapshot.inputs
	m := g.manifests("-f", g.snapshot.filenames)
	m.kustomize = f.kustomize
	if f.helm != "" {
		m.charts = []string{f.helm}
	}
	m.flag = inputFlagNames(len(m.paths) > 0, len(m.kustomize) > 0, len(m.charts) > 0)
	m.chart = func(path, ns string) (load.Chart, error) { return g.chart(path, ns, false) }
	return m
}

// inputFlagNames names the flags that gave the inputs, for messages.
func inputFlagNames(files, kustomize, helm bool) string {
	var names []string
	for _, f := range []struct {
		given bool
		name  string
	}{{files, "-f"}, {kustomize, "-k"}, {helm, "--helm"}} {
		if f.given {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}

// detected are the paths given to flag (--with, --base) taken for what
// they are (classify); charts are rendered for the cluster's version when
// live.
func (g *globalOptions) detected(flag string, paths []string, live bool) manifests {
	r := classify(paths)
	m := g.manifests(flag, r.files)
	m.kustomize, m.charts = r.kustomize, r.charts
	m.chart = func(path, ns string) (load.Chart, error) { return g.chart(path, ns, live) }
	return m
}

// checkChartFlags refuses the flags a chart is rendered with when no
// chart is given: they would change nothing, silently.
func (g *globalOptions) checkChartFlags() error {
	f := &g.snapshot.inputs
	if !f.chartFlags() || f.helm != "" || len(classify(g.snapshot.with).charts)+len(classify(g.snapshot.base).charts) > 0 {
		return nil
	}
	var given []string
	for _, n := range []struct {
		name string
		set  bool
	}{{"--values", len(f.values) > 0}, {"--set", len(f.set) > 0}, {"--release-name", f.releaseName != defaultReleaseName}, {"--kube-version", f.kubeVersion != ""}} {
		if n.set {
			given = append(given, n.name)
		}
	}
	return fmt.Errorf("%s: no Helm chart to render with it (give --helm CHART)", strings.Join(given, ", "))
}
