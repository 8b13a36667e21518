package load

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// KustomizationFile is the kustomization file of a directory (by one of the
// names kustomize recognises: kustomization.yaml, kustomization.yml,
// Kustomization), or "" when it holds none: a directory holding one is
// rendered with -k, never read file by file, since its files are bases and
// patches, not the objects applied.
func KustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// isKustomizationName reports whether a file's name is one kustomize reads
// as a kustomization.
func isKustomizationName(path string) bool {
	base := filepath.Base(path)
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if base == name {
			return true
		}
	}
	return false
}

// kustomizeDirError is the error for a kustomize directory (or its
// kustomization file) given to -f: read file by file it would give patches
// and bases as objects ("skipping kustomization without a name", then
// namespaces that do not exist), so it is refused, as "kubectl apply" would
// be asked for -k.
func kustomizeDirError(dir string) error {
	return fmt.Errorf("%s is a kustomize directory: use -k %s", dir, dir)
}

// Kustomize renders the kustomization in dir in-process, as "kubectl apply
// -k DIR" and "kubectl kustomize DIR" do: kustomize's krusty with kubectl's
// options (plugins off, files loaded only from under the kustomization's
// root, the legacy output order).
func Kustomize(dir string) ([]byte, error) { return kustomize(dir, dir) }

// kustomize renders the kustomization in dir, named shown in errors.
func kustomize(dir, shown string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", shown, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", shown, err)
	}
	return out, nil
}
