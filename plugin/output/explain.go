package output

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Explain prints an explanation: per workload in full for a target or a
// selector (-l), or as a table for a whole namespace or every one (t
// applies to it).
func Explain(w io.Writer, format string, ex *query.Explanation, t Table) error {
	if format != "" {
		return Data(w, format, ex)
	}
	p := newPainter(w)
	var b strings.Builder
	if ex.Target == nil && ex.Selector == "" {
		writeExplainTable(&b, ex, t)
	} else {
		for i, u := range ex.Workloads {
			if i > 0 {
				b.WriteString("\n")
			}
			writeUnit(&b, p, u)
		}
	}
	if ex.Profile != nil {
		fmt.Fprintf(&b, "\n%s\n", judgedAs(ex.Profile))
	}
	return p.writeText(w, b.String())
}

func writeUnit(b *strings.Builder, p painter, u *query.UnitExplanation) {
	fmt.Fprintf(b, "%s (%s)\n", p.bold(u.Workload), plural(len(u.Pods), "pod", "pods"))
	fmt.Fprintf(b, "  labels: %s\n", labels.Set(u.Labels))
	for _, d := range []*query.DirectionSummary{&u.Ingress, &u.Egress} {
		b.WriteString("\n")
		writeDirectionSummary(b, p, d)
	}
}

func writeDirectionSummary(b *strings.Builder, p painter, d *query.DirectionSummary) {
	head := strings.ToUpper(string(d.Direction))
	var names, others []string
	for _, pol := range d.Policies {
		name := pol.Name
		if pol.TypesDefaulted {
			name += " (policyTypes defaulted)"
		}
		if pol.NonIsolating {
			others = append(others, name)
		} else {
			names = append(names, name)
		}
	}
	also := ""
	if len(others) > 0 {
		also = "; also judged, without default deny, by " + strings.Join(others, ", ")
	}
	switch {
	case d.Risk != "":
		fmt.Fprintf(b, "  %s  %s\n", head, p.red("OPEN"))
		fmt.Fprintf(b, "    risk: %s\n", d.Risk)
	case !d.Isolated && len(others) > 0:
		fmt.Fprintf(b, "  %s  not isolated: judged, without default deny, by %s\n", head, strings.Join(others, ", "))
	case !d.Isolated:
		fmt.Fprintf(b, "  %s  not isolated by NetworkPolicy; cluster policies apply\n", head)
	default:
		fmt.Fprintf(b, "  %s  isolated by %s%s\n", head, strings.Join(names, ", "), also)
	}
	writeClusterRules(b, d, query.TierAdmin)
	for _, pol := range d.Policies {
		n := 0
		for _, r := range d.Rules {
			if r.Policy != pol.Name {
				continue
			}
			n++
			fmt.Fprintf(b, "    %s %s: %s\n", r.Policy, r.Rule, r.Description)
			for _, ps := range r.Peers {
				switch {
				case ps.MatchesNothing:
					fmt.Fprintf(b, "      %s matches nothing: %s\n", ps.Path, ps.Note)
				case len(ps.Workloads) > 0:
					fmt.Fprintf(b, "      %s matches %s\n", ps.Path, strings.Join(ps.Workloads, ", "))
				}
			}
			if r.MatchesNothing {
				fmt.Fprintf(b, "      %s\n", p.red("this rule allows nothing: none of its peers exists"))
			}
		}
		if n == 0 {
			fmt.Fprintf(b, "    %s: no %s rules (default deny)\n", pol.Name, d.Direction)
		}
	}
	writeClusterRules(b, d, query.TierBaseline)
	verb := "may be reached by"
	if d.Direction == query.Egress {
		verb = "may reach"
	}
	if len(d.Peers) == 0 {
		fmt.Fprintf(b, "    %s: nothing\n", verb)
		return
	}
	fmt.Fprintf(b, "    %s:\n", verb)
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	for _, r := range d.Peers {
		partial := ""
		if r.Partial {
			partial = "\t(not every pod)"
		}
		fmt.Fprintf(tw, "      %s\t%s%s\n", r.Peer, reachPorts(r), partial)
	}
	tw.Flush()
}

// writeClusterRules lists the rules of one tier that apply, in order.
func writeClusterRules(b *strings.Builder, d *query.DirectionSummary, tier query.Tier) {
	for _, r := range d.ClusterRules {
		if r.Tier != tier {
			continue
		}
		fmt.Fprintf(b, "    %s: %s\n", r.Label(""), r.Description)
	}
}

func writeExplainTable(b *strings.Builder, ex *query.Explanation, t Table) {
	if len(ex.Workloads) == 0 {
		where := "any namespace"
		if ex.Namespace != "" {
			where = "namespace " + ex.Namespace
		}
		fmt.Fprintf(b, "No workloads in %s.\n", where)
		return
	}
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	if !t.NoHeaders {
		fmt.Fprintln(tw, "WORKLOAD\tINGRESS\tREACHED BY\tEGRESS\tREACHES")
	}
	for _, u := range ex.Workloads {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Workload, isolation(&u.Ingress), reaches(&u.Ingress), isolation(&u.Egress), reaches(&u.Egress))
	}
	tw.Flush()
}

func isolation(d *query.DirectionSummary) string {
	switch {
	case d.Risk != "":
		return "OPEN"
	case !d.Isolated:
		return "cluster policies (" + plural(len(d.ClusterRules), "rule", "rules") + ")"
	}
	return fmt.Sprintf("isolated (%d)", len(d.Policies))
}

// reachPorts is a peer's ports, with the ambiguous and undecided ones
// said.
func reachPorts(r query.Reach) string {
	return portsLabel(r.Ports, r.Ambiguous, r.Undecided)
}

// reaches renders the peers of a direction compactly, grouped by port set:
// "TCP 80: dev/api, dev/db, +5 more".
func reaches(d *query.DirectionSummary) string {
	if d.Risk != "" {
		return "anything"
	}
	if len(d.Peers) == 0 {
		return "nothing"
	}
	var order []string
	groups := map[string][]string{}
	for _, r := range d.Peers {
		k := reachPorts(r)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		name := r.Peer
		if _, short, ok := strings.Cut(r.Peer, " "); ok && !r.External {
			name = short
		}
		groups[k] = append(groups[k], name)
	}
	parts := make([]string, len(order))
	for i, k := range order {
		names := groups[k]
		if len(names) > 3 {
			names = append(names[:3:3], fmt.Sprintf("+%d more", len(groups[k])-3))
		}
		parts[i] = k + ": " + strings.Join(names, ", ")
	}
	return strings.Join(parts, " | ")
}
