package output

import (
	"fmt"
	"io"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Can prints the answer of "can": the verdict first, then per group of pod
// pairs the trace of both halves.
func Can(w io.Writer, format string, ans *query.Answer) error {
	if format != "" {
		return Data(w, format, ans)
	}
	p := newPainter(w)
	var b strings.Builder
	verdict := p.green("ALLOWED")
	if !ans.Allowed {
		verdict = p.red("DENIED")
	}
	if len(ans.Ambiguities) > 0 {
		verdict = p.red("AMBIGUOUS")
	}
	if !ans.Decided {
		verdict = p.red("UNDECIDED")
	}
	fmt.Fprintf(&b, "%s  %s -> %s  %s", p.bold(verdict), endpointName(ans.Source), endpointName(ans.Destination), askedPorts(ans))
	for _, a := range ans.Assumes {
		fmt.Fprintf(&b, "  (%s)", a)
	}
	if ans.Hypothetical {
		b.WriteString("  (hypothetical: the network plugin enforces no policy, so the cluster allows every flow)")
	}
	b.WriteString("\n")
	for _, d := range ans.DependsOn {
		fmt.Fprintf(&b, "  depends on: %s\n", d)
	}
	for _, a := range ans.Ambiguities {
		fmt.Fprintf(&b, "  ambiguous: %s\n", a)
	}
	if ans.Profile != nil {
		fmt.Fprintf(&b, "  judged as: %s\n", ans.Profile)
	}
	for i := range ans.Pairs {
		b.WriteString("\n")
		writePair(&b, p, ans, &ans.Pairs[i])
	}
	return p.writeText(w, b.String())
}

// endpointName renders a resolved endpoint: "deployment prod/db",
// "pods prod/{role=api}", "192.168.5.10".
func endpointName(e *query.Endpoint) string {
	switch e.Kind {
	case "External":
		return e.Address
	case "Selector":
		return fmt.Sprintf("pods %s/{%s}", e.Namespace, e.Selector)
	case "Address":
		return "pods at " + e.Address
	case "Pod":
		return "pod " + e.Namespace + "/" + e.Name
	default:
		return strings.ToLower(e.Kind) + " " + e.Namespace + "/" + e.Name
	}
}

func askedPorts(ans *query.Answer) string {
	switch {
	case ans.Port != "" && ans.Protocol != "":
		return fmt.Sprintf("port %s/%s", ans.Port, ans.Protocol)
	case ans.Port != "":
		return "port " + ans.Port
	case ans.Allowed:
		return "allowed ports: " + ans.AllowedPorts.String()
	default:
		return "no port allowed"
	}
}

func writePair(b *strings.Builder, p painter, ans *query.Answer, pv *query.PairVerdict) {
	what := "allowed"
	if !pv.Allowed {
		what = "denied"
	}
	var on string
	switch {
	case pv.Port != nil:
		on = fmt.Sprintf(" on %s %d", pv.Port.Protocol, pv.Port.Port)
	case pv.Allowed:
		on = " on " + pv.AllowedPorts.String()
	}
	fmt.Fprintf(b, "%s -> %s: %s%s\n", strings.Join(pv.Sources, ", "), strings.Join(pv.Destinations, ", "), what, on)
	if pv.Port != nil && pv.Port.Via != "" {
		fmt.Fprintf(b, "  port: %s\n", pv.Port.Via)
	}
	for _, n := range pv.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
	writeDirection(b, p, &pv.Egress, pv.Port != nil)
	writeDirection(b, p, &pv.Ingress, pv.Port != nil)
}

func writeDirection(b *strings.Builder, p painter, t *query.DirectionTrace, asked bool) {
	state := p.green("allowed")
	if !t.Allowed {
		state = p.red("denied")
	}
	fmt.Fprintf(b, "  %-8s %s: %s\n", t.Direction, state, t.Summary)
	writeTiers(b, t, query.TierAdmin, asked)
	writeNetworkPolicies(b, t, asked)
	writeTiers(b, t, query.TierBaseline, asked)
}

const ind = "           "

// writeTiers prints the cluster policy rules of one tier that decided
// some of the asked ports.
func writeTiers(b *strings.Builder, t *query.DirectionTrace, tier query.Tier, asked bool) {
	for _, tr := range t.Tiers {
		if tr.Tier != tier {
			continue
		}
		on := ""
		if !asked {
			on = " " + tr.Ports.String()
		}
		fmt.Fprintf(b, "%s%s%s by %s\n%s  %s\n", ind, tr.Action, on, tr.Label(), ind, tr.Description)
	}
}

// writeNetworkPolicies prints NetworkPolicy's part of a half: the rules
// that allow it, or why none does.
func writeNetworkPolicies(b *strings.Builder, t *query.DirectionTrace, asked bool) {
	if len(t.Policies) == 0 {
		return
	}
	if !t.Allowed && slices.ContainsFunc(t.Rules, func(r query.RuleTrace) bool { return r.Denies }) {
		for _, r := range t.Rules {
			if r.Denies {
				fmt.Fprintf(b, "%sdenied by %s %s\n%s  %s\n", ind, r.Policy, rulePath(&r, asked), ind, r.Description)
			}
		}
		return
	}
	if !t.Isolated {
		return
	}
	if t.Allowed {
		if !asked {
			fmt.Fprintf(b, "%sallows %s\n", ind, t.AllowedPorts)
		}
		for _, r := range t.Rules {
			if r.Allows {
				fmt.Fprintf(b, "%sby %s %s\n%s  %s\n", ind, r.Policy, rulePath(&r, asked), ind, r.Description)
			}
		}
		return
	}
	fmt.Fprintf(b, "%sno rule allows it:\n", ind)
	for _, pol := range t.Policies {
		n := 0
		for _, r := range t.Rules {
			if r.Policy != pol.Name || r.Deny {
				continue
			}
			n++
			fmt.Fprintf(b, "%s%s %s: %s\n", ind, r.Policy, r.Rule, r.Description)
			for _, m := range r.PeerMisses {
				fmt.Fprintf(b, "%s  x %s: %s\n", ind, m.Path, m.Reason)
			}
			if r.PeerMatched {
				matched := r.MatchedPeer
				if matched == "" {
					matched = "any peer"
				}
				fmt.Fprintf(b, "%s  ✓ peer %s matches\n", ind, matched)
			}
			for _, m := range r.PortMisses {
				fmt.Fprintf(b, "%s  x %s: %s\n", ind, m.Path, m.Reason)
			}
		}
		if n == 0 && slices.ContainsFunc(pol.PolicyTypes, func(pt networkingv1.PolicyType) bool { return strings.EqualFold(string(pt), string(t.Direction)) }) {
			fmt.Fprintf(b, "%s%s: has no %s rules, so it allows nothing (default deny)\n", ind, pol.Name, t.Direction)
		}
	}
}

// rulePath renders the field path of what matched, e.g.
// "spec.ingress[0].from[0] + ports[0]".
func rulePath(r *query.RuleTrace, asked bool) string {
	switch {
	case asked && r.MatchedPort == "":
		return r.MatchPath() + " + all ports"
	case !asked:
		return r.MatchPath() + " opens " + r.Ports.String()
	}
	return r.MatchPath()
}
