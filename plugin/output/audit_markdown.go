package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// auditMarkdown is "audit" as a pull-request comment: the counts, a table
// of the findings, most severe first, and per finding with a fix a
// collapsed block holding it; capped at mdLimit findings.
func auditMarkdown(w io.Writer, a *query.Audit) error {
	var b strings.Builder
	mdHeading(&b, "audit", auditSummary(a))
	if len(a.Findings) > 0 {
		shown := a.Findings[:min(len(a.Findings), mdLimit)]
		mdTable(&b, "severity", "check", "object", "field", "finding")
		for _, f := range shown {
			mdRow(&b, string(f.Severity), mdCode(f.Check), mdCode(f.Object), mdCode(f.Field), mdText(f.Why))
		}
		mdMore(&b, len(a.Findings))
		for _, f := range shown {
			if f.Fix == "" {
				continue
			}
			where := f.Object
			if f.Field != "" {
				where += " " + f.Field
			}
			mdDetails(&b, fmt.Sprintf("fix: %s [%s]", where, f.Check), f.Fix)
		}
	}
	if a.Profile != nil {
		fmt.Fprintf(&b, "\n%s\n", mdText(judgedAs(a.Profile)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// auditSummary is the one-line summary of an audit, as the text output
// ends with it.
func auditSummary(a *query.Audit) string {
	if len(a.Findings) == 0 {
		for_ := ""
		if a.Selector != "" {
			for_ = " for the workloads matching " + a.Selector
		}
		return fmt.Sprintf("No findings in %s%s.", strings.Join(a.Namespaces, ", "), for_)
	}
	counts := map[query.Severity]int{}
	for _, f := range a.Findings {
		counts[f.Severity]++
	}
	return fmt.Sprintf("%s: %d high, %d medium, %d low.", plural(len(a.Findings), "finding", "findings"), counts[query.High], counts[query.Medium], counts[query.Low])
}
