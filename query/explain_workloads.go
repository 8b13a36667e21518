package query

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// ExplainWorkloads explains the workloads of the namespaces (every
// namespace when nil) that have a pod sel matches; every workload of them
// when sel is nil. This is explain without a target: of one namespace, of
// every one (-A), restricted by a label selector (-l).
func (s *Snapshot) ExplainWorkloads(namespaces []string, sel labels.Selector) (*Explanation, error) {
	for _, ns := range namespaces {
		if _, ok := s.namespaces[ns]; !ok {
			return nil, fmt.Errorf("namespace %s does not exist (%s)", ns, strings.Join(s.namespaceNames(), ", "))
		}
	}
	ex := &Explanation{TypeMeta: Document(KindExplanation), SchemaVersion: SchemaVersion, Workloads: []*UnitExplanation{}}
	if len(namespaces) == 1 {
		ex.Namespace = namespaces[0]
	}
	if namespaces == nil {
		for _, ns := range s.Namespaces() {
			namespaces = append(namespaces, ns.Name)
		}
	}
	if sel != nil && sel.Empty() {
		sel = nil
	}
	var pods []*Pod
	for _, ns := range namespaces {
		for _, p := range s.podsByNS[ns] {
			if sel == nil || sel.Matches(p.Labels) {
				pods = append(pods, p)
			}
		}
	}
	units := s.Units("")
	for _, u := range s.unitsOf(pods) {
		ex.Workloads = append(ex.Workloads, s.explainUnit(u, units))
	}
	// As for "can": warnings about no pod in particular (owner cycles,
	// cluster policies failing closed) concern every answer; the others,
	// those of the namespaces explained, or of the pods selected.
	for _, w := range s.Warnings {
		switch {
		case sel == nil && slices.ContainsFunc(namespaces, w.concernsNamespace),
			sel != nil && (w.global() || slices.ContainsFunc(pods, w.concernsPod)):
			ex.Warnings = appendNew(ex.Warnings, w)
		}
	}
	if sel != nil {
		ex.Selector = sel.String()
	}
	ex.Warnings = append(ex.Warnings, ex.ambiguityWarnings()...)
	s.settleExplanation(ex)
	return ex, nil
}
