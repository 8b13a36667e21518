package query_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The structural checks of generated objects (generate_prop_test.go):
// what each selector selects, the over-permission the proof reports,
// names, and the API server's validation rules.

const ciliumNSKey = "k8s:io.kubernetes.pod.namespace"

// subjectOf finds the unit whose pods a selector of a namespace selects:
// the selector must hold only stable labels of the unit, and select
// exactly the pods those stable labels select.
func (c *propCase) subjectOf(ns string, sel map[string]string) (*propUnit, error) {
	if len(sel) == 0 {
		return nil, fmt.Errorf("an empty selector: every pod of %s", ns)
	}
	for k := range sel {
		if propControllerKeys[k] {
			return nil, fmt.Errorf("selector %s uses %s, which controllers write", labels.FormatLabels(sel), k)
		}
	}
	ls := labels.SelectorFromSet(sel)
	var selected []*query.Pod
	for _, p := range c.snap.PodsIn(ns) {
		if ls.Matches(p.Labels) {
			selected = append(selected, p)
		}
	}
	for _, u := range c.units {
		if u.ns == ns && subset(sel, u.stable) && slices.Equal(selected, u.selected) {
			return u, nil
		}
	}
	var names []string
	for _, p := range selected {
		names = append(names, p.Key())
	}
	return nil, fmt.Errorf("selector %s in %s selects %v: not the pods of one workload's stable labels", labels.FormatLabels(sel), ns, names)
}

func subset(a map[string]string, b labels.Set) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// alsoNamed checks that words naming a unit's selection name every other
// unit it selects.
func (c *propCase) alsoNamed(u *propUnit, words string) error {
	if u.exact() {
		return nil
	}
	for _, w := range c.units {
		if w != u && w.ns == u.ns && slices.ContainsFunc(w.pods, func(p *query.Pod) bool { return slices.Contains(u.selected, p) }) && !strings.Contains(words, w.String()) {
			return fmt.Errorf("the labels of %s also select %s, which %q does not say", u, w, words)
		}
	}
	return nil
}

// checkSelectors checks every selector of every generated policy.
func (c *propCase) checkSelectors(fail func(string, ...any), g *query.Generated, v propVariant) {
	for _, p := range g.Policies {
		notes := map[string]string{}
		for _, n := range p.Rules {
			notes[n.Path] = n.Note
		}
		what := fmt.Sprintf("%s %s/%s", p.Kind, p.Namespace, p.Name)
		subject, peers, shape := policyShape(p)
		if len(subject) == 0 {
			if shape != "default-deny" && shape != "allow-dns" {
				fail("%s selects every pod of its namespace but is neither the default deny nor the DNS egress: %s", what, shape)
			}
			continue
		}
		u, err := c.subjectOf(p.Namespace, subject)
		if err != nil {
			fail("%s: spec: %v", what, err)
		} else if err := c.alsoNamed(u, p.Comment); err != nil {
			fail("%s: %v", what, err)
		}
		for _, pr := range peers {
			if pr.dns {
				fail("%s: %s: a peer of the cluster DNS outside the DNS policy", what, pr.path)
				continue
			}
			u, err := c.subjectOf(pr.ns, pr.sel)
			if err != nil {
				fail("%s: %s: %v", what, pr.path, err)
			} else if err := c.alsoNamed(u, notes[pr.path]); err != nil {
				fail("%s: %s: %v", what, pr.path, err)
			}
		}
	}
}

// shapePeer is a selector peer of a generated rule.
type shapePeer struct {
	path string
	ns   string
	sel  map[string]string
	dns  bool
	err  string
}

// policyShape reads a generated policy's subject selector and selector
// peers, and says which of the two namespace-wide shapes it has
// ("default-deny", "allow-dns") or what it is instead.
func policyShape(p query.GeneratedPolicy) (map[string]string, []shapePeer, string) {
	switch o := p.Object.(type) {
	case *networkingv1.NetworkPolicy:
		var peers []shapePeer
		add := func(path string, pr networkingv1.NetworkPolicyPeer) {
			if pr.IPBlock != nil {
				return
			}
			sp := shapePeer{path: path, ns: o.Namespace}
			if pr.NamespaceSelector != nil {
				sp.ns = pr.NamespaceSelector.MatchLabels[query.NamespaceNameLabel]
				if len(pr.NamespaceSelector.MatchLabels) != 1 || sp.ns == "" || len(pr.NamespaceSelector.MatchExpressions) > 0 {
					sp.ns = "?" + labels.FormatLabels(pr.NamespaceSelector.MatchLabels)
				}
			}
			if pr.PodSelector != nil {
				sp.sel = pr.PodSelector.MatchLabels
			}
			sp.dns = sp.ns == "kube-system" && labels.Equals(sp.sel, map[string]string{"k8s-app": "kube-dns"})
			peers = append(peers, sp)
		}
		for i, r := range o.Spec.Ingress {
			for j, pr := range r.From {
				add(fmt.Sprintf("spec.ingress[%d].from[%d]", i, j), pr)
			}
		}
		for i, r := range o.Spec.Egress {
			for j, pr := range r.To {
				add(fmt.Sprintf("spec.egress[%d].to[%d]", i, j), pr)
			}
		}
		both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		shape := fmt.Sprintf("%+v", o.Spec)
		switch {
		case len(o.Spec.Ingress) == 0 && len(o.Spec.Egress) == 0 && slices.Equal(o.Spec.PolicyTypes, both):
			shape = "default-deny"
		case len(o.Spec.Ingress) == 0 && len(o.Spec.Egress) == 1 && len(peers) == 1 && peers[0].dns &&
			slices.Equal(o.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}) && npPortsAre(o.Spec.Egress[0].Ports, dnsPortSet):
			shape = "allow-dns"
		}
		if len(o.Spec.PodSelector.MatchExpressions) > 0 {
			shape = "matchExpressions"
			return map[string]string{"?": "?"}, peers, shape
		}
		return o.Spec.PodSelector.MatchLabels, peers, shape
	case *unstructured.Unstructured:
		spec, _ := o.Object["spec"].(map[string]any)
		subject := strMap(spec["endpointSelector"], "matchLabels")
		var peers []shapePeer
		for _, dir := range []struct{ field, peers string }{{"ingress", "fromEndpoints"}, {"egress", "toEndpoints"}} {
			rules, _ := spec[dir.field].([]any)
			for i, r := range rules {
				rm, _ := r.(map[string]any)
				eps, _ := rm[dir.peers].([]any)
				for j, ep := range eps {
					sel := strMap(ep, "matchLabels")
					sp := shapePeer{path: fmt.Sprintf("spec.%s[%d].%s[%d]", dir.field, i, dir.peers, j), ns: o.GetNamespace(), sel: sel}
					if ns, ok := sel[ciliumNSKey]; ok {
						sp.ns = ns
						delete(sel, ciliumNSKey)
					}
					sp.dns = sp.ns == "kube-system" && labels.Equals(sp.sel, map[string]string{"k8s-app": "kube-dns"})
					peers = append(peers, sp)
				}
			}
		}
		ing, _ := spec["ingress"].([]any)
		eg, _ := spec["egress"].([]any)
		empty := func(rs []any) bool {
			if len(rs) != 1 {
				return false
			}
			m, ok := rs[0].(map[string]any)
			return ok && len(m) == 0
		}
		shape := fmt.Sprintf("%v", spec)
		switch {
		case empty(ing) && empty(eg) && len(spec) == 3:
			shape = "default-deny"
		case ing == nil && len(eg) == 1 && len(peers) == 1 && peers[0].dns && len(spec) == 2 && cnpPortsAre(eg[0], dnsPortSet):
			shape = "allow-dns"
		}
		return subject, peers, shape
	}
	return map[string]string{"?": "?"}, nil, fmt.Sprintf("%T", p.Object)
}

func strMap(v any, field string) map[string]string {
	m, _ := v.(map[string]any)
	inner, _ := m[field].(map[string]any)
	out := map[string]string{}
	for k, v := range inner {
		out[k], _ = v.(string)
	}
	return out
}

func npPortsAre(ports []networkingv1.NetworkPolicyPort, want query.PortSet) bool {
	got := query.PortSet{}
	for _, p := range ports {
		if p.Protocol == nil || p.Port == nil || p.Port.Type != intstr.Int {
			return false
		}
		got = got.Union(query.SinglePort(*p.Protocol, p.Port.IntVal))
	}
	return got.Equal(want)
}

func cnpPortsAre(rule any, want query.PortSet) bool {
	got := query.PortSet{}
	rm, _ := rule.(map[string]any)
	tps, _ := rm["toPorts"].([]any)
	for _, tp := range tps {
		m, _ := tp.(map[string]any)
		ps, _ := m["ports"].([]any)
		for _, p := range ps {
			pm, _ := p.(map[string]any)
			n, err := strconv.Atoi(fmt.Sprint(pm["port"]))
			if err != nil {
				return false
			}
			got = got.Union(query.SinglePort(corev1.Protocol(fmt.Sprint(pm["protocol"])), int32(n)))
		}
	}
	return got.Equal(want)
}

// checkNames checks the generated objects live in the namespaces in
// scope, under names unique there that no kept policy of their kind has.
func (c *propCase) checkNames(fail func(string, ...any), g *query.Generated, v propVariant) {
	kept := map[string]bool{}
	removed := map[string]bool{}
	for _, r := range g.Removes {
		removed[r.Namespace+"/"+r.Name] = true
	}
	for _, obj := range c.app.policies {
		m, _ := obj.(metav1.Object)
		_, isCNP := obj.(*unstructured.Unstructured)
		if isCNP == v.cilium && !(v.replace && slices.Contains(g.Namespaces, m.GetNamespace())) {
			kept[m.GetNamespace()+"/"+m.GetName()] = true
		}
	}
	seen := map[string]bool{}
	for _, p := range g.Policies {
		k := p.Namespace + "/" + p.Name
		if seen[k] {
			fail("two generated policies named %s", k)
		}
		seen[k] = true
		if kept[k] {
			fail("generated %s %s overwrites a policy that is kept", p.Kind, k)
		}
		if removed[k] {
			fail("generated %s %s is also to be deleted", p.Kind, k)
		}
		if !slices.Contains(g.Namespaces, p.Namespace) {
			fail("generated %s %s outside the namespaces in scope %v", p.Kind, k, g.Namespaces)
		}
	}
}

func flowList(flows []query.GenerateFlow) string {
	var b strings.Builder
	for _, f := range flows {
		verb := "allow"
		if !f.Allow {
			verb = "deny"
		}
		fmt.Fprintf(&b, "  %s %s: %s -> %s\n", verb, f.Name, f.From, f.To)
	}
	return b.String()
}

// checkRemoves checks Replace gives up exactly the existing policies of
// the kind written in scope, and lists to delete those no generated
// policy overwrites.
func (c *propCase) checkRemoves(fail func(string, ...any), g *query.Generated, m *propModel, v propVariant) {
	var want []query.ObjectRef
	if v.replace {
		want = replacedBy(c.app, m.scope, v.cilium)
	}
	overwritten := map[query.ObjectRef]bool{}
	for _, p := range g.Policies {
		ref := query.ObjectRef{Kind: p.Kind, Namespace: p.Namespace, Name: p.Name}
		if v.cilium {
			ref.Group = "cilium.io"
		}
		overwritten[ref] = true
	}
	want = slices.DeleteFunc(want, func(r query.ObjectRef) bool { return overwritten[r] })
	sortRefs(want)
	got := slices.Clone(g.Removes)
	sortRefs(got)
	if !slices.Equal(got, want) {
		fail("removes %v, want %v (the replaced policies no generated one overwrites)", got, want)
	}
}

func sortRefs(refs []query.ObjectRef) {
	slices.SortFunc(refs, func(a, b query.ObjectRef) int { return strings.Compare(a.String(), b.String()) })
}

// probesPerVariant is how many probes each variant judges.
const probesPerVariant = 80

// checkProbes compares the generated state with the model on a sample of
// the probes, half by half.
func (c *propCase) checkProbes(fail func(string, ...any), m *propModel, applied *query.Snapshot, v propVariant) {
	probes := slices.Clone(c.probes)
	r := rand.New(rand.NewPCG(c.seed, uint64(slices.Index(propVariants, v))))
	r.Shuffle(len(probes), func(i, j int) { probes[i], probes[j] = probes[j], probes[i] })
	for _, p := range probes[:min(len(probes), probesPerVariant)] {
		wantE, wantI, err := m.want(p)
		if err != nil {
			fail("%v", err)
			return
		}
		ans, err := ask(applied, p)
		if err != nil {
			fail("%v", err)
			return
		}
		pv := ans.Pairs[0]
		if !ans.Decided {
			fail("%s: undecided on the generated state: %v", p, ans.DependsOn)
			continue
		}
		if !pv.Egress.AllowedPorts.Equal(wantE) {
			fail("%s: egress allows %s, the model %s", p, pv.Egress.AllowedPorts, wantE)
		}
		if !pv.Ingress.AllowedPorts.Equal(wantI) {
			fail("%s: ingress allows %s, the model %s", p, pv.Ingress.AllowedPorts, wantI)
		}
	}
}

// checkDeterministic generates again, and from the objects in another
// order, and wants the same answer byte for byte.
func (c *propCase) checkDeterministic(t *testing.T, fail func(string, ...any), v propVariant, g *query.Generated, flows []query.GenerateFlow, opts query.GenerateOptions) {
	t.Helper()
	want, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.snapFor(t, v).Generate(flows, opts)
	if err != nil {
		t.Fatal(err)
	}
	objs := slices.Clone(c.app.objs)
	r := rand.New(rand.NewPCG(c.seed, 7))
	r.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
	shuffled, err := query.NewSnapshot(objs, c.optionsFor(v))
	if err != nil {
		t.Fatal(err)
	}
	other, err := shuffled.Generate(flows, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]*query.Generated{"generated again": again, "from the objects shuffled": other} {
		got, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			fail("%s: a different answer:\n%s\nwant\n%s", name, got, want)
		}
	}
}
