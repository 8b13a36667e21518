package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Replay prints the replay of observed connections: a summary line, then
// each connection that changes verdict (or whose recorded verdict the model
// contradicts) with its counts, when it was seen and why, then the ones
// that could not be judged. Markdown is a pull-request comment.
func Replay(w io.Writer, format string, res *query.ReplayResult, input string) error {
	switch format {
	case "":
	case "markdown":
		return replayMarkdown(w, res, input)
	default:
		return Data(w, format, res)
	}
	p := newPainter(w)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", replaySummary(res))
	if input != "" {
		fmt.Fprintf(&b, "  (%s)\n", input)
	}
	for i := range res.Connections {
		rc := &res.Connections[i]
		var head string
		var ans *query.Answer
		switch {
		case rc.Change == "newly denied":
			head, ans = p.red("NEWLY DENIED"), rc.After.Answer
		case rc.Change == "newly allowed":
			head, ans = p.green("NEWLY ALLOWED"), rc.After.Answer
		case rc.Change == "undecided":
			head, ans = p.red("UNDECIDED"), rc.After.Answer
		case rc.Disagreement != "":
			head, ans = p.red("DISAGREE"), rc.Before.Answer
		case rc.Unplaced != "":
			head = p.red("UNPLACED")
		default:
			continue
		}
		fmt.Fprintf(&b, "\n%s  %s -> %s  %s %d  (%s)\n", p.bold(head), rc.From, rc.To, rc.Protocol, rc.Port, seen(rc))
		switch {
		case rc.Unplaced != "":
			fmt.Fprintf(&b, "  %s\n", rc.Unplaced)
			continue
		case rc.Disagreement != "":
			fmt.Fprintf(&b, "  model and dataplane disagree: %s\n", rc.Disagreement)
		}
		for _, d := range ans.DependsOn {
			fmt.Fprintf(&b, "  depends on: %s\n", d)
		}
		for j := range ans.Pairs {
			writePair(&b, p, ans, &ans.Pairs[j])
		}
	}
	if res.Profile != nil {
		fmt.Fprintf(&b, "\njudged as: %s\n", res.Profile)
	}
	return p.writeText(w, b.String())
}

// replaySummary is the one-line summary of a replay.
func replaySummary(res *query.ReplayResult) string {
	head := fmt.Sprintf("%s observed, %d distinct", plural(res.Events, "connection", "connections"), res.Distinct)
	if res.WhatIf {
		return fmt.Sprintf("%s: %d newly denied, %d newly allowed, %d undecided, %d unplaced.", head, res.NewlyDenied, res.NewlyAllowed, res.Undecided, res.Unplaced)
	}
	return fmt.Sprintf("%s: %d where model and dataplane disagree, %d undecided, %d unplaced.", head, res.Disagreements, res.Undecided, res.Unplaced)
}

// seen says how often and when a connection was seen.
func seen(rc *query.ReplayedConnection) string {
	s := plural(rc.Count, "connection", "connections")
	if rc.FirstSeen != "" {
		s += ", " + rc.FirstSeen
		if rc.LastSeen != rc.FirstSeen {
			s += " .. " + rc.LastSeen
		}
	}
	return s
}

// replayMarkdown is the replay as a pull-request comment: the summary, a
// table of what changes, and a collapsible trace per connection, capped.
func replayMarkdown(w io.Writer, res *query.ReplayResult, input string) error {
	var b strings.Builder
	mdHeading(&b, "replay", replaySummary(res))
	var rows []*query.ReplayedConnection
	for i := range res.Connections {
		rc := &res.Connections[i]
		if rc.Change != "" || rc.Disagreement != "" || rc.Unplaced != "" {
			rows = append(rows, rc)
		}
	}
	if len(rows) > 0 {
		mdTable(&b, "change", "from", "to", "port", "seen")
		for _, rc := range rows[:min(len(rows), mdLimit)] {
			what := rc.Change
			switch {
			case rc.Disagreement != "":
				what = "model and dataplane disagree"
			case rc.Unplaced != "":
				what = "unplaced"
			}
			mdRow(&b, mdText(what), mdCode(rc.From), mdCode(rc.To), fmt.Sprintf("%s %d", rc.Protocol, rc.Port), mdText(seen(rc)))
		}
		mdMore(&b, len(rows))
		for _, rc := range rows[:min(len(rows), mdLimit)] {
			ans := (*query.Answer)(nil)
			switch {
			case rc.After != nil:
				ans = rc.After.Answer
			case rc.Before != nil:
				ans = rc.Before.Answer
			}
			var t strings.Builder
			switch {
			case rc.Unplaced != "":
				t.WriteString(rc.Unplaced + "\n")
			case ans != nil:
				p := painter(false)
				for j := range ans.Pairs {
					writePair(&t, p, ans, &ans.Pairs[j])
				}
			}
			mdDetails(&b, fmt.Sprintf("why: %s -> %s %s %d", rc.From, rc.To, rc.Protocol, rc.Port), t.String())
		}
	}
	if input != "" {
		fmt.Fprintf(&b, "\n%s\n", mdText(input))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
