package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Audit prints findings, most severe first, each with its fix, then a
// count per severity.
func Audit(w io.Writer, format string, a *query.Audit) error {
	if format != "" {
		return Data(w, format, a)
	}
	p := newPainter(w)
	var b strings.Builder
	counts := map[query.Severity]int{}
	for _, f := range a.Findings {
		counts[f.Severity]++
		sev := strings.ToUpper(string(f.Severity))
		// Padded on the visible width: colour codes take no column.
		pad := strings.Repeat(" ", max(0, len("MEDIUM")-len(sev)))
		switch f.Severity {
		case query.High:
			sev = p.red(sev)
		case query.Medium:
			sev = p.bold(sev)
		}
		where := f.Object
		if f.Field != "" {
			where += " " + f.Field
		}
		fmt.Fprintf(&b, "%s%s  %s  [%s]\n", sev, pad, where, f.Check)
		fmt.Fprintf(&b, "        %s\n", f.Why)
		if f.Fix != "" {
			lines := strings.Split(f.Fix, "\n")
			fmt.Fprintf(&b, "        fix: %s\n", lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(&b, "             %s\n", l)
			}
		}
		b.WriteString("\n")
	}
	if len(a.Findings) == 0 {
		for_ := ""
		if a.Selector != "" {
			for_ = " for the workloads matching " + a.Selector
		}
		fmt.Fprintf(&b, "No findings in %s%s.\n", strings.Join(a.Namespaces, ", "), for_)
	} else {
		fmt.Fprintf(&b, "%s: %d high, %d medium, %d low.\n", plural(len(a.Findings), "finding", "findings"), counts[query.High], counts[query.Medium], counts[query.Low])
	}
	if a.Profile != nil {
		fmt.Fprintf(&b, "%s\n", judgedAs(a.Profile))
	}
	return p.writeText(w, b.String())
}
