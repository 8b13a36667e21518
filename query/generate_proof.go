package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// The proof of generated policies, by the engine: "test" on the state with
// them (every required flow allowed, every deny flow denied), "diff" from
// the state with only their default denies (what else they allow), and
// "diff" from the current state (what they deny that is allowed now).

// Proof is what the engine says of generated policies.
type Proof struct {
	// Holds is true when every required flow is allowed and every deny
	// flow denied in the state with the generated policies.
	Holds bool `json:"holds"`
	// Required and Denied are the checks of the allow and the deny flows.
	Required []ProofCheck `json:"required"`
	Denied   []ProofCheck `json:"denied"`
	// AlsoAllowed are the flows the generated policies allow beyond the
	// required ones, grouped by the rules that allow them.
	AlsoAllowed []OverPermission `json:"alsoAllowed"`
	// NewlyDenied are the flows allowed now that the state with the
	// generated policies denies.
	NewlyDenied []Change `json:"newlyDenied"`
	// Undecided is set when some check depends on what the tool cannot
	// know (their DependsOn says what): the proof is then not complete.
	Undecided bool      `json:"undecided,omitempty"`
	Warnings  []Warning `json:"warnings,omitempty"`
}

// ProofCheck is one flow of the request checked on the generated state.
type ProofCheck struct {
	Name  string `json:"name,omitempty"`
	Where string `json:"where"`
	From  string `json:"from"`
	To    string `json:"to"`
	// Verdict is ALLOWED, DENIED, UNDECIDED or AMBIGUOUS.
	Verdict string `json:"verdict"`
	Holds   bool   `json:"holds"`
	// By says what allows the flow, or denies it, per half.
	By []string `json:"by"`
	// Blocker says, for a required flow that stays denied, what blocks it
	// that generated NetworkPolicies cannot lift.
	Blocker   string   `json:"blocker,omitempty"`
	DependsOn []string `json:"dependsOn,omitempty"`
}

// OverPermission is a group of flows the generated policies allow beyond
// the required ones, with the rules that allow them.
type OverPermission struct {
	AllowedBy []string    `json:"allowedBy"`
	Flows     []ExtraFlow `json:"flows"`
}

// ExtraFlow is one pair with the ports allowed beyond the required ones.
type ExtraFlow struct {
	Source      string  `json:"source"`
	Destination string  `json:"destination"`
	Ports       PortSet `json:"ports"`
}

// prove checks the generated policies with the engine.
func (s *Snapshot) prove(pl *genPlan, flows []GenerateFlow, g *Generated) (*Proof, error) {
	base := s
	if len(g.replaced) > 0 {
		var err error
		if base, err = s.Without(g.replaced...); err != nil {
			return nil, err
		}
	}
	var all, denies []runtime.Object
	for _, p := range g.Policies {
		all = append(all, p.Object)
		if p.defaultDeny {
			denies = append(denies, p.Object)
		}
	}
	next, err := base.With(all...)
	if err != nil {
		return nil, fmt.Errorf("the generated policies: %w", err)
	}
	g.state = next
	pr := &Proof{Holds: true, Required: []ProofCheck{}, Denied: []ProofCheck{}, AlsoAllowed: []OverPermission{}, NewlyDenied: []Change{}}
	for i := range flows {
		f := &flows[i]
		c, err := next.check(pl, f)
		if err != nil {
			return nil, err
		}
		pr.Holds = pr.Holds && c.Holds
		pr.Undecided = pr.Undecided || c.Verdict == "UNDECIDED" || c.Verdict == "AMBIGUOUS"
		if f.Allow {
			pr.Required = append(pr.Required, c)
		} else {
			pr.Denied = append(pr.Denied, c)
		}
	}
	onlyDenies, err := base.With(denies...)
	if err != nil {
		return nil, err
	}
	extra := Diff(onlyDenies, next)
	pr.AlsoAllowed = next.overPermission(pl, extra)
	pr.Warnings = append(pr.Warnings, extra.Warnings...)
	for _, c := range Diff(s, next).Changes {
		if !c.NowDenied.IsEmpty() {
			pr.NewlyDenied = append(pr.NewlyDenied, c)
		}
	}
	return pr, nil
}

// check judges one flow of the request on the generated state.
func (s *Snapshot) check(pl *genPlan, f *GenerateFlow) (ProofCheck, error) {
	c := ProofCheck{Name: f.Name, Where: f.Where, From: f.From, To: f.To, By: []string{}}
	ans, err := s.Can(f.Flow, pl.opts.DefaultNamespace)
	if err != nil {
		return c, fmt.Errorf("%s: on the generated state: %w", f.Where, err)
	}
	switch {
	case len(ans.Ambiguities) > 0:
		c.Verdict = "AMBIGUOUS"
		c.DependsOn = []string{ans.Ambiguities[0].String()}
	case !ans.Decided:
		c.Verdict, c.DependsOn = "UNDECIDED", ans.DependsOn
	case ans.Allowed:
		c.Verdict = "ALLOWED"
	default:
		c.Verdict = "DENIED"
	}
	c.Holds = (c.Verdict == "ALLOWED" && f.Allow) || (c.Verdict == "DENIED" && !f.Allow)
	for _, pv := range ans.Pairs {
		if pv.Allowed != ans.Allowed && len(ans.Pairs) > 1 {
			continue // the pair that decided the verdict
		}
		for _, t := range []DirectionTrace{pv.Egress, pv.Ingress} {
			if t.Summary != "" {
				c.By = append(c.By, fmt.Sprintf("%s: %s", t.Direction, t.Summary))
			}
			if f.Allow && !t.Allowed && c.Blocker == "" {
				c.Blocker = pl.blocker(t)
			}
		}
		break
	}
	return c, nil
}

// blocker says why a half the generated rules should open stays closed.
func (pl *genPlan) blocker(t DirectionTrace) string {
	switch t.DecidedBy {
	case "Admin", "Baseline":
		for _, tr := range t.Tiers {
			return fmt.Sprintf("%s-tier rule %s %s decides it before NetworkPolicy: generated NetworkPolicies cannot allow this flow", t.DecidedBy, tr.Policy, tr.Rule)
		}
		return fmt.Sprintf("the %s tier decides it before NetworkPolicy", t.DecidedBy)
	}
	ns, _, _ := strings.Cut(t.Pod, "/")
	for _, r := range t.Rules {
		if r.Deny && r.PeerMatched {
			return fmt.Sprintf("deny rule %s %s wins over every allow", r.Policy, r.Rule)
		}
	}
	if ns != "" && !pl.inScope[ns] {
		return fmt.Sprintf("namespace %s is not in scope and its policies deny the %s half: generate for it too (-n %s) or allow the flow there", ns, t.Direction, ns)
	}
	return t.Summary
}

// overPermission is what the generated rules newly allow beyond the
// required flows, grouped by the rules that allow it.
func (s *Snapshot) overPermission(pl *genPlan, d *DiffResult) []OverPermission {
	byUnit := map[string]*Unit{}
	for _, u := range s.Units("") {
		byUnit[u.String()] = u
	}
	// The diff's regions: those of the state with the generated policies,
	// whose ipBlocks hold those of the state with only the default denies.
	regions := map[string]region{}
	for _, r := range addressRegions(s.regionPrefixes()) {
		regions[r.name] = r
	}
	peer := func(name string) *diffPeer { return diffPeerNamed(byUnit, regions, name) }
	groups := map[string]*OverPermission{}
	var order []string
	for _, c := range d.Changes {
		rest := c.NowAllowed.Subtract(pl.covered(byUnit, c.Source, c.Destination))
		if rest.IsEmpty() {
			continue
		}
		by := c.AllowedBy
		if !rest.Equal(c.NowAllowed) {
			by = s.why(peer(c.Source), peer(c.Destination), rest, nil)
		}
		key := strings.Join(by, "\n")
		g := groups[key]
		if g == nil {
			g = &OverPermission{AllowedBy: by}
			groups[key] = g
			order = append(order, key)
		}
		g.Flows = append(g.Flows, ExtraFlow{Source: c.Source, Destination: c.Destination, Ports: rest})
	}
	out := []OverPermission{}
	for _, k := range order {
		out = append(out, *groups[k])
	}
	slices.SortStableFunc(out, func(a, b OverPermission) int { return len(b.Flows) - len(a.Flows) })
	return out
}

// diffPeerNamed finds the peer a change names: a unit of the snapshot, or
// an address region (its representative address).
func diffPeerNamed(byUnit map[string]*Unit, regions map[string]region, name string) *diffPeer {
	if u, ok := byUnit[name]; ok {
		return &diffPeer{name: name, nextPods: u.Pods}
	}
	if r, ok := regions[name]; ok {
		return &diffPeer{name: name, region: &r}
	}
	p, ok := regionPrefix(name)
	if !ok {
		return &diffPeer{name: name}
	}
	return &diffPeer{name: name, region: &region{name: name, rep: p.Addr()}}
}

// regionPrefix is the prefix an address region's name starts with.
func regionPrefix(name string) (netip.Prefix, bool) {
	first, _, _ := strings.Cut(name, " ")
	p, err := netip.ParsePrefix(first)
	return p, err == nil
}

// covered is the ports the required flows need from one peer of a diff
// to another: peers named as units, or address regions that lie inside
// a required range, or inside several that the rules merged into one
// (192.0.2.10 and 192.0.2.11 are 192.0.2.10/31).
func (pl *genPlan) covered(byUnit map[string]*Unit, src, dst string) PortSet {
	out := PortSet{}
	var parts []requiredFlow
	for _, rf := range pl.required {
		srcIs, dstIs := pl.endIs(byUnit, rf.src, src), pl.endIs(byUnit, rf.dst, dst)
		switch {
		case srcIs && dstIs:
			out = out.Union(rf.ports)
		case (srcIs || pl.endInside(rf.src, src)) && (dstIs || pl.endInside(rf.dst, dst)):
			parts = append(parts, rf)
		}
	}
	if len(parts) == 0 {
		return out
	}
	// The parts hold the region for a flow's ports when the ranges of
	// the parts that need those ports, merged, hold it.
	region, _ := regionPrefix(dst)
	if parts[0].src.external() {
		region, _ = regionPrefix(src)
	}
	for _, rf := range parts {
		var ranges []netip.Prefix
		for _, o := range parts {
			if rf.ports.Subtract(o.ports).IsEmpty() {
				ranges = append(ranges, o.address())
			}
		}
		if slices.ContainsFunc(mergePrefixes(ranges), func(m netip.Prefix) bool {
			return m.Bits() <= region.Bits() && m.Contains(region.Addr())
		}) {
			out = out.Union(rf.ports)
		}
	}
	return out
}

// address is the range of a required flow's end outside the cluster.
func (rf requiredFlow) address() netip.Prefix {
	if rf.src.external() {
		return rf.src.prefix
	}
	return rf.dst.prefix
}

// endInside tells whether a required address end lies inside a diff
// peer's address region, of which it is then a part.
func (pl *genPlan) endInside(e *genEnd, name string) bool {
	p, ok := regionPrefix(name)
	return e.external() && ok && p.Bits() < e.prefix.Bits() && p.Contains(e.prefix.Addr())
}

// endIs tells whether a diff peer name is (part of) a required end.
func (pl *genPlan) endIs(byUnit map[string]*Unit, e *genEnd, name string) bool {
	if e.external() {
		p, ok := regionPrefix(name)
		return ok && e.prefix.Bits() <= p.Bits() && e.prefix.Contains(p.Addr())
	}
	u, ok := byUnit[name]
	if !ok {
		return false
	}
	for _, p := range u.Pods {
		for _, q := range e.pods {
			if p.Key() == q.Key() {
				return true
			}
		}
	}
	return false
}
