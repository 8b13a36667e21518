package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// testsMarkdown is "test" as a pull-request comment: the summary, a table
// of the expectations that fail with what decides them, a collapsed trace
// per failure, and the expectations that hold, collapsed; capped at
// mdLimit rows each.
func testsMarkdown(w io.Writer, suite string, rep *TestReport) error {
	var b strings.Builder
	mdHeading(&b, "test", fmt.Sprintf("%d passed, %d failed.", rep.Passed, rep.Failed))
	var failed, passed []*TestCase
	for i := range rep.Results {
		if c := &rep.Results[i]; c.Pass {
			passed = append(passed, c)
		} else {
			failed = append(failed, c)
		}
	}
	if len(failed) > 0 {
		shown := failed[:min(len(failed), mdLimit)]
		mdTable(&b, "expectation", "from", "to", "expected", "got", "deciding rule")
		for _, c := range shown {
			mdRow(&b, mdText(c.Name), mdCode(c.From), mdCode(c.To), c.Expect, c.got(), mdText(decidingRule(c.Answer)))
		}
		mdMore(&b, len(failed))
		for _, c := range shown {
			var trace strings.Builder
			if err := Can(&trace, "", c.Answer); err != nil {
				return err
			}
			mdDetails(&b, fmt.Sprintf("why: %s (expected %s, got %s)", c.title(), c.Expect, c.got()), trace.String())
		}
	}
	if len(passed) > 0 {
		var list strings.Builder
		for _, c := range passed[:min(len(passed), mdLimit)] {
			fmt.Fprintf(&list, "%s (%s)\n", c.title(), c.Expect)
		}
		if n := len(passed) - mdLimit; n > 0 {
			fmt.Fprintf(&list, "and %d more (see -o json)\n", n)
		}
		mdDetails(&b, plural(len(passed), "expectation holds", "expectations hold"), list.String())
	}
	if suite != "" {
		fmt.Fprintf(&b, "\nexpectations: %s\n", mdCode(suite))
	}
	if len(rep.Results) > 0 && rep.Results[0].Answer != nil && rep.Results[0].Answer.Profile != nil {
		fmt.Fprintf(&b, "\n%s\n", mdText(judgedAs(rep.Results[0].Answer.Profile)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// decidingRule says in one line what decides an answer: for a denial, the
// halves that deny the first denied pod pair; for an allowed flow, both
// halves of the first pair.
func decidingRule(ans *query.Answer) string {
	if len(ans.Pairs) == 0 {
		return ""
	}
	pv := &ans.Pairs[0]
	for i := range ans.Pairs {
		if !ans.Pairs[i].Allowed {
			pv = &ans.Pairs[i]
			break
		}
	}
	asked := pv.Port != nil
	var halves []string
	for _, t := range []*query.DirectionTrace{&pv.Egress, &pv.Ingress} {
		if pv.Allowed || !t.Allowed {
			halves = append(halves, halfVerdict(t, asked))
		}
	}
	out := strings.Join(halves, "; ")
	if n := len(ans.Pairs) - 1; n > 0 {
		out += fmt.Sprintf(" (and %s)", plural(n, "other pod pair", "other pod pairs"))
	}
	return out
}

// halfVerdict is one half of a pair's trace in one line: the cluster
// policy rules and NetworkPolicy rules that decided it, or its summary
// when no rule did.
func halfVerdict(t *query.DirectionTrace, asked bool) string {
	state := "allowed"
	if !t.Allowed {
		state = "denied"
	}
	var by []string
	for i := range t.Tiers {
		by = append(by, fmt.Sprintf("%s by %s", t.Tiers[i].Action, t.Tiers[i].Label()))
	}
	for i := range t.Rules {
		r := &t.Rules[i]
		if (t.Allowed && r.Allows) || (!t.Allowed && r.Denies) {
			by = append(by, "by "+r.Policy+" "+rulePath(r, asked))
		}
	}
	if len(by) == 0 {
		s := fmt.Sprintf("%s %s: %s", t.Direction, state, t.Summary)
		if !t.Allowed && t.Isolated && len(t.Tiers) == 0 {
			s += "; no rule allows it"
		}
		return s
	}
	return fmt.Sprintf("%s %s %s", t.Direction, state, strings.Join(by, ", "))
}
