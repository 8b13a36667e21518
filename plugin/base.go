package plugin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// gitPrefix marks a --base that is a git revision of the inputs.
const gitPrefix = "git:"

// addBaseFlag adds --base to diff: the complete state the change starts
// from, the -f/-k/--helm inputs being the state after.
func addBaseFlag(cmd *cobra.Command, base *[]string) {
	pathsVarP(cmd.Flags(), base, "base", "", "Compare with this complete state, the one the change starts from: files, directories, URLs or '-' (kustomize directories and Helm charts are rendered), or git:REF for the -f, -k and --helm inputs as they are at that git revision. Objects only in the base are deletions")
}

// baseSnapshot reads the --base state, with the options of the state
// after; ns is the namespace of objects that name none.
func (g *globalOptions) baseSnapshot(ns string, explicit bool, opts query.Options) (*query.Snapshot, error) {
	base := g.snapshot.base
	if !g.fromInputs() {
		return nil, fmt.Errorf("--base compares two complete states: give the state after with -f, -k or --helm")
	}
	var m manifests
	switch ref, isGit := strings.CutPrefix(base[0], gitPrefix); {
	case isGit && len(base) > 1:
		return nil, fmt.Errorf("--base %s stands alone: the inputs at that revision are the whole base", base[0])
	case isGit:
		rev, err := load.CheckoutRevision(ref)
		if err != nil {
			return nil, fmt.Errorf("--base %w", err)
		}
		defer rev.Close()
		if m, err = g.inputsAt(rev); err != nil {
			return nil, fmt.Errorf("--base %w", err)
		}
	case slices.ContainsFunc(base, func(b string) bool { return strings.HasPrefix(b, gitPrefix) }):
		return nil, fmt.Errorf("--base git:REF stands alone: the inputs at that revision are the whole base")
	default:
		m = g.detected("--base", base, false)
	}
	if slices.Contains(base, "-") && (slices.Contains(g.snapshot.filenames, "-") || slices.Contains(g.snapshot.with, "-")) {
		return nil, fmt.Errorf("standard input can feed one of -f -, --with - and --base -")
	}
	l, err := m.snapshot(load.Scope{AllNamespaces: true}, ns, explicit, opts)
	if err != nil {
		return nil, fmt.Errorf("--base: %w", err)
	}
	return l.snap, nil
}

// fromInputs reports whether the state is read from -f, -k or --helm
// rather than a cluster.
func (g *globalOptions) fromInputs() bool {
	return len(g.snapshot.filenames) > 0 || g.snapshot.inputs.given()
}

// inputsAt are the -f, -k and --helm inputs (and --values files) as they
// are at a git revision. A path the revision does not have (the change
// adds it) is left out, with a note: its objects are all new.
func (g *globalOptions) inputsAt(rev *load.Revision) (manifests, error) {
	m := g.inputs()
	m.flag = gitPrefix + rev.Ref
	m.shown = rev.Shown
	var missing []string
	at := func(paths []string) ([]string, error) {
		var out []string
		for _, p := range paths {
			switch {
			case p == "-":
				return nil, fmt.Errorf("%s: standard input has no revision: give the manifests as files", m.flag)
			case load.IsURL(p):
				out = append(out, p) // not versioned: the same in both states
				continue
			}
			q, exists, err := rev.Path(p)
			if err != nil {
				return nil, err
			}
			if !exists {
				missing = append(missing, p)
				continue
			}
			out = append(out, q)
		}
		return out, nil
	}
	var err error
	if m.paths, err = at(m.paths); err != nil {
		return m, err
	}
	if m.kustomize, err = at(m.kustomize); err != nil {
		return m, err
	}
	if m.charts, err = at(m.charts); err != nil {
		return m, err
	}
	values, err := at(g.snapshot.inputs.values)
	if err != nil {
		return m, err
	}
	m.chart = func(path, ns string) (load.Chart, error) {
		c, err := g.chart(path, ns, false)
		c.ValuesFiles = values
		return c, err
	}
	if len(missing) > 0 {
		fmt.Fprintf(g.ErrOut, "Note: %s (%.12s) does not have %s: the base holds nothing from there\n", m.flag, rev.Commit, strings.Join(missing, ", "))
	}
	return m, nil
}
