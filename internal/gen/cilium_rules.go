package gen

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const compLabel = "app.kubernetes.io/component"

// ciliumAppQueue is the Cilium policies an application namespace calls
// for, in the order a team would write them (appQueue's for
// NetworkPolicy).
func (g *generator) ciliumAppQueue(ns *namespace) []cnpBuilder {
	var q []cnpBuilder
	switch ns.ciliumPosture {
	case open:
		if g.chance(0.5) {
			q = append(q, func() *ciliumPolicy { return g.guardRail(ns) })
		}
		return q
	case zeroTrust:
		switch g.weighted(0.45, 0.35, 0.2) {
		case 0:
			q = append(q, func() *ciliumPolicy {
				p := newCNP("default-deny", metav1.LabelSelector{})
				p.Spec.Ingress, p.Spec.Egress = []ciliumPeers{{}}, []ciliumPeers{{}}
				return p
			}, g.ciliumAllowDNS)
		case 1:
			q = append(q, func() *ciliumPolicy {
				p := newCNP("default-deny", metav1.LabelSelector{})
				p.Spec.Ingress, p.Spec.Egress = []ciliumPeers{{}}, []ciliumPeers{g.dnsEgress()}
				return p
			})
		default: // no default deny: the policies of each workload isolate it
			q = append(q, g.ciliumAllowDNS)
		}
	default:
		if g.chance(0.6) {
			q = append(q, func() *ciliumPolicy {
				p := newCNP(pick(g, []string{"default-deny-ingress", "default-deny", "deny-all-ingress"}), metav1.LabelSelector{})
				p.Spec.Ingress = []ciliumPeers{{}}
				return p
			})
		}
	}
	var fronts []*workload
	for _, w := range ns.workloads {
		if w.component == "frontend" {
			fronts = append(fronts, w)
		}
	}
	if len(fronts) > 0 {
		q = append(q, func() *ciliumPolicy { return g.ciliumIngressNginx(fronts) })
	}
	if len(ns.workloads) > 0 && g.chance(0.7) {
		q = append(q, func() *ciliumPolicy { return g.ciliumPrometheus(ns) })
	}
	if ns.env == "prod" && g.chance(0.3) {
		q = append(q, func() *ciliumPolicy { return g.denyFromDev(ns) })
	}
	ws := slices.Clone(ns.workloads)
	g.rng.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
	extra := func() {
		if g.chance(0.08) {
			q = append(q, func() *ciliumPolicy { return g.ciliumFiller(ns) })
		}
	}
	if ns.ciliumPosture == denyIngress && g.chance(0.5) {
		order, tiers := servedTiers(ws)
		for _, c := range order {
			q = append(q, func() *ciliumPolicy { return g.ciliumTierIngress(ns, c, tiers[c]) })
			extra()
		}
		return q
	}
	combined := ns.ciliumPosture == zeroTrust && g.chance(0.7)
	for _, w := range ws {
		in := len(w.served) > 0 && w.component != "frontend"
		out := ns.ciliumPosture == zeroTrust && (len(w.uses) > 0 || w.internet || w.partner)
		switch {
		case combined && in && out:
			q = append(q, func() *ciliumPolicy { return g.ciliumBothFor(w) })
		default:
			if in {
				q = append(q, func() *ciliumPolicy { return g.ciliumIngressFor(w) })
			}
			if out {
				q = append(q, func() *ciliumPolicy { return g.ciliumEgressFor(w) })
			}
		}
		if isStore(w) && g.chance(0.15) {
			q = append(q, func() *ciliumPolicy { return g.denyFrontends(w) })
		}
		extra()
	}
	return q
}

func isStore(w *workload) bool {
	return w.component == "database" || w.component == "cache" || w.component == "queue"
}

// endpointSel selects the workload's pods, the keys sometimes with their
// source written out.
func (g *generator) endpointSel(w *workload) metav1.LabelSelector {
	sel := w.sel()
	if g.chance(0.15) {
		for k, v := range sel {
			delete(sel, k)
			sel["k8s:"+k] = v
		}
	}
	return metav1.LabelSelector{MatchLabels: sel}
}

func (g *generator) ciliumAllowDNS() *ciliumPolicy {
	p := newCNP("allow-dns", metav1.LabelSelector{})
	p.Spec.Egress = []ciliumPeers{g.dnsEgress()}
	return p
}

func (g *generator) ciliumIngressNginx(fronts []*workload) *ciliumPolicy {
	sel := metav1.LabelSelector{MatchLabels: fronts[0].sel()}
	if len(fronts) > 1 {
		sel = *ml(compLabel, "frontend")
	}
	p := newCNP("allow-ingress-nginx", sel)
	var from ciliumPeers
	switch g.weighted(0.45, 0.3, 0.15, 0.1) {
	case 0:
		from.FromEndpoints = []metav1.LabelSelector{inNamespace("ingress-nginx", nameLabel, "ingress-nginx")}
	case 1:
		from.FromEndpoints = []metav1.LabelSelector{inNamespace("ingress-nginx")}
	case 2:
		from.FromEndpoints = []metav1.LabelSelector{withNSLabels(*ml(nameLabel, "ingress-nginx"), "team", "platform")}
	default:
		from.FromEntities = []string{"cluster"}
	}
	port := g.cportName(string(tcp), "http")
	if g.chance(0.4) {
		port = g.cportNum(string(tcp), 8080)
	}
	from.ToPorts = toPorts(port)
	p.Spec.Ingress = []ciliumPeers{from}
	return p
}

func (g *generator) ciliumPrometheus(ns *namespace) *ciliumPolicy {
	var sel metav1.LabelSelector
	switch g.weighted(0.5, 0.3, 0.2) {
	case 1:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{expr(ns.appKey, metav1.LabelSelectorOpExists)}
	case 2:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{expr("tier", metav1.LabelSelectorOpIn, "web", "backend", "data")}
	}
	p := newCNP(pick(g, []string{"allow-prometheus-scrape", "allow-monitoring"}), sel)
	from := inNamespace("monitoring", nameLabel, "prometheus")
	if g.chance(0.3) {
		from = inNamespace("monitoring")
	}
	p.Spec.Ingress = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{from}, ToPorts: toPorts(g.cportName(string(tcp), "metrics"))}}
	if g.chance(0.3) {
		p.Spec.EnableDefaultDeny = noDefaultDeny(true, false) // scraping allowed, nothing isolated
	}
	return p
}

// ciliumIngressFor is the allow-list of a served workload (ingressFor's):
// its clients in the namespace by labels, elsewhere by namespace name and
// labels, by namespace labels and component, or by namespace alone.
func (g *generator) ciliumIngressFor(w *workload) *ciliumPolicy {
	same, cross := w.clientsBySide()
	name := g.ingressName(w)
	p := newCNP(name, g.endpointSel(w))
	var eps []metav1.LabelSelector
	switch {
	case len(same) > 1 && g.chance(0.5):
		var names []string
		for _, c := range same {
			names = append(names, c.name)
		}
		slices.Sort(names)
		eps = append(eps, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr(w.ns.appKey, metav1.LabelSelectorOpIn, names...)}})
	default:
		for _, c := range same {
			eps = append(eps, *ml(c.ns.appKey, c.name))
		}
	}
	var crossEps []metav1.LabelSelector
	for _, c := range cross {
		switch g.weighted(0.5, 0.25, 0.25) {
		case 0:
			crossEps = append(crossEps, inNamespace(c.ns.name, c.ns.appKey, c.name))
		case 1:
			crossEps = append(crossEps, withNSLabels(*ml(compLabel, c.component), "team", c.ns.team, "env", c.ns.env))
		default:
			crossEps = append(crossEps, inNamespace(c.ns.name))
		}
	}
	if len(eps) == 0 && len(crossEps) == 0 {
		if w.component == "api" {
			eps = append(eps, metav1.LabelSelector{}) // the whole namespace
		} else {
			eps = append(eps, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				expr(compLabel, metav1.LabelSelectorOpIn, "api", "worker")}})
		}
	}
	if g.chance(0.08) {
		eps = append(eps, *ml(w.ns.appKey, "legacy-"+w.name)) // a client long gone
	}
	ports := g.cservedPorts(w)
	rule := ciliumPeers{FromEndpoints: eps, ToPorts: toPorts(ports...)}
	if w.component == "api" && g.chance(0.12) {
		// HTTP visibility and filtering by the Envoy proxy: TCP only.
		for i := range rule.ToPorts[0].Ports {
			rule.ToPorts[0].Ports[i].Protocol = string(tcp)
		}
		rule.ToPorts[0].Rules = &ciliumL7{HTTP: []ciliumHTTP{{Method: "GET", Path: "/.*"}, {Method: "POST", Path: "/api/v[0-9]+/.*"}}}
	}
	if len(crossEps) > 0 && len(eps) > 0 && g.chance(0.3) {
		// Other namespaces get a rule of their own, on the first port only.
		p.Spec.Ingress = []ciliumPeers{rule, {FromEndpoints: crossEps, ToPorts: toPorts(ports[0])}}
		return p
	}
	rule.FromEndpoints = append(rule.FromEndpoints, crossEps...)
	p.Spec.Ingress = []ciliumPeers{rule}
	return p
}

// ciliumEgressFor is the egress allow-list of a workload in a zero-trust
// namespace (egressFor's): what it calls in the cluster, the internet by
// CIDR set or entity, partner backends by toCIDR, the telemetry agent by
// port range; one kind of peer per rule.
func (g *generator) ciliumEgressFor(w *workload) *ciliumPolicy {
	p := newCNP(w.name+"-egress", g.endpointSel(w))
	var rules []ciliumPeers
	for _, u := range w.uses {
		to := *ml(u.ns.appKey, u.name)
		if u.ns != w.ns {
			to = inNamespace(u.ns.name, u.ns.appKey, u.name)
		}
		r := ciliumPeers{ToEndpoints: []metav1.LabelSelector{to}}
		if ports := g.cservedPorts(u); len(ports) > 0 {
			r.ToPorts = toPorts(ports...)
		}
		rules = append(rules, r)
	}
	if w.internet {
		var r ciliumPeers
		switch g.weighted(0.45, 0.3, 0.25) {
		case 0:
			r.ToCIDRSet = []ciliumCIDR{{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}}}
			if g.dualStack || g.chance(0.2) {
				r.ToCIDRSet = append(r.ToCIDRSet, ciliumCIDR{CIDR: "::/0", Except: []string{"fc00::/7", "fe80::/10"}})
			}
		case 1:
			r.ToEntities = []string{"world"}
		default:
			r.ToCIDRSet = []ciliumCIDR{{CIDR: "0.0.0.0/0", Except: []string{metadataAddress}}}
		}
		ports := []ciliumPort{g.cportNum(string(tcp), 443)}
		if g.chance(0.3) {
			ports = append(ports, g.cportNum(string(tcp), 80))
		}
		r.ToPorts = toPorts(ports...)
		rules = append(rules, r)
	}
	if w.partner {
		to := []string{fmt.Sprintf("203.0.113.%d/32", g.between(1, 254)), fmt.Sprintf("198.51.100.%d/32", g.between(1, 254))}
		if g.chance(0.4) {
			to = append(to, fmt.Sprintf("2001:db8:%x::/48", g.between(1, 0xffff)))
		}
		rules = append(rules, ciliumPeers{ToCIDR: to, ToPorts: toPorts(g.cportNum(string(tcp), 443), g.cportNum(string(tcp), 8443))})
	}
	if w.component != "database" && g.chance(0.4) {
		rules = append(rules, ciliumPeers{
			ToEndpoints: []metav1.LabelSelector{inNamespace("monitoring", nameLabel, "otel-agent")},
			ToPorts:     toPorts(ciliumPort{Port: "4317", EndPort: 4318, Protocol: string(tcp)}),
		})
	}
	if w.component == "api" && g.chance(0.15) {
		// A managed database outside the cluster, in the VPC; toCIDR takes
		// a bare address as /32.
		addr := fmt.Sprintf("10.10.%d.%d", g.between(0, 255), g.between(1, 254))
		if g.chance(0.5) {
			addr += "/32"
		}
		rules = append(rules, ciliumPeers{ToCIDR: []string{addr}, ToPorts: toPorts(g.cportNum(string(tcp), 5432))})
	}
	if g.chance(0.15) {
		rules = append(rules, g.dnsEgress()) // belt and braces
	}
	p.Spec.Egress = rules
	return p
}

// ciliumBothFor is one policy with a workload's ingress and egress
// allow-lists, in one rule or as two rules of specs.
func (g *generator) ciliumBothFor(w *workload) *ciliumPolicy {
	in, out := g.ciliumIngressFor(w), g.ciliumEgressFor(w)
	in.Name = w.name
	if g.chance(0.3) {
		in.Specs = []ciliumRule{*in.Spec, *out.Spec}
		in.Spec = nil
		return in
	}
	in.Spec.Egress = out.Spec.Egress
	return in
}

// ciliumTierIngress is one ingress allow-list for every workload of a
// component (tierIngress's).
func (g *generator) ciliumTierIngress(ns *namespace, component string, ws []*workload) *ciliumPolicy {
	p := newCNP(pick(g, []string{"allow-to-", "allow-"})+component, *ml(compLabel, component))
	comps, callers, ports := tierCallers(ns, ws)
	var eps []metav1.LabelSelector
	if sel := tierSelector(comps, len(callers)); sel != nil {
		eps = append(eps, *sel)
	}
	for _, c := range callers {
		eps = append(eps, inNamespace(c.ns.name, compLabel, c.component))
	}
	named := g.chance(0.6)
	var cps []ciliumPort
	for _, pt := range ports {
		if named {
			cps = append(cps, g.cportName(string(pt.Protocol), pt.Name))
		} else {
			cps = append(cps, g.cportNum(string(pt.Protocol), pt.ContainerPort))
		}
	}
	p.Spec.Ingress = []ciliumPeers{{FromEndpoints: eps, ToPorts: toPorts(cps...)}}
	return p
}

// Guard rails: deny rules, which win over every allow, most of them
// isolating nothing.

// denyFromDev keeps dev namespaces out of a prod namespace.
func (g *generator) denyFromDev(ns *namespace) *ciliumPolicy {
	p := newCNP("deny-from-dev", metav1.LabelSelector{})
	p.Spec.Description = "Nothing in a dev namespace reaches prod."
	p.Spec.IngressDeny = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{*ml(ciliumNSLabels+"env", "dev")}}}
	if ns.ciliumPosture == open || g.chance(0.7) {
		p.Spec.EnableDefaultDeny = noDefaultDeny(true, false)
	}
	return p
}

// denyFrontends keeps frontends away from a datastore, on every port or
// on the datastore's own.
func (g *generator) denyFrontends(w *workload) *ciliumPolicy {
	p := newCNP(w.name+"-deny-frontends", g.endpointSel(w))
	r := ciliumPeers{FromEndpoints: []metav1.LabelSelector{*ml(compLabel, "frontend")}}
	if g.chance(0.5) {
		r.ToPorts = toPorts(g.cservedPorts(w)...)
	}
	p.Spec.IngressDeny = []ciliumPeers{r}
	p.Spec.EnableDefaultDeny = noDefaultDeny(true, false)
	return p
}

// guardRail is the one policy of a namespace otherwise open to Cilium.
func (g *generator) guardRail(ns *namespace) *ciliumPolicy {
	var stores []*workload
	for _, w := range ns.workloads {
		if isStore(w) {
			stores = append(stores, w)
		}
	}
	switch k := g.weighted(1, 1, 1); {
	case k == 0 || k == 2 && len(stores) == 0 && ns.env != "prod":
		p := newCNP("deny-smtp-egress", metav1.LabelSelector{})
		p.Spec.EgressDeny = []ciliumPeers{{ToEntities: []string{"world"},
			ToPorts: toPorts(ciliumPort{Port: "25", Protocol: "TCP"}, ciliumPort{Port: "465", Protocol: "TCP"}, ciliumPort{Port: "587", Protocol: "TCP"})}}
		p.Spec.EnableDefaultDeny = noDefaultDeny(false, true)
		return p
	case k == 1:
		p := newCNP("deny-from-other-teams", metav1.LabelSelector{})
		p.Spec.IngressDeny = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{
			expr(ciliumNSLabels+"team", metav1.LabelSelectorOpNotIn, cmpOr(ns.team, "platform"), "platform")}}}}}
		p.Spec.EnableDefaultDeny = noDefaultDeny(true, false)
		return p
	case ns.env == "prod":
		return g.denyFromDev(ns)
	default:
		return g.denyFrontends(pick(g, stores))
	}
}
