package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Diff prints the flows that change verdict, grouped by pair, and a summary.
// Markdown is a pull-request comment.
func Diff(w io.Writer, format string, res *query.DiffResult) error {
	switch format {
	case "":
	case "markdown":
		return diffMarkdown(w, res)
	default:
		return Data(w, format, res)
	}
	p := newPainter(w)
	var b strings.Builder
	for _, c := range res.Changes {
		fmt.Fprintf(&b, "%s -> %s\n", c.Source, c.Destination)
		if !c.NowAllowed.IsEmpty() {
			fmt.Fprintf(&b, "  %s now allowed: %s\n", p.green("+"), c.NowAllowed)
			for _, why := range c.AllowedBy {
				fmt.Fprintf(&b, "      %s\n", why)
			}
		}
		if !c.NowDenied.IsEmpty() {
			fmt.Fprintf(&b, "  %s now denied:  %s\n", p.red("-"), c.NowDenied)
			for _, why := range c.DeniedBy {
				fmt.Fprintf(&b, "      %s\n", why)
			}
		}
		if c.Ambiguous != nil {
			fmt.Fprintf(&b, "  %s ambiguous:   %s (cluster policies of the same tier and priority disagree)\n", p.red("?"), c.Ambiguous)
		}
		if c.Undecided != nil {
			fmt.Fprintf(&b, "  %s undecided:   %s (the verdict depends on what the network plugin does)\n", p.red("?"), c.Undecided)
		}
	}
	if res.Changed {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\n", diffSummary(res.Summary))
	if res.Profile != nil {
		fmt.Fprintf(&b, "%s\n", judgedAs(res.Profile))
	}
	return p.writeText(w, b.String())
}

func diffSummary(s query.DiffSummary) string {
	if s.Pairs == 0 {
		return "No flow changes verdict."
	}
	pairs := "pairs change"
	if s.Pairs == 1 {
		pairs = "pair changes"
	}
	undecided := ""
	if s.Undecided > 0 {
		undecided = fmt.Sprintf(", %d with undecided ports", s.Undecided)
	}
	return fmt.Sprintf("%d %s: %d with newly allowed ports, %d with newly denied ports%s.", s.Pairs, pairs, s.NewlyAllowed, s.NewlyDenied, undecided)
}
