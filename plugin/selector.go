package plugin

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// selectorFlag is -l/--selector, as kubectl get has it, on the commands
// that answer about many workloads (map, explain, audit): only the
// workloads with a pod the selector matches.
type selectorFlag struct {
	Selector string
	// selector is the parsed -l; nil without it.
	selector labels.Selector
}

// addFlag adds -l/--selector; what says what the selector restricts.
func (f *selectorFlag) addFlag(cmd *cobra.Command, what string) {
	cmd.Flags().StringVarP(&f.Selector, "selector", "l", "", "Only "+what+" with a pod this label selector matches (e.g. -l app=db, -l 'tier in (db,cache),env!=dev')")
}

// complete parses -l as kubectl does.
func (f *selectorFlag) complete() error {
	if f.Selector == "" {
		return nil
	}
	sel, err := labels.Parse(f.Selector)
	if err != nil {
		return fmt.Errorf("-l %s: %w", f.Selector, err)
	}
	f.selector = sel
	return nil
}

// matching returns the pods of the namespaces (every namespace when nil)
// that -l matches. That none does is an error, not an empty answer: a
// mistyped label would otherwise pass a CI gate as "no findings".
func (f *selectorFlag) matching(s *query.Snapshot, namespaces []string) ([]*query.Pod, error) {
	var pods []*query.Pod
	if namespaces == nil {
		pods = s.Pods()
	}
	for _, ns := range namespaces {
		pods = append(pods, s.PodsIn(ns)...)
	}
	var out []*query.Pod
	for _, p := range pods {
		if f.selector.Matches(p.Labels) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		where := "any namespace"
		if len(namespaces) == 1 {
			where = "namespace " + namespaces[0]
		}
		return nil, fmt.Errorf("no pod in %s matches -l %s", where, f.selector)
	}
	return out, nil
}
