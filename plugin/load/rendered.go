package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// rendered are the inputs one kustomization or chart rendered to, and
// what names it in messages.
type rendered struct {
	what   string
	inputs []input
}

// render renders the source's kustomizations, then its charts.
// Warnings (Helm hooks left out) go to warn.
func render(src Source, warn io.Writer) ([]rendered, error) {
	var out []rendered
	for _, dir := range src.Kustomizations {
		if err := isKustomizeDir(dir, src.shown(dir)); err != nil {
			return nil, err
		}
		b, err := kustomize(dir, src.shown(dir))
		if err != nil {
			return nil, err
		}
		name := "kustomize " + src.shown(dir)
		if b == nil {
			b = []byte{} // read already: nil data would be read from a file of that name
		}
		out = append(out, rendered{what: name, inputs: []input{{name: name, data: b}}})
	}
	for _, c := range src.Charts {
		r, err := c.render(warn, src.shown(c.Path))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// isKustomizeDir checks that dir (named shown) is a directory holding a
// kustomization, before kustomize says it less plainly.
func isKustomizeDir(dir, shown string) error {
	if dir == "" {
		return fmt.Errorf(`-k: an empty path: give a kustomize directory (is a variable unset?)`)
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the path %q does not exist", shown)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("-k %s: not a directory: -k takes a directory holding a kustomization.yaml", shown)
	case KustomizationFile(dir) == "":
		return fmt.Errorf("-k %s: the directory holds no kustomization.yaml, kustomization.yml or Kustomization (use -f for plain manifests)", shown)
	}
	return nil
}

// renderedInputs counts the inputs the sets rendered to.
func renderedInputs(sets []rendered) int {
	n := 0
	for _, r := range sets {
		n += len(r.inputs)
	}
	return n
}

// noneRendered is the error for a kustomization or chart nothing was read
// from, as noObjects is for a path; results are those of the sets' inputs,
// in order.
func noneRendered(sets []rendered, results []fileResult) error {
	for _, r := range sets {
		n := 0
		for _, res := range results[:len(r.inputs)] {
			n += len(res.objects) + len(res.skipped)
		}
		results = results[len(r.inputs):]
		if n == 0 {
			return fmt.Errorf("no objects rendered from %s", r.what)
		}
	}
	return nil
}

// renderedDir refuses a directory given to -f (or found under one with -R)
// that is rendered rather than read: a kustomize directory or a Helm chart.
func renderedDir(dir string) error {
	if KustomizationFile(dir) != "" {
		return kustomizeDirError(dir)
	}
	if IsChartDir(dir) {
		return fmt.Errorf("%s is a Helm chart: use --helm %s", dir, dir)
	}
	return nil
}

// renderedFile refuses a file given to -f that is rendered rather than
// read: a kustomization file (whose directory -k takes) or a packaged chart.
func renderedFile(path string) error {
	if isKustomizationName(path) {
		return kustomizeDirError(filepath.Dir(path))
	}
	if IsChartArchive(path) {
		return fmt.Errorf("%s is a packaged Helm chart: use --helm %s", path, path)
	}
	return nil
}
