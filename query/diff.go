package query

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// Change is how the reachability from one peer to another changes.
type Change struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	// Before and After are the ports every pod pair may use.
	Before PortSet `json:"before"`
	After  PortSet `json:"after"`
	// NowAllowed and NowDenied are After-Before and Before-After.
	NowAllowed PortSet `json:"nowAllowed"`
	NowDenied  PortSet `json:"nowDenied"`
	// AllowedBy names, for a newly allowed port, what allows each half.
	AllowedBy []string `json:"allowedBy,omitempty"`
	// DeniedBy says, for a newly denied port, why it is denied now.
	DeniedBy []string `json:"deniedBy,omitempty"`
	// Ambiguous are ports that cluster policies of the same tier and
	// priority judge differently before or after the change ("can"
	// answers AMBIGUOUS): Before and After follow name order there. A pair
	// whose ports are the same but whose ambiguity changes is a change.
	Ambiguous *PortSet `json:"ambiguous,omitempty"`
	// Undecided are ports whose before or after verdict depends on what
	// the network plugin does where its profile leaves that unknown
	// ("can" answers UNDECIDED): Before and After follow the API text's
	// reading there. A pair that changes only under some of those values
	// is a change.
	Undecided *PortSet `json:"undecided,omitempty"`
}

// DiffSummary counts the changes.
type DiffSummary struct {
	Pairs        int `json:"pairs"`
	NewlyAllowed int `json:"newlyAllowed"`
	NewlyDenied  int `json:"newlyDenied"`
	// Undecided counts the pairs with undecided ports.
	Undecided int `json:"undecided,omitempty"`
}

// DiffResult compares the reachability of two snapshots.
type DiffResult struct {
	TypeMeta
	SchemaVersion string      `json:"schemaVersion"`
	Changed       bool        `json:"changed"`
	Summary       DiffSummary `json:"summary"`
	Changes       []Change    `json:"changes"`
	// Warnings qualify the whole result, e.g. that some changes are
	// ambiguous or undecided.
	Warnings []Warning `json:"warnings,omitempty"`
	// Profile is the network plugin profile the result was judged under
	// (the next state's), and why it was chosen.
	Profile *Profile `json:"profile,omitempty"`

	// differs marks the variant runs on which some pair differs
	// (undecided.go).
	differs []bool
}

// diffPeer is one end of a compared pair: a workload with its pods in each
// snapshot (nil where it does not exist), or an address region.
type diffPeer struct {
	name               string
	basePods, nextPods []*Pod
	// baseClassed and nextClassed are the pods up to two per class
	// (twoPerClass), once the classes are known.
	baseClassed, nextClassed [][]*Pod
	region                   *region
}

// Diff compares every pair of workloads, and every workload with the
// address regions the policies of either snapshot name, between base and
// next. Only pairs with an end the change can affect are recomputed: pods
// selected by a changed policy, changed pods and workloads, and the
// workloads of relabelled namespaces. A profile that leaves behaviours
// unknown marks the pairs that depend on them undecided (undecided.go).
func Diff(base, next *Snapshot) *DiffResult {
	p := next.opts.Profile
	res := &DiffResult{TypeMeta: Document(KindDiffResult), SchemaVersion: SchemaVersion, Changes: []Change{}, Profile: &p}
	runs, err := diffRuns(base, next)
	main := runs[0]
	res.differs = make([]bool, len(runs))
	affected := map[string]bool{}
	for _, r := range runs {
		for u := range affectedUnits(r.base, r.next) {
			affected[u] = true
		}
	}
	var regions []*diffPeer
	for _, r := range addressRegions(append(main.base.regionPrefixes(), main.next.regionPrefixes()...)) {
		regions = append(regions, &diffPeer{name: r.name, region: &r})
	}
	dnsUnit := "pod " + dnsNamespace + "/" + standardDNSName
	// Only flows from or to a unit the change may affect are compared:
	// from each affected unit to every unit, and from every other unit to
	// the affected ones, not every pair of a large cluster.
	var touched []string
	for _, b := range main.names {
		if affected[b] {
			touched = append(touched, b)
		}
	}
	// One row per source, on every core: the pod path only reads the
	// snapshots once their classes are known, and each row keeps its own
	// changes and variant marks.
	for _, r := range runs {
		r.base.Classes()
		r.next.Classes()
		parallelFor(len(r.names), func(i int) {
			p := r.peers[r.names[i]]
			p.baseClassed, p.nextClassed = r.base.twoPerClass(p.basePods), r.next.twoPerClass(p.nextPods)
		})
	}
	rows := make([]diffRow, len(main.names))
	parallelFor(len(main.names), func(i int) {
		a := main.names[i]
		if main.assumedDNS && a == dnsUnit {
			return // only flows to the stand-in tell something
		}
		row := &rows[i]
		row.differs = make([]bool, len(runs))
		dsts := touched
		if affected[a] {
			dsts = main.names
		}
		for _, b := range dsts {
			row.compare(runs, main.peers[a], main.peers[b])
		}
		if affected[a] {
			for _, r := range regions {
				row.compare(runs, main.peers[a], r)
				row.compare(runs, r, main.peers[a])
			}
		}
	})
	total := 0
	for _, row := range rows {
		total += len(row.changes)
	}
	res.Changes = slices.Grow(res.Changes, total)
	for _, row := range rows {
		res.add(row)
	}
	slices.SortStableFunc(res.Changes, func(x, y Change) int {
		return cmp.Or(strings.Compare(x.Source, y.Source), strings.Compare(x.Destination, y.Destination))
	})
	res.Changed = len(res.Changes) > 0
	if main.assumedDNS && slices.ContainsFunc(res.Changes, func(c Change) bool { return c.Destination == dnsUnit }) {
		res.Warnings = append(res.Warnings, standardDNSWarning)
	}
	n := 0
	for _, c := range res.Changes {
		if c.Ambiguous != nil {
			n++
		}
	}
	res.Warnings = append(res.Warnings, ambiguityWarnings(n, "change")...)
	res.Warnings = append(res.Warnings, res.undecidedWarnings(runs, err)...)
	next.markUnevaluatedChanges(res)
	return res
}

// diffRun is base and next under one semantics, ready to compare: the
// workloads of either by name, in name order.
type diffRun struct {
	base, next *Snapshot
	// assumedDNS is set when neither state has DNS pods and both were
	// given the standard one: flows to DNS are still worth comparing, a
	// change that forgets DNS breaks every lookup.
	assumedDNS bool
	peers      map[string]*diffPeer
	names      []string
	// why keeps the explanations of changes per class pair (Snapshot.why).
	why sync.Map
}

func newDiffRun(base, next *Snapshot) *diffRun {
	r := &diffRun{peers: map[string]*diffPeer{}}
	if len(base.dnsPods()) == 0 && len(next.dnsPods()) == 0 {
		base, r.assumedDNS = base.withStandardDNS()
		next, _ = next.withStandardDNS()
	}
	r.base, r.next = base, next
	add := func(units []*Unit, isBase bool) {
		for _, u := range units {
			p, ok := r.peers[u.String()]
			if !ok {
				p = &diffPeer{name: u.String()}
				r.peers[p.name] = p
				r.names = append(r.names, p.name)
			}
			if isBase {
				p.basePods = u.Pods
			} else {
				p.nextPods = u.Pods
			}
		}
	}
	add(base.Units(""), true)
	add(next.Units(""), false)
	slices.Sort(r.names)
	return r
}

// diffRow is the changes of the pairs from one source, and the variant
// runs on which some of them differ.
type diffRow struct {
	changes []Change
	differs []bool
}

// add counts a row's changes into the result.
func (res *DiffResult) add(row diffRow) {
	for i, d := range row.differs {
		res.differs[i] = res.differs[i] || d
	}
	for _, c := range row.changes {
		if c.Undecided != nil {
			res.Summary.Undecided++
		}
		if !c.NowAllowed.IsEmpty() {
			res.Summary.NewlyAllowed++
		}
		if !c.NowDenied.IsEmpty() {
			res.Summary.NewlyDenied++
		}
		res.Summary.Pairs++
	}
	res.Changes = append(res.Changes, row.changes...)
}

// compare records the change of one pair, if any: its ports in the main
// run (runs[0]), and the ports whose verdict differs in another.
func (row *diffRow) compare(runs []*diffRun, src, dst *diffPeer) {
	base, next := runs[0].base, runs[0].next
	before, ambBefore := base.peerPorts(src, dst, true)
	after, ambAfter := next.peerPorts(src, dst, false)
	undecided := row.undecided(runs, src, dst, before, after)
	if before.Equal(after) && ambBefore.Equal(ambAfter) && undecided.IsEmpty() {
		return
	}
	c := Change{Source: src.name, Destination: dst.name, Before: before, After: after,
		NowAllowed: after.Subtract(before), NowDenied: before.Subtract(after), Ambiguous: nonEmpty(ambBefore.Union(ambAfter)),
		Undecided: nonEmpty(undecided)}
	if !c.NowAllowed.IsEmpty() {
		c.AllowedBy = next.why(src, dst, c.NowAllowed, &runs[0].why)
	}
	if !c.NowDenied.IsEmpty() {
		c.DeniedBy = next.why(src, dst, c.NowDenied, &runs[0].why)
	}
	row.changes = append(row.changes, c)
}

// peerPorts is the ports every pod pair of src -> dst may use in s, and
// the ports that are ambiguous there (only looked for when policies tie).
func (s *Snapshot) peerPorts(src, dst *diffPeer, isBase bool) (ports, ambiguous PortSet) {
	srcPods, srcClassed := src.in(isBase)
	dstPods, dstClassed := dst.in(isBase)
	switch {
	case src.region != nil:
		all, _ := s.regionPorts(flowEnd{addr: src.region.rep}, dstPods, Ingress)
		return all, s.regionAmbiguity(flowEnd{addr: src.region.rep}, dstPods, Ingress)
	case dst.region != nil:
		all, _ := s.regionPorts(flowEnd{addr: dst.region.rep}, srcPods, Egress)
		return all, s.regionAmbiguity(flowEnd{addr: dst.region.rep}, srcPods, Egress)
	}
	if len(srcPods) == 0 || len(dstPods) == 0 {
		return PortSet{}, PortSet{}
	}
	all, _ := s.classedPorts(srcClassed, dstClassed)
	return all, s.classedAmbiguity(srcClassed, dstClassed)
}

// in is the peer's pods in base (isBase) or next, and those pods kept two
// per class.
func (p *diffPeer) in(isBase bool) (pods []*Pod, classed [][]*Pod) {
	if isBase {
		return p.basePods, p.baseClassed
	}
	return p.nextPods, p.nextClassed
}

// why explains, for the first port of ports, what now decides the flow
// from the first pod of src to the first pod of dst (the second, if that
// is the same pod).
func (s *Snapshot) why(src, dst *diffPeer, ports PortSet, memo *sync.Map) []string {
	end := func(p *diffPeer) (flowEnd, bool) {
		if p.region != nil {
			return flowEnd{addr: p.region.rep}, true
		}
		if len(p.nextPods) == 0 {
			return flowEnd{}, false
		}
		return podEnd(p.nextPods[0]), true
	}
	se, ok1 := end(src)
	de, ok2 := end(dst)
	switch {
	case !ok1:
		return []string{src.name + " no longer exists"}
	case !ok2:
		return []string{dst.name + " no longer exists"}
	}
	proto, port := firstPort(ports)
	if se.pod != nil && se.pod == de.pod && len(dst.nextPods) > 1 {
		de = podEnd(dst.nextPods[1])
	}
	// The pods of a class get the same answer from every rule, and the
	// text names rules and addresses, not pods: memo, when given, keeps it
	// per class pair (classes known).
	if memo == nil || se.pod == nil || de.pod == nil || s.classOf[se.pod] == nil || s.classOf[de.pod] == nil {
		return s.whyEnds(se, de, proto, port)
	}
	k := whyKey{src: s.classOf[se.pod], dst: s.classOf[de.pod], proto: proto, port: port, self: se.pod == de.pod}
	if known, ok := memo.Load(k); ok {
		return known.([]string)
	}
	out := slices.Clip(s.whyEnds(se, de, proto, port))
	memo.Store(k, out)
	return out
}

// whyKey is what the text of why depends on between two pods: their
// classes and the port.
type whyKey struct {
	src, dst *Class
	proto    corev1.Protocol
	port     int32
	self     bool
}

// whyEnds is why for one pair of ends and one port.
func (s *Snapshot) whyEnds(se, de flowEnd, proto corev1.Protocol, port int32) []string {
	ask := portAsk{single: true, proto: proto, port: port, scope: SinglePort(proto, port), brief: true}
	pv := s.evalPair(se, de, ask)
	var out []string
	for _, t := range []DirectionTrace{pv.Egress, pv.Ingress} {
		// A cluster policy rule that decided the port names itself; with a
		// Pass, NetworkPolicy's rules follow.
		passed := false
		for _, tr := range t.Tiers {
			if tr.Action == ActionPass && tr.Tier == TierAdmin {
				passed = true
				continue
			}
			verb := map[Action]string{ActionAccept: "accepted", ActionDeny: "denied", ActionPass: "passed on"}[tr.Action]
			out = append(out, fmt.Sprintf("%s %s by %s", t.Direction, verb, tr.Label()))
		}
		if t.DecidedBy != "" && t.DecidedBy != "NetworkPolicy" {
			continue
		}
		if !t.Isolated {
			continue
		}
		if passed {
			out = append(out, fmt.Sprintf("%s passed to NetworkPolicy by the Admin tier", t.Direction))
		}
		if !t.Allowed {
			why := fmt.Sprintf("%s denied: %s", t.Direction, t.Summary)
			if len(t.Rules) > 0 {
				why += fmt.Sprintf("; no rule allows %s %d", proto, port)
			}
			out = append(out, why)
			continue
		}
		for _, r := range t.Rules {
			if r.Allows {
				out = append(out, fmt.Sprintf("%s allowed by %s %s", t.Direction, r.Policy, r.MatchPath()))
			}
		}
	}
	if len(out) == 0 {
		out = append(out, "neither end is isolated in that direction")
	}
	return out
}

func firstPort(s PortSet) (proto corev1.Protocol, port int32) {
	for _, p := range Protocols {
		if rs := s.Ranges(p); len(rs) > 0 {
			return p, rs[0].From
		}
	}
	return "", 0
}

// affectedUnits names the units whose flows the change between base and
// next can touch.
func affectedUnits(base, next *Snapshot) map[string]bool {
	out := map[string]bool{}
	mark := func(s *Snapshot, pods []*Pod) {
		for _, u := range s.unitsOf(pods) {
			out[u.String()] = true
		}
	}
	for _, ref := range changedRefs(base, next) {
		for _, s := range []*Snapshot{base, next} {
			if p := s.policyOf(ref); p != nil {
				// The policy's version in each snapshot, against that
				// snapshot's pods (pods that changed are marked by their
				// own references): its rules judge only the pods it selects.
				mark(s, s.selectedPods(p))
				continue
			}
			switch ref.Kind {
			case "Namespace":
				mark(s, s.podsByNS[ref.Name])
			case "Node":
				// Nodes peers can name it from any pod's egress.
				mark(s, s.pods)
			case "Service":
			case "Pod":
				for _, p := range s.podsByNS[ref.Namespace] {
					if p.source != nil && p.Name == ref.Name {
						mark(s, []*Pod{p})
					}
				}
			default:
				mark(s, s.podsOf(ref.Namespace, WorkloadRef{Kind: ref.Kind, Name: ref.Name}))
			}
		}
	}
	return out
}

// changedRefs lists the objects added, removed or modified from base to
// next.
func changedRefs(base, next *Snapshot) []ObjectRef {
	// An overlay keeps the objects it does not change: the same objects
	// are in both states, unchanged. Only the others are indexed by
	// reference and compared.
	kept := func(objs []runtime.Object) map[runtime.Object]bool {
		m := make(map[runtime.Object]bool, len(objs))
		for _, o := range objs {
			if identity(o) {
				m[o] = true
			}
		}
		return m
	}
	inBase, inNext := kept(base.objects), kept(next.objects)
	index := func(objs []runtime.Object, other map[runtime.Object]bool) map[ObjectRef]runtime.Object {
		m := map[ObjectRef]runtime.Object{}
		for _, o := range objs {
			if identity(o) && other[o] {
				continue
			}
			if ref, err := refOf(o); err == nil {
				m[ref] = o
			}
		}
		return m
	}
	a, b := index(base.objects, inNext), index(next.objects, inBase)
	var out []ObjectRef
	for ref, o := range a {
		if n, ok := b[ref]; !ok || !equality.Semantic.DeepEqual(o, n) {
			out = append(out, ref)
		}
	}
	for ref := range b {
		if _, ok := a[ref]; !ok {
			out = append(out, ref)
		}
	}
	// Namespaces only synthesised in one of the two count as changed too.
	for name, ns := range next.namespaces {
		if old, ok := base.namespaces[name]; !ok || !equality.Semantic.DeepEqual(old.Labels, ns.Labels) {
			out = append(out, ObjectRef{Kind: "Namespace", Name: name})
		}
	}
	for name := range base.namespaces {
		if _, ok := next.namespaces[name]; !ok {
			out = append(out, ObjectRef{Kind: "Namespace", Name: name})
		}
	}
	return out
}

// identity tells whether an object can be known by its address (a map key):
// decoded objects are pointers.
func identity(o runtime.Object) bool {
	return reflect.ValueOf(o).Kind() == reflect.Pointer
}
