package query_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Generation checked the way a reviewer would, on random hidden
// applications (generate_propapp_test.go) with hidden required flows:
// for NetworkPolicy and CiliumNetworkPolicy output, with and without
// Replace, the state the generated objects make (applied as the YAML's
// header says: apply them, then delete what they replace) allows every
// required flow and denies every deny flow, and allows, pair by pair and
// port by port, exactly what the test's own model says
// (generate_propmodel_test.go); every selector selects the pods of one
// workload, or more only where no stable label tells workloads apart and
// the comment says so; with selectors that exact, the proof's
// over-permission is DNS alone; the objects pass the API server's
// validation rules; and generating twice, or from the objects in another
// order, writes the same. The proof itself must say what the model says:
// which flows hold, and what the policies also allow, row by row.
//
// To look into one case: go test ./query -run 'TestGenerateOnHiddenApplications/seed=17$'.

// propVariant is one way of asking for the policies of an application.
type propVariant struct {
	cilium, replace bool
}

func (v propVariant) String() string {
	kind := "networkpolicy"
	if v.cilium {
		kind = "ciliumnetworkpolicy"
	}
	if v.replace {
		return kind + "+replace"
	}
	return kind
}

var propVariants = []propVariant{{false, false}, {false, true}, {true, false}, {true, true}}

func TestGenerateOnHiddenApplications(t *testing.T) {
	cases := 200
	if testing.Short() {
		cases = 40
	}
	stats := propStats{}
	ran := 0
	for seed := range uint64(cases) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			ran++
			c := newPropCase(t, seed)
			c.stats = stats
			for i, v := range propVariants {
				c.check(t, v, uint64(i) == seed%uint64(len(propVariants)))
			}
		})
	}
	// The applications must keep producing what the checks are for (in
	// the full run: a short one, or one case, is too few for the rare ones).
	for _, what := range slices.Sorted(maps.Keys(propFeatures)) {
		t.Logf("%4d checks with %s", stats[what], what)
		if !testing.Short() && ran == cases && stats[what] < cases/propFeatures[what] {
			t.Errorf("only %d of %d checks had %s, want at least %d", stats[what], cases*len(propVariants), what, cases/propFeatures[what])
		}
	}
}

// propCase is one application with its request, before the variants.
type propCase struct {
	seed uint64
	app  propApp
	snap *query.Snapshot
	// ciliumSnap is the snapshot under Cilium's profile, built on first
	// use.
	ciliumSnap *query.Snapshot
	units      []*propUnit
	required   []propFlow
	// candidates are flows to stay denied; each variant keeps those its
	// model denies.
	candidates    []propFlow
	nss           []string // explicit scope, or nil
	widen4        int
	widen6        int
	probes        []probe
	keptAnswers   map[string]map[string]*query.Answer
	dnsPods       []*query.Pod
	unitByPodName map[string]*propUnit
	// reps are per unit its pods that differ by more than the labels
	// controllers write.
	reps  map[*propUnit][]*query.Pod
	stats propStats
}

func newPropCase(t *testing.T, seed uint64) *propCase {
	t.Helper()
	c := &propCase{seed: seed, app: randomApp(seed), keptAnswers: map[string]map[string]*query.Answer{}, unitByPodName: map[string]*propUnit{}}
	snap, err := query.NewSnapshot(c.app.objs, query.DefaultOptions())
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	c.snap = snap
	c.units = unitsOf(snap)
	var appUnits []*propUnit
	for _, u := range c.units {
		for _, p := range u.pods {
			c.unitByPodName[p.Key()] = u
		}
		if u.ns == "kube-system" {
			c.dnsPods = append(c.dnsPods, u.pods...)
			continue
		}
		appUnits = append(appUnits, u)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	addRequired := func(from, to propEnd, port string, ports query.PortSet) {
		gf, err := genFlow(fmt.Sprintf("required-%d", len(c.required)), true, from, to, port)
		if err != nil {
			t.Fatal(err)
		}
		c.required = append(c.required, propFlow{gf: gf, src: from, dst: to, ports: ports})
	}
	for range 1 + r.IntN(6) {
		from, to, port, ports := randomFlow(r, appUnits)
		addRequired(from, to, port, ports)
		if r.IntN(4) == 0 && (from.unit == nil || to.unit == nil) {
			// More addresses on the same port with the same workload:
			// one rule, whose ranges are merged.
			for range 1 + r.IntN(3) {
				other := propEnd{pfx: mustPrefix(pickOne(r, propExternal))}
				if from.unit == nil {
					addRequired(other, to, port, ports)
				} else {
					addRequired(from, other, port, ports)
				}
			}
		}
	}
	for i := 0; len(c.candidates) < 6 && i < 50; i++ {
		from, to, port, ports := randomFlow(r, appUnits)
		if port == "" {
			continue
		}
		gf, err := genFlow(fmt.Sprintf("deny-%d", len(c.candidates)), false, from, to, port)
		if err != nil {
			t.Fatal(err)
		}
		c.candidates = append(c.candidates, propFlow{gf: gf, src: from, dst: to, ports: ports})
	}
	switch k := r.IntN(10); {
	case k < 2:
		c.nss = c.app.nss // every namespace, those without required ends too
	case k < 4:
		// Some namespaces only: required flows may then need what the
		// policies out of scope deny.
		for _, ns := range c.app.nss {
			if r.IntN(2) == 0 {
				c.nss = append(c.nss, ns)
			}
		}
		if c.nss == nil {
			c.nss = c.app.nss[:1]
		}
	}
	if r.IntN(6) == 0 {
		c.widen4, c.widen6 = 24, 48
	}
	c.probes = c.probeSet()
	return c
}

// probeSet is every pair of pods that differ by more than the labels
// controllers write, and every such pod with the addresses outside the
// cluster that flows name, their edges and neighbours.
func (c *propCase) probeSet() []probe {
	var reps []*query.Pod
	seen := map[string]bool{}
	c.reps = map[*propUnit][]*query.Pod{}
	for _, u := range c.units {
		for _, p := range u.pods {
			k := u.ref + "|" + stableOf(p) + "|" + fmt.Sprint(p.Ports)
			if !seen[k] {
				seen[k] = true
				reps = append(reps, p)
				c.reps[u] = append(c.reps[u], p)
			}
		}
	}
	var addrs []netip.Addr
	for _, s := range append(slices.Clone(propExternal), "192.0.2.12", "198.51.100.200", "203.0.113.200", "2001:db8::6", "2001:db8:2::1", "8.8.8.8") {
		p := mustPrefix(s)
		addrs = append(addrs, p.Addr(), lastAddr(p))
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	addrs = slices.Compact(addrs)
	var out []probe
	for _, a := range reps {
		for _, b := range reps {
			if a != b {
				out = append(out, probe{src: a, dst: b})
			}
		}
		for _, addr := range addrs {
			out = append(out, probe{src: a, dstAddr: addr}, probe{srcAddr: addr, dst: a})
		}
	}
	return out
}

// stableOf is a pod's labels without those controllers write.
func stableOf(p *query.Pod) string {
	l := maps.Clone(p.Labels)
	for k := range l {
		if propControllerKeys[k] {
			delete(l, k)
		}
	}
	return l.String()
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

// optionsFor are the snapshot options a variant judges under: the API
// text, or for CiliumNetworkPolicies in every other case Cilium's
// profile, where they are meant to run.
func (c *propCase) optionsFor(v propVariant) query.Options {
	o := query.DefaultOptions()
	if v.cilium && c.seed%2 == 1 {
		p, err := query.ProfileNamed("cilium")
		if err != nil {
			panic(err)
		}
		o.Profile = p
	}
	return o
}

// snapFor is the application's snapshot a variant judges on. Its pods
// are other objects than c.snap's, named the same: the model names pods
// to the engine, never hands it c.snap's.
func (c *propCase) snapFor(t *testing.T, v propVariant) *query.Snapshot {
	t.Helper()
	o := c.optionsFor(v)
	if o.Profile.Name == query.DefaultOptions().Profile.Name {
		return c.snap
	}
	if c.ciliumSnap == nil {
		s, err := query.NewSnapshot(c.app.objs, o)
		if err != nil {
			t.Fatalf("NewSnapshot: %v", err)
		}
		c.ciliumSnap = s
	}
	return c.ciliumSnap
}

// model builds the expectation of one variant.
func (c *propCase) model(t *testing.T, v propVariant) *propModel {
	t.Helper()
	m := &propModel{scope: map[string]bool{}, required: c.required, widen4: c.widen4, widen6: c.widen6}
	for _, ns := range c.nss {
		m.scope[ns] = true
	}
	if c.nss == nil {
		for _, rf := range c.required {
			for _, e := range []propEnd{rf.src, rf.dst} {
				if e.unit != nil {
					m.scope[e.unit.ns] = true
				}
			}
		}
	}
	var replaced []query.ObjectRef
	if v.replace {
		replaced = replacedBy(c.app, m.scope, v.cilium)
	}
	base, err := c.snapFor(t, v).Without(replaced...)
	if err != nil {
		t.Fatal(err)
	}
	scope := slices.Sorted(maps.Keys(m.scope))
	if m.kept, err = base.With(testDenies(scope)...); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprint(c.optionsFor(v).Profile.Name, replaced)
	if c.keptAnswers[key] == nil {
		c.keptAnswers[key] = map[string]*query.Answer{}
	}
	m.answer = c.keptAnswers[key]
	return m
}

// pairsOf lists the probes a flow stands for: every pod of a unit end
// with every pod or the address of the other.
func pairsOf(f propFlow) []probe {
	var out []probe
	srcs, dsts := []*query.Pod{nil}, []*query.Pod{nil}
	if f.src.unit != nil {
		srcs = f.src.unit.pods
	}
	if f.dst.unit != nil {
		dsts = f.dst.unit.pods
	}
	for _, s := range srcs {
		for _, d := range dsts {
			p := probe{src: s, dst: d}
			if s == nil {
				p.srcAddr = f.src.pfx.Addr()
			}
			if d == nil {
				p.dstAddr = f.dst.pfx.Addr()
			}
			out = append(out, p)
		}
	}
	return out
}

// allows tells whether the model allows a flow's ports at every pair.
func (m *propModel) allows(f propFlow) (bool, error) {
	for _, p := range pairsOf(f) {
		if p.src == p.dst && p.src != nil {
			continue
		}
		e, i, err := m.want(p)
		if err != nil {
			return false, err
		}
		if !f.ports.Subtract(e.Intersect(i)).IsEmpty() {
			return false, nil
		}
	}
	return true, nil
}

// check generates the policies of one variant and checks them.
// Each variant judges a sample of the probes, and one variant in turn
// generates again to compare: the cases stay many and quick.
func (c *propCase) check(t *testing.T, v propVariant, again bool) {
	t.Helper()
	m := c.model(t, v)
	var flows []query.GenerateFlow
	for _, rf := range c.required {
		flows = append(flows, rf.gf)
	}
	var denies []propFlow
	for _, f := range c.candidates {
		ok, err := m.allows(f)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if !ok {
			denies = append(denies, f)
			flows = append(flows, f.gf)
		}
	}
	opts := query.GenerateOptions{Namespaces: c.nss, DefaultNamespace: "default", Cilium: v.cilium, Replace: v.replace, IPv4Prefix: c.widen4, IPv6Prefix: c.widen6}
	snap := c.snapFor(t, v)
	g, err := snap.Generate(flows, opts)
	if err != nil {
		t.Fatalf("%s: Generate: %v\nflows:\n%s", v, err, flowList(flows))
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s\nflows:\n%s", v, fmt.Sprintf(format, args...), flowList(flows))
	}
	objs := make([]runtime.Object, len(g.Policies))
	for i, p := range g.Policies {
		objs[i] = p.Object
	}

	// The scope and what is replaced.
	if want := slices.Sorted(maps.Keys(m.scope)); !slices.Equal(g.Namespaces, want) {
		fail("namespaces in scope %v, want %v", g.Namespaces, want)
	}
	c.checkRemoves(fail, g, m, v)

	// The state as the YAML says to make it: apply, then delete.
	applied, err := snap.With(objs...)
	if err != nil {
		t.Fatalf("%s: With: %v", v, err)
	}
	if applied, err = applied.Without(g.Removes...); err != nil {
		t.Fatalf("%s: Without: %v", v, err)
	}

	// Every required flow allowed, every deny flow denied, but where the
	// model says a policy out of scope blocks a required one; the proof
	// says so, and names the blocker.
	allowed := map[string]bool{}
	holds := true
	for _, rf := range c.required {
		ok, err := m.allows(rf)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		allowed[rf.gf.Name] = ok
		holds = holds && ok
	}
	for _, f := range flows {
		ans, err := applied.Can(f.Flow, "default")
		if err != nil {
			t.Fatalf("%s: can %s: %v", v, f.Name, err)
		}
		if !ans.Decided || ans.Allowed != allowed[f.Name] {
			fail("%s (%s -> %s): allowed=%v decided=%v on the generated state, want allowed=%v", f.Name, f.From, f.To, ans.Allowed, ans.Decided, allowed[f.Name])
		}
	}
	if g.Proof.Holds != holds || g.Proof.Undecided || len(g.Proof.Required) != len(c.required) || len(g.Proof.Denied) != len(denies) {
		fail("proof: holds=%v undecided=%v, %d required and %d denied checks, want holds=%v, %d and %d", g.Proof.Holds, g.Proof.Undecided, len(g.Proof.Required), len(g.Proof.Denied), holds, len(c.required), len(denies))
	}
	for _, pc := range append(slices.Clone(g.Proof.Required), g.Proof.Denied...) {
		required := strings.HasPrefix(pc.Name, "required-")
		want := allowed[pc.Name] == required
		if pc.Holds != want || (!pc.Holds && required && pc.Blocker == "") {
			fail("proof of %s: holds=%v (%s), blocker %q; want holds=%v, and a blocker if not", pc.Name, pc.Holds, pc.Verdict, pc.Blocker, want)
		}
	}
	c.stats.count("the proof fails as the model says", !holds)
	c.stats.count("deny flows", len(denies) > 0)

	// Pair by pair, port by port, what the model says.
	c.checkProbes(fail, m, applied, v)

	c.checkSelectors(fail, g, v)
	c.checkAlsoAllowed(fail, g, m)
	if again {
		c.checkOverPermission(fail, g, m)
	}
	c.countFeatures(g, m, v)
	for _, p := range g.Policies {
		for _, e := range validPolicy(p) {
			fail("%s %s/%s: %s", p.Kind, p.Namespace, p.Name, e)
		}
	}
	c.checkNames(fail, g, v)
	if again {
		c.checkDeterministic(t, fail, v, g, flows, opts)
	}
}
