package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// diffMarkdown is "diff" as a pull-request comment: the summary, a table
// of the pairs whose verdict changes with the ports now denied and now
// allowed and what decides them, and per pair a collapsed block with the
// ports before and after and every reason, capped at mdLimit pairs.
func diffMarkdown(w io.Writer, res *query.DiffResult) error {
	var b strings.Builder
	mdHeading(&b, "diff", diffSummary(res.Summary))
	if len(res.Changes) > 0 {
		shown := res.Changes[:min(len(res.Changes), mdLimit)]
		mdTable(&b, "from", "to", "now denied", "now allowed", "deciding rule")
		for i := range shown {
			c := &shown[i]
			mdRow(&b, mdCode(c.Source), mdCode(c.Destination), ports(c.NowDenied), ports(c.NowAllowed), mdText(strings.Join(diffReasons(c), "\n")))
		}
		mdMore(&b, len(res.Changes))
		for i := range shown {
			c := &shown[i]
			mdDetails(&b, fmt.Sprintf("why: %s -> %s", c.Source, c.Destination), diffWhy(c))
		}
	}
	if res.Profile != nil {
		fmt.Fprintf(&b, "\n%s\n", mdText(judgedAs(res.Profile)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ports is a port set in a table cell; nothing for none.
func ports(s query.PortSet) string {
	if s.IsEmpty() {
		return ""
	}
	return mdText(s.String())
}

// diffReasons are what decides a changed pair, one line each: what now
// allows the new ports, why the others are now denied, and which ports no
// verdict can be given for.
func diffReasons(c *query.Change) []string {
	var out []string
	out = append(out, c.AllowedBy...)
	out = append(out, c.DeniedBy...)
	if c.Ambiguous != nil {
		out = append(out, fmt.Sprintf("ambiguous on %s: cluster policies of the same tier and priority disagree", c.Ambiguous))
	}
	if c.Undecided != nil {
		out = append(out, fmt.Sprintf("undecided on %s: the verdict depends on what the network plugin does", c.Undecided))
	}
	return out
}

// diffWhy is the collapsed block of a changed pair: the ports before and
// after, then each change with its reasons, as the text output words them.
func diffWhy(c *query.Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "before: %s\nafter:  %s\n", c.Before, c.After)
	if !c.NowDenied.IsEmpty() {
		fmt.Fprintf(&b, "- now denied:  %s\n", c.NowDenied)
		for _, why := range c.DeniedBy {
			fmt.Fprintf(&b, "    %s\n", why)
		}
	}
	if !c.NowAllowed.IsEmpty() {
		fmt.Fprintf(&b, "+ now allowed: %s\n", c.NowAllowed)
		for _, why := range c.AllowedBy {
			fmt.Fprintf(&b, "    %s\n", why)
		}
	}
	if c.Ambiguous != nil {
		fmt.Fprintf(&b, "? ambiguous:   %s (cluster policies of the same tier and priority disagree)\n", c.Ambiguous)
	}
	if c.Undecided != nil {
		fmt.Fprintf(&b, "? undecided:   %s (the verdict depends on what the network plugin does)\n", c.Undecided)
	}
	return b.String()
}
