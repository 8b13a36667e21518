package query

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"
)

// auditScope is what an audit covers: the pods of the audited namespaces,
// and of those only the ones a label selector matches when one is given
// (audit -l). A check about a namespace is made where it holds a covered
// pod; a check about a workload, for the workloads with a covered pod; a
// check about a policy, for the policies that select one. A policy that
// selects no pod concerns no workload, so a selector leaves it out.
type auditScope struct {
	namespaces map[string]bool
	// selector is nil when every pod of the namespaces is covered.
	selector labels.Selector
}

func newAuditScope(namespaces []string, sel labels.Selector) auditScope {
	sc := auditScope{namespaces: map[string]bool{}}
	for _, ns := range namespaces {
		sc.namespaces[ns] = true
	}
	if sel != nil && !sel.Empty() {
		sc.selector = sel
	}
	return sc
}

// covers reports whether the audit covers p.
func (sc auditScope) covers(p *Pod) bool {
	return sc.namespaces[p.Namespace] && (sc.selector == nil || sc.selector.Matches(p.Labels))
}

// coversAny reports whether the audit covers one of the pods.
func (sc auditScope) coversAny(pods []*Pod) bool { return slices.ContainsFunc(pods, sc.covers) }

// restricted reports whether a selector narrows the audit to some
// workloads.
func (sc auditScope) restricted() bool { return sc.selector != nil }
