package query

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/labels"
)

// AuditOptions say what "audit" checks and reports.
type AuditOptions struct {
	// Namespaces are the namespaces to audit; every namespace when nil.
	Namespaces []string
	// MinSeverity drops the findings below it; "" keeps every finding.
	MinSeverity Severity
	// Selector restricts the audit to the workloads with a pod it matches
	// (auditScope); nil for every workload.
	Selector labels.Selector
	// CNI is the cluster's network plugin, checked for enforcing
	// NetworkPolicy; nil when there is none to check (manifests, or the
	// check turned off).
	CNI *CNI
}

// Audit checks the namespaces of o against the practices production
// clusters follow, and returns the findings at o.MinSeverity and above,
// most severe first.
func (s *Snapshot) Audit(o AuditOptions) *Audit {
	namespaces := o.Namespaces
	if namespaces == nil {
		for _, ns := range s.Namespaces() {
			namespaces = append(namespaces, ns.Name)
		}
	}
	p := s.opts.Profile
	a := &Audit{TypeMeta: Document(KindAuditResult), SchemaVersion: SchemaVersion, Namespaces: namespaces, Findings: []Finding{}, Profile: &p}
	sc := newAuditScope(namespaces, o.Selector)
	if sc.restricted() {
		a.Selector = sc.selector.String()
	}
	g := newClassEngine(s)
	for _, ns := range namespaces {
		a.Findings = append(a.Findings, s.auditNamespace(ns, g, sc)...)
	}
	a.Findings = append(a.Findings, s.auditClusterPolicies(sc)...)
	a.Findings = append(a.Findings, s.auditCilium(sc)...)
	a.Findings = append(a.Findings, s.auditUnevaluated(namespaces, sc)...)
	slices.SortStableFunc(a.Findings, func(x, y Finding) int {
		return cmp.Or(y.Severity.Rank()-x.Severity.Rank(), cmp.Compare(x.Object, y.Object), cmp.Compare(x.Field, y.Field), cmp.Compare(x.Check, y.Check))
	})
	// The network plugin comes first: without enforcement no other
	// finding matters.
	if f, ok := auditCNI(o.CNI); ok {
		a.Findings = append([]Finding{f}, a.Findings...)
	}
	a.Findings = slices.DeleteFunc(a.Findings, func(f Finding) bool { return f.Severity.Rank() < o.MinSeverity.Rank() })
	return a
}

// auditCNI finds a network plugin that does not enforce NetworkPolicy, or
// none known: then no policy may be enforced at all.
func auditCNI(c *CNI) (Finding, bool) {
	if c == nil || c.Enforces {
		return Finding{}, false
	}
	f := Finding{Severity: High, Check: checkCNIDoesNotEnforce, Object: "cluster", Why: c.Note,
		Fix: "install a network plugin that enforces NetworkPolicy (Calico, Cilium, Antrea, ...) or enable its policy engine"}
	if c.Name == "" {
		f.Check, f.Fix = checkCNIUnknown, "check that the cluster's network plugin enforces NetworkPolicy (or pass --no-cni-check)"
	}
	return f, true
}

// auditUnevaluated reports the network plugin's own policies that may
// apply to pods of the audited namespaces, by kind and namespace: every
// verdict about those pods is undecided.
func (s *Snapshot) auditUnevaluated(namespaces []string, sc auditScope) []Finding {
	var pods []*Pod
	for _, ns := range namespaces {
		for _, p := range s.podsByNS[ns] {
			if sc.covers(p) {
				pods = append(pods, p)
			}
		}
	}
	l := s.UnevaluatedFor(pods...)
	var out []Finding
	for _, what := range l.Summary() {
		out = append(out, Finding{Severity: High, Check: checkUnevaluatedPolicies, Object: what,
			Why: "the network plugin's own policies take part in what the cluster allows, but this tool reads them only to know which pods they may apply to: every verdict about those pods is UNDECIDED",
			Fix: "judge them with the plugin's own tools, or give --ignore-kind KIND to judge NetworkPolicy and the cluster tiers alone (answers say so)"})
	}
	return out
}
