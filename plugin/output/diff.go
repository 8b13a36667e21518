package output

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	case "json":
		return diffJSON(w, res)
	default:
		return Data(w, format, res)
	}
	p := newPainter(w)
	var b strings.Builder
	for _, c := range res.Changes {
		// A large diff is written as it is rendered, a change at a time
		// (Visible reads each whole), not held whole in memory.
		if b.Len() >= 1<<16 {
			if err := p.writeText(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
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

// diffJSON is Data's JSON of a diff, written a change at a time: a diff of
// a large cluster holds millions of changes, whose indented text is not
// made whole in memory. The bytes are those of json.MarshalIndent.
func diffJSON(w io.Writer, res *query.DiffResult) error {
	head := *res
	head.Changes = []query.Change{}
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	const empty = "\n  \"changes\": []"
	at := bytes.Index(b, []byte(empty))
	switch {
	case len(res.Changes) == 0:
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case at < 0:
		return Data(w, "json", res) // not where it is expected: whole, never without the changes
	}
	at += len(empty) - 1 // before the closing bracket
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(b[:at])
	for i := range res.Changes {
		c, err := json.MarshalIndent(&res.Changes[i], "    ", "  ")
		if err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(c)
	}
	bw.WriteString("\n  ")
	bw.Write(b[at:])
	bw.WriteByte('\n')
	return bw.Flush()
}
