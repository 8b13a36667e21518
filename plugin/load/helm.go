package load

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"
)

// DefaultKubeVersion is the Kubernetes version a chart is rendered for
// when no cluster is read and --kube-version is not given: the release of
// the k8s.io libraries kubectl netpol is built with (TestDefaultKubeVersion
// keeps the two together), so that charts that check
// .Capabilities.KubeVersion see a current cluster, not Helm's offline
// default of 1.20.
const DefaultKubeVersion = "v1.37.0"

// Chart is a Helm chart and what it is rendered with, as "helm template"
// takes them: values files, --set values, the release name and
// namespace, and the Kubernetes version the templates see.
type Chart struct {
	// Path is a chart directory or a packaged chart (.tgz).
	Path string
	// ValuesFiles are merged in order over the chart's values.yaml, then
	// Set over them (helm's --set syntax).
	ValuesFiles []string
	Set         []string
	ReleaseName string
	Namespace   string
	// KubeVersion is .Capabilities.KubeVersion; KubeVersionFrom names its
	// source for the errors of a chart that refuses it.
	KubeVersion     string
	KubeVersionFrom string
}

// IsChartDir reports whether dir is a Helm chart: a directory holding a
// Chart.yaml.
func IsChartDir(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && info.Mode().IsRegular()
}

// IsChartArchive reports whether path names a packaged Helm chart, by its
// extension (.tgz, .tar.gz), as "helm package" writes them.
func IsChartArchive(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz")
}

// render renders the chart in-process with Helm's chart loader and
// template engine, as "helm template" does (never talking to a cluster:
// lookup finds nothing). Objects with a helm.sh/hook annotation run and
// go around an install or a test; they are no part of the steady state,
// so they are left out, with a note on warn naming them. Each template
// file is one input, named after the chart and the template; shown names
// the chart in messages.
func (c Chart) render(warn io.Writer, shown string) (rendered, error) {
	what := "helm chart " + shown
	ch, err := c.load()
	if err != nil {
		return rendered{}, err
	}
	vals, err := c.values()
	if err != nil {
		return rendered{}, err
	}
	kv, err := common.ParseKubeVersion(c.KubeVersion)
	if err != nil {
		return rendered{}, fmt.Errorf("%s: %q is not a Kubernetes version (like v1.33.0): %w", c.KubeVersionFrom, c.KubeVersion, err)
	}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, kv.String()) {
		return rendered{}, fmt.Errorf("%s requires kubeVersion %s, which Kubernetes %s (%s) is not", what, ch.Metadata.KubeVersion, kv.Version, c.KubeVersionFrom)
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return rendered{}, fmt.Errorf("%s: dependencies: %w", what, err)
	}
	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	opts := common.ReleaseOptions{Name: c.ReleaseName, Namespace: c.Namespace, Revision: 1, IsInstall: true}
	top, err := util.ToRenderValues(ch, vals, opts, caps)
	if err != nil {
		return rendered{}, fmt.Errorf("%s: %w", what, err)
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return rendered{}, fmt.Errorf("%s: %w", what, err)
	}
	inputs, hooks, err := steadyState(files, c.Namespace)
	if err != nil {
		return rendered{}, fmt.Errorf("%s: %w", what, err)
	}
	if len(hooks) > 0 {
		fmt.Fprintf(warn, "Note: %s: left out %d Helm hook(s), which run around an install, upgrade or test and are no part of the steady state: %s\n", shown, len(hooks), strings.Join(hooks, ", "))
	}
	return rendered{what: what, inputs: inputs}, nil
}

// Render renders the chart as "helm template --no-hooks" prints it, with
// the hooks it leaves out noted on warn: the steady state kubectl netpol
// reads, for reviewing it or checking it in.
func (c Chart) Render(warn io.Writer) ([]byte, error) {
	r, err := c.render(warn, c.Path)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, in := range r.inputs {
		b.Write(in.data)
	}
	return b.Bytes(), nil
}

// load loads the chart, saying plainly what is wrong with a path that is
// not one.
func (c Chart) load() (*chart.Chart, error) {
	if c.Path == "" {
		return nil, fmt.Errorf(`--helm: an empty path: give a chart directory or .tgz (is a variable unset?)`)
	}
	info, err := os.Stat(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("the path %q does not exist", c.Path)
	case err != nil:
		return nil, err
	case info.IsDir() && !IsChartDir(c.Path):
		return nil, fmt.Errorf("--helm %s: the directory holds no Chart.yaml: not a Helm chart", c.Path)
	}
	ch, err := loader.Load(c.Path)
	if err != nil {
		return nil, fmt.Errorf("--helm %s: not a valid Helm chart: %w", c.Path, err)
	}
	return ch, nil
}

// values merges the values files in order, then the --set values, as helm
// does: maps merge key by key, anything else replaces.
func (c Chart) values() (map[string]any, error) {
	vals := map[string]any{}
	for _, f := range c.ValuesFiles {
		if f == "" {
			return nil, fmt.Errorf(`--values: an empty path (is a variable unset?)`)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--values: %w", err)
		}
		v := map[string]any{}
		if err := yaml.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("--values %s: %w", f, err)
		}
		vals = mergeValues(vals, v)
	}
	for _, s := range c.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("--set %s: %w", s, err)
		}
	}
	return vals, nil
}

// mergeValues merges b over a, as helm merges values files: maps key by
// key, anything else replaced.
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// hookAnnotation marks an object Helm runs around an install, upgrade,
// rollback, deletion or test.
const hookAnnotation = "helm.sh/hook"

// steadyState turns the rendered templates into inputs, in the order of
// their names, leaving out partials, NOTES.txt, empty files and hook
// objects; hooks names those left out, as "kind namespace/name (events)",
// ns being the namespace of those that name none. Each input is written as
// "helm template" prints it, each object under a "# Source:" comment.
func steadyState(files map[string]string, ns string) (inputs []input, hooks []string, err error) {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		content := files[name]
		if strings.HasPrefix(path.Base(name), "_") || strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		docs := releaseutil.SplitManifests(content)
		keys := slices.Collect(maps.Keys(docs))
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		var kept strings.Builder
		for _, k := range keys {
			var head struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Namespace   string            `json:"namespace"`
					Name        string            `json:"name"`
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(docs[k]), &head); err != nil {
				return nil, nil, fmt.Errorf("YAML parse error on %s: %w", name, err)
			}
			if events, ok := head.Metadata.Annotations[hookAnnotation]; ok {
				m := head.Metadata
				hooks = append(hooks, fmt.Sprintf("%s (%s)", describe(head.Kind, cmp.Or(m.Namespace, ns), m.Name), events))
				continue
			}
			fmt.Fprintf(&kept, "---\n# Source: %s\n%s\n", name, strings.TrimRightFunc(docs[k], unicode.IsSpace))
		}
		if kept.Len() > 0 {
			inputs = append(inputs, input{name: name, data: []byte(kept.String())})
		}
	}
	return inputs, hooks, nil
}
