package plugin

import (
	"os"
	"path/filepath"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// sarifLocator places findings in the manifests they were read from: at
// the finding's field of its object, else at the object; a finding about
// a namespace or a group of bare pods, which no object stands for, at the
// namespace's first object; anything else at the first object read, since
// code scanning drops a whole upload for one finding without a file.
// Objects of a live cluster or standard input are in no file: their
// findings have only their logical location. Paths are relative to the
// repository's root (sourceRoot).
func sarifLocator(pos *load.Positions) output.Locator {
	wd, _ := os.Getwd()
	root := sourceRoot(wd)
	return func(f *query.Finding) (output.Location, bool) {
		kind, ns, name := output.SplitObject(f.Object)
		p, ok := pos.Field(kind, ns, name, f.Field)
		if !ok && kind == "namespace" {
			p, ok = pos.FirstIn(name)
		}
		if !ok && ns != "" {
			p, ok = pos.FirstIn(ns)
		}
		if !ok {
			p, ok = pos.First()
		}
		if !ok {
			return output.Location{}, false
		}
		return output.Location{File: repoPath(root, wd, p.File), Line: p.Line, Column: p.Column}, true
	}
}

// sourceRoot is the directory paths in SARIF are relative to: the top of
// the git work tree the command runs in (code scanning resolves paths
// against the repository's root, wherever in it the command ran), else the
// working directory.
func sourceRoot(wd string) string {
	for dir := wd; dir != ""; {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return wd
}

// repoPath is a file's path relative to root, with slashes; a file
// outside root keeps its absolute path.
func repoPath(root, wd, file string) string {
	if !filepath.IsAbs(file) {
		file = filepath.Join(wd, file)
	}
	if rel, err := filepath.Rel(root, file); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(file)
}
