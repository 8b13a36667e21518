package gen

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// builder makes one NetworkPolicy (name and spec) when called.
type builder func() *networkingv1.NetworkPolicy

// makePolicies shares cfg.Policies among the namespaces that use
// NetworkPolicy (share). Each has a queue of the policies its workloads
// call for, in the order a team writes them (default deny, DNS, ingress
// controller and scraping, then per workload or per tier); a namespace
// whose share is larger than its queue gets more policies of the kinds
// real namespaces accumulate (stale ones, debugging access, team-wide
// allowances).
func (g *generator) makePolicies() {
	queues := map[*namespace][]builder{}
	for _, ns := range g.namespaces {
		switch {
		case ns.posture == open:
			continue
		case ns.system:
			queues[ns] = g.systemQueue(ns)
		default:
			queues[ns] = g.appQueue(ns)
		}
	}
	parts, quotas := share(g, g.cfg.Policies, queues, func(ns *namespace) *posture { return &ns.posture })
	for i, ns := range parts {
		q := queues[ns]
		for k := range quotas[i] {
			var np *networkingv1.NetworkPolicy
			if k < len(q) {
				np = q[k]()
			} else {
				np = g.filler(ns)
			}
			g.addPolicy(ns, np)
		}
	}
}

// share shares total policies among the namespaces with a queue and
// returns them (in generation order) with their quotas. When the queues
// add up to more than total, some dev and staging namespaces (up to a
// quarter of the application namespaces) go without policies, their
// posture set to open, and what is still too much is cut from the end of
// every queue alike. Otherwise every queue is taken in full and the rest
// shared in proportion to the queues, lengths jittered; when total is
// less than the number of namespaces, one policy each to that many of them
// at random.
func share[T any](g *generator, total int, queues map[*namespace][]T, posture func(*namespace) *posture) ([]*namespace, []int) {
	sum := 0
	for _, q := range queues {
		sum += len(q)
	}
	opened := 0
	for _, ns := range g.apps {
		if *posture(ns) == open {
			opened++
		}
	}
	var demotable []*namespace
	for _, env := range []string{"dev", "staging"} {
		var c []*namespace
		for _, ns := range g.apps {
			if ns.env == env && *posture(ns) != open {
				c = append(c, ns)
			}
		}
		g.rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		demotable = append(demotable, c...)
	}
	for _, ns := range demotable {
		if sum <= total || 4*(opened+1) > len(g.apps) {
			break
		}
		sum -= len(queues[ns])
		delete(queues, ns)
		*posture(ns) = open
		opened++
	}
	var parts []*namespace
	for _, ns := range g.namespaces {
		if len(queues[ns]) > 0 {
			parts = append(parts, ns)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	quotas := make([]int, len(parts))
	weights := make([]float64, len(parts))
	for i, ns := range parts {
		weights[i] = float64(len(queues[ns])) * (0.6 + 0.8*g.rng.Float64())
	}
	switch {
	case total < len(parts):
		for _, i := range g.rng.Perm(len(parts))[:total] {
			quotas[i] = 1
		}
	case total >= sum:
		for i, n := range apportion(total-sum, weights) {
			quotas[i] = len(queues[parts[i]]) + n
		}
	default:
		for i, n := range apportion(total-len(parts), weights) {
			quotas[i] = 1 + n
		}
	}
	return parts, quotas
}

func (g *generator) addPolicy(ns *namespace, np *networkingv1.NetworkPolicy) {
	base := np.Name
	for k := 2; ns.npNames[np.Name]; k++ {
		np.Name = fmt.Sprintf("%s-%d", base, k)
	}
	ns.npNames[np.Name] = true
	np.TypeMeta = typeNetworkPolicy
	np.Namespace = ns.name
	np.UID = types.UID(g.uid())
	np.Generation = 1
	np.CreationTimestamp = metav1.NewTime(ns.created.Add(time.Duration(g.rng.IntN(60*24*60)) * time.Minute))
	ns.policies = append(ns.policies, np)
}

// Selector, peer and port helpers.

func labelMap(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func ml(kv ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: labelMap(kv...)}
}

func nsNamed(name string) *metav1.LabelSelector { return ml("kubernetes.io/metadata.name", name) }

func expr(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
}

func podPeer(sel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: sel}
}

func nsPeer(sel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: sel}
}

func andPeer(ns, pods *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ns, PodSelector: pods}
}

func ipPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

// proto writes the protocol, leaving TCP (the default) out sometimes, as
// hand-written manifests do.
func (g *generator) proto(p corev1.Protocol) *corev1.Protocol {
	if p == tcp && g.chance(0.4) {
		return nil
	}
	return ptr.To(p)
}

func (g *generator) portNum(p corev1.Protocol, n int32) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: g.proto(p), Port: ptr.To(intstr.FromInt32(n))}
}

func (g *generator) portName(p corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: g.proto(p), Port: ptr.To(intstr.FromString(name))}
}

func (g *generator) portRange(p corev1.Protocol, from, to int32) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: g.proto(p), Port: ptr.To(intstr.FromInt32(from)), EndPort: ptr.To(to)}
}

// servedPorts are the ports clients of w connect to, by name or number.
func (g *generator) servedPorts(w *workload) []networkingv1.NetworkPolicyPort {
	named := g.chance(0.5)
	var out []networkingv1.NetworkPolicyPort
	for _, p := range w.served {
		if named {
			out = append(out, g.portName(p.Protocol, p.Name))
		} else {
			out = append(out, g.portNum(p.Protocol, p.ContainerPort))
		}
	}
	return out
}

func newPolicy(name string, podSel metav1.LabelSelector, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: podSel, PolicyTypes: types},
	}
}

const (
	typeIngress = networkingv1.PolicyTypeIngress
	typeEgress  = networkingv1.PolicyTypeEgress
)

// ingressTypes is [Ingress], or nothing (the API server defaults it to
// Ingress for a policy without egress rules) for some policies.
func (g *generator) ingressTypes() []networkingv1.PolicyType {
	if g.chance(0.4) {
		return nil
	}
	return []networkingv1.PolicyType{typeIngress}
}

func (g *generator) dnsRule() networkingv1.NetworkPolicyEgressRule {
	coreDNS := andPeer(nsNamed("kube-system"), ml("k8s-app", "kube-dns"))
	switch g.weighted(0.45, 0.2, 0.2, 0.15) {
	case 0:
		return networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{coreDNS},
			Ports: []networkingv1.NetworkPolicyPort{g.portNum(udp, 53), g.portNum(tcp, 53)}}
	case 1:
		return networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{nsPeer(nsNamed("kube-system"))},
			Ports: []networkingv1.NetworkPolicyPort{g.portNum(udp, 53), g.portNum(tcp, 53)}}
	case 2: // to any destination: resolvers outside the cluster too
		return networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{g.portNum(udp, 53), g.portNum(tcp, 53)}}
	default:
		return networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{coreDNS},
			Ports: []networkingv1.NetworkPolicyPort{g.portName(udp, "dns"), g.portName(tcp, "dns-tcp")}}
	}
}

func (g *generator) denyIngress() *networkingv1.NetworkPolicy {
	return newPolicy(pick(g, []string{"default-deny-ingress", "default-deny", "deny-all-ingress"}), metav1.LabelSelector{}, g.ingressTypes()...)
}

func (g *generator) allowDNS() *networkingv1.NetworkPolicy {
	np := newPolicy("allow-dns", metav1.LabelSelector{}, typeEgress)
	np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{g.dnsRule()}
	return np
}

// appQueue is the policies an application namespace calls for, in the
// order a team would write them.
func (g *generator) appQueue(ns *namespace) []builder {
	var q []builder
	if ns.posture == zeroTrust {
		switch g.weighted(0.45, 0.35, 0.2) {
		case 0:
			q = append(q, func() *networkingv1.NetworkPolicy {
				return newPolicy("default-deny-all", metav1.LabelSelector{}, typeIngress, typeEgress)
			}, g.allowDNS)
		case 1:
			q = append(q, func() *networkingv1.NetworkPolicy {
				np := newPolicy("default-deny-all", metav1.LabelSelector{}, typeIngress, typeEgress)
				np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{g.dnsRule()}
				return np
			})
		default:
			q = append(q, g.denyIngress, func() *networkingv1.NetworkPolicy {
				return newPolicy("default-deny-egress", metav1.LabelSelector{}, typeEgress)
			}, g.allowDNS)
		}
	} else {
		q = append(q, g.denyIngress)
	}
	var fronts []*workload
	for _, w := range ns.workloads {
		if w.component == "frontend" {
			fronts = append(fronts, w)
		}
	}
	if len(fronts) > 0 {
		q = append(q, func() *networkingv1.NetworkPolicy { return g.allowIngressNginx(fronts) })
	}
	if len(ns.workloads) > 0 && g.chance(0.7) {
		q = append(q, func() *networkingv1.NetworkPolicy { return g.allowPrometheus(ns) })
	}
	ws := slices.Clone(ns.workloads)
	g.rng.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
	extra := func() {
		if g.chance(0.08) {
			q = append(q, func() *networkingv1.NetworkPolicy { return g.filler(ns) })
		}
	}
	// Some teams write one ingress policy per tier rather than per workload.
	perTier := ns.posture == denyIngress && g.chance(0.5)
	if perTier {
		order, tiers := servedTiers(ws)
		for _, c := range order {
			q = append(q, func() *networkingv1.NetworkPolicy { return g.tierIngress(ns, c, tiers[c]) })
			extra()
		}
		return q
	}
	// In zero-trust namespaces, most teams write one policy per workload
	// with both directions.
	combined := ns.posture == zeroTrust && g.chance(0.7)
	for _, w := range ws {
		in := len(w.served) > 0 && w.component != "frontend"
		out := ns.posture == zeroTrust && (len(w.uses) > 0 || w.internet || w.partner)
		switch {
		case combined && in && out:
			q = append(q, func() *networkingv1.NetworkPolicy { return g.bothFor(w) })
		default:
			if in {
				q = append(q, func() *networkingv1.NetworkPolicy { return g.ingressFor(w) })
			}
			if out {
				q = append(q, func() *networkingv1.NetworkPolicy { return g.egressFor(w) })
			}
		}
		extra()
	}
	return q
}

// servedTiers groups the served workloads other than frontends by
// component, the components in the order of their first workload.
func servedTiers(ws []*workload) ([]string, map[string][]*workload) {
	tiers := map[string][]*workload{}
	var order []string
	for _, w := range ws {
		if len(w.served) == 0 || w.component == "frontend" {
			continue
		}
		if tiers[w.component] == nil {
			order = append(order, w.component)
		}
		tiers[w.component] = append(tiers[w.component], w)
	}
	return order, tiers
}

// bothFor is one policy with a workload's ingress and egress allow-lists,
// named after the workload.
func (g *generator) bothFor(w *workload) *networkingv1.NetworkPolicy {
	in, out := g.ingressFor(w), g.egressFor(w)
	in.Name = w.name
	in.Spec.PolicyTypes = []networkingv1.PolicyType{typeIngress, typeEgress}
	in.Spec.Egress = out.Spec.Egress
	return in
}

// tierCallers are the callers of the workloads of a tier: the components
// of their namespace that call them (sorted), one caller per namespace and
// component elsewhere, and the union of the ports the workloads serve.
func tierCallers(ns *namespace, ws []*workload) (comps []string, cross []*workload, ports []corev1.ContainerPort) {
	seenCross := map[string]bool{}
	for _, w := range ws {
		for _, c := range w.clients {
			if c.ns == ns {
				if !slices.Contains(comps, c.component) {
					comps = append(comps, c.component)
				}
				continue
			}
			if k := c.ns.name + "/" + c.component; !seenCross[k] {
				seenCross[k] = true
				cross = append(cross, c)
			}
		}
		for _, p := range w.served {
			if !slices.ContainsFunc(ports, func(q corev1.ContainerPort) bool { return q.Name == p.Name }) {
				ports = append(ports, p)
			}
		}
	}
	slices.Sort(comps)
	return comps, cross, ports
}

// tierSelector selects a tier's callers in its namespace by component;
// when none calls it, here or elsewhere, every web and backend pod; nil
// when only other namespaces call it.
func tierSelector(comps []string, cross int) *metav1.LabelSelector {
	switch {
	case len(comps) == 1:
		return ml(compLabel, comps[0])
	case len(comps) > 1:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr(compLabel, metav1.LabelSelectorOpIn, comps...)}}
	case cross == 0:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr("tier", metav1.LabelSelectorOpIn, "web", "backend")}}
	}
	return nil
}

// tierIngress is one ingress allow-list for every workload of a component
// (all APIs, all databases) from the components and namespaces that call
// them, on the union of their ports.
func (g *generator) tierIngress(ns *namespace, component string, ws []*workload) *networkingv1.NetworkPolicy {
	np := newPolicy(pick(g, []string{"allow-to-", "allow-"})+component, *ml(compLabel, component), g.ingressTypes()...)
	comps, callers, ports := tierCallers(ns, ws)
	var peers []networkingv1.NetworkPolicyPeer
	if sel := tierSelector(comps, len(callers)); sel != nil {
		peers = append(peers, podPeer(sel))
	}
	var cross []networkingv1.NetworkPolicyPeer
	for _, c := range callers {
		cross = append(cross, andPeer(nsNamed(c.ns.name), ml(compLabel, c.component)))
	}
	named := g.chance(0.6)
	var nps []networkingv1.NetworkPolicyPort
	for _, p := range ports {
		if named {
			nps = append(nps, g.portName(p.Protocol, p.Name))
		} else {
			nps = append(nps, g.portNum(p.Protocol, p.ContainerPort))
		}
	}
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: append(peers, cross...), Ports: nps}}
	return np
}

func (g *generator) allowIngressNginx(fronts []*workload) *networkingv1.NetworkPolicy {
	sel := metav1.LabelSelector{MatchLabels: fronts[0].sel()}
	if len(fronts) > 1 {
		sel = *ml("app.kubernetes.io/component", "frontend")
	}
	np := newPolicy("allow-ingress-nginx", sel, g.ingressTypes()...)
	var from networkingv1.NetworkPolicyPeer
	switch g.weighted(0.45, 0.4, 0.15) {
	case 0:
		from = nsPeer(nsNamed("ingress-nginx"))
	case 1:
		from = andPeer(nsNamed("ingress-nginx"), ml(nameLabel, "ingress-nginx", "app.kubernetes.io/component", "controller"))
	default:
		from = nsPeer(&metav1.LabelSelector{
			MatchLabels:      labelMap("team", "platform"),
			MatchExpressions: []metav1.LabelSelectorRequirement{expr("kubernetes.io/metadata.name", metav1.LabelSelectorOpIn, "ingress-nginx", "ingress-nginx-internal")},
		})
	}
	port := g.portName(tcp, "http")
	if g.chance(0.4) {
		port = g.portNum(tcp, 8080)
	}
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{from}, Ports: []networkingv1.NetworkPolicyPort{port}}}
	return np
}

func (g *generator) allowPrometheus(ns *namespace) *networkingv1.NetworkPolicy {
	var sel metav1.LabelSelector
	switch g.weighted(0.5, 0.3, 0.2) {
	case 1:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{expr(ns.appKey, metav1.LabelSelectorOpExists)}
	case 2:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{expr("tier", metav1.LabelSelectorOpIn, "web", "backend", "data")}
	}
	np := newPolicy(pick(g, []string{"allow-prometheus-scrape", "allow-monitoring"}), sel, typeIngress)
	from := andPeer(nsNamed("monitoring"), ml(nameLabel, "prometheus"))
	if g.chance(0.3) {
		from = nsPeer(nsNamed("monitoring"))
	}
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{from},
		Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "metrics")},
	}}
	return np
}

// clientsBySide splits the workload's clients into those of its namespace
// and those of others.
func (w *workload) clientsBySide() (same, cross []*workload) {
	for _, c := range w.clients {
		if c.ns == w.ns {
			same = append(same, c)
		} else {
			cross = append(cross, c)
		}
	}
	return same, cross
}

// ingressName is the name of a workload's ingress policy, as teams name
// them.
func (g *generator) ingressName(w *workload) string {
	switch {
	case g.chance(0.2):
		return "allow-to-" + w.name
	case len(w.clients) == 1 && g.chance(0.4):
		return fmt.Sprintf("allow-%s-to-%s", w.clients[0].name, w.name)
	}
	return w.name + "-ingress"
}

// ingressFor is the allow-list of a served workload: its clients in the
// namespace by pod selector, its clients elsewhere by namespace and pod
// selector in one peer, or by namespace alone.
func (g *generator) ingressFor(w *workload) *networkingv1.NetworkPolicy {
	same, cross := w.clientsBySide()
	name := g.ingressName(w)
	np := newPolicy(name, metav1.LabelSelector{MatchLabels: w.sel()}, g.ingressTypes()...)
	var peers []networkingv1.NetworkPolicyPeer
	switch {
	case len(same) == 1:
		peers = append(peers, podPeer(ml(same[0].ns.appKey, same[0].name)))
	case len(same) > 1 && g.chance(0.5):
		var names []string
		for _, c := range same {
			names = append(names, c.name)
		}
		slices.Sort(names)
		peers = append(peers, podPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr(w.ns.appKey, metav1.LabelSelectorOpIn, names...)}}))
	default:
		for _, c := range same {
			peers = append(peers, podPeer(ml(c.ns.appKey, c.name)))
		}
	}
	var crossPeers []networkingv1.NetworkPolicyPeer
	for _, c := range cross {
		switch g.weighted(0.5, 0.25, 0.25) {
		case 0:
			crossPeers = append(crossPeers, andPeer(nsNamed(c.ns.name), ml(c.ns.appKey, c.name)))
		case 1:
			crossPeers = append(crossPeers, andPeer(&metav1.LabelSelector{
				MatchLabels:      labelMap("team", c.ns.team),
				MatchExpressions: []metav1.LabelSelectorRequirement{expr("env", metav1.LabelSelectorOpIn, c.ns.env)},
			}, ml("app.kubernetes.io/component", c.component)))
		default:
			crossPeers = append(crossPeers, nsPeer(nsNamed(c.ns.name)))
		}
	}
	if len(peers) == 0 && len(crossPeers) == 0 {
		if w.component == "api" {
			peers = append(peers, podPeer(&metav1.LabelSelector{})) // the whole namespace
		} else {
			// A datastore nobody here calls yet: the peer matches nothing.
			peers = append(peers, podPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				expr("app.kubernetes.io/component", metav1.LabelSelectorOpIn, "api", "worker")}}))
		}
	}
	if g.chance(0.08) {
		peers = append(peers, podPeer(ml(w.ns.appKey, "legacy-"+w.name))) // a client long gone
	}
	ports := g.servedPorts(w)
	if len(crossPeers) > 0 && len(peers) > 0 && g.chance(0.3) {
		// Other namespaces get a rule of their own, on the first port only.
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
			{From: peers, Ports: ports},
			{From: crossPeers, Ports: ports[:1]},
		}
		return np
	}
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: append(peers, crossPeers...), Ports: ports}}
	return np
}

// egressFor is the egress allow-list of a workload in a zero-trust
// namespace: what it calls in the cluster, the internet minus private
// ranges, partner backends by /32, the telemetry agent by port range.
func (g *generator) egressFor(w *workload) *networkingv1.NetworkPolicy {
	np := newPolicy(w.name+"-egress", metav1.LabelSelector{MatchLabels: w.sel()}, typeEgress)
	var rules []networkingv1.NetworkPolicyEgressRule
	for _, u := range w.uses {
		to := podPeer(ml(u.ns.appKey, u.name))
		if u.ns != w.ns {
			to = andPeer(nsNamed(u.ns.name), ml(u.ns.appKey, u.name))
		}
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{to}, Ports: g.servedPorts(u)})
	}
	if w.internet {
		v4 := ipPeer("0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
		if g.chance(0.4) {
			v4 = ipPeer("0.0.0.0/0", "169.254.169.254/32")
		}
		to := []networkingv1.NetworkPolicyPeer{v4}
		if g.dualStack || g.chance(0.2) {
			to = append(to, ipPeer("::/0", "fc00::/7", "fe80::/10"))
		}
		ports := []networkingv1.NetworkPolicyPort{g.portNum(tcp, 443)}
		if g.chance(0.3) {
			ports = append(ports, g.portNum(tcp, 80))
		}
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{To: to, Ports: ports})
	}
	if w.partner {
		to := []networkingv1.NetworkPolicyPeer{
			ipPeer(fmt.Sprintf("203.0.113.%d/32", g.between(1, 254))),
			ipPeer(fmt.Sprintf("198.51.100.%d/32", g.between(1, 254))),
		}
		if g.chance(0.4) {
			to = append(to, ipPeer(fmt.Sprintf("2001:db8:%x::/48", g.between(1, 0xffff))))
		}
		for _, p := range to[:2] {
			w.partnerIPs = append(w.partnerIPs, netip.MustParsePrefix(p.IPBlock.CIDR).Addr())
		}
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{To: to,
			Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 443), g.portNum(tcp, 8443)}})
	}
	if w.component != "database" && g.chance(0.4) {
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{
			To:    []networkingv1.NetworkPolicyPeer{andPeer(nsNamed("monitoring"), ml(nameLabel, "otel-agent"))},
			Ports: []networkingv1.NetworkPolicyPort{g.portRange(tcp, 4317, 4318)},
		})
	}
	if w.component == "api" && g.chance(0.15) {
		// A managed database outside the cluster, in the VPC.
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{
			To:    []networkingv1.NetworkPolicyPeer{ipPeer(fmt.Sprintf("10.10.%d.%d/32", g.between(0, 255), g.between(1, 254)))},
			Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 5432)},
		})
	}
	if g.chance(0.15) {
		rules = append(rules, g.dnsRule()) // belt and braces
	}
	np.Spec.Egress = rules
	return np
}

// stale is a policy for a workload that was renamed or removed: it selects
// nothing.
func (g *generator) stale(ns *namespace) *networkingv1.NetworkPolicy {
	old := pick(g, apiNames) + "-v1"
	if g.chance(0.5) {
		old = "legacy-" + pick(g, append(slices.Clone(apiNames), workerNames...))
	}
	np := newPolicy(old+"-ingress", metav1.LabelSelector{MatchLabels: labelMap(ns.appKey, old)}, g.ingressTypes()...)
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{podPeer(ml("app.kubernetes.io/component", "frontend"))},
		Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 8080)},
	}}
	return np
}

// filler is one more policy of a kind real namespaces accumulate.
func (g *generator) filler(ns *namespace) *networkingv1.NetworkPolicy {
	var w *workload
	if len(ns.workloads) > 0 {
		w = pick(g, ns.workloads)
	}
	for {
		switch g.weighted(1, 1.5, 1, 1, 1, 1, 1.5, 0.5, 1, 1) {
		case 0:
			if ns.npNames["allow-same-namespace"] {
				continue
			}
			np := newPolicy("allow-same-namespace", metav1.LabelSelector{})
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{podPeer(&metav1.LabelSelector{})}}}
			return np
		case 1:
			return g.stale(ns)
		case 2: // peers in a namespace that no longer exists
			sel := *ml("app.kubernetes.io/component", "api")
			if w != nil {
				sel = metav1.LabelSelector{MatchLabels: w.sel()}
			}
			product := cmpOr(ns.product, "platform")
			np := newPolicy(fmt.Sprintf("allow-from-%s-qa", product), sel, g.ingressTypes()...)
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{andPeer(nsNamed(product+"-qa"), ml("app.kubernetes.io/component", "api"))},
			}}
			return np
		case 3:
			np := newPolicy("allow-api-from-non-dev", *ml("app.kubernetes.io/component", "api"), typeIngress)
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{nsPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					expr("env", metav1.LabelSelectorOpNotIn, "dev"), expr("team", metav1.LabelSelectorOpExists),
				}})},
				Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "http")},
			}}
			return np
		case 4: // debugging from the VPN on a port range
			sel, name := metav1.LabelSelector{}, "allow-vpn-debug"
			if w != nil {
				sel, name = metav1.LabelSelector{MatchLabels: w.sel()}, "allow-vpn-debug-"+w.name
			}
			np := newPolicy(name, sel, g.ingressTypes()...)
			from := []networkingv1.NetworkPolicyPeer{ipPeer("192.168.100.0/22", "192.168.103.0/24")}
			if g.dualStack || g.chance(0.3) {
				from = append(from, ipPeer("fd12:3456:789a::/48", "fd12:3456:789a:ff::/64"))
			}
			lo := pick(g, []int32{8000, 9000, 5005})
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: from,
				Ports: []networkingv1.NetworkPolicyPort{g.portRange(tcp, lo, lo+99)}}}
			return np
		case 5:
			team := cmpOr(ns.team, "platform")
			np := newPolicy("allow-team-"+team, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				expr("app.kubernetes.io/component", metav1.LabelSelectorOpIn, "api", "frontend")}}, g.ingressTypes()...)
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{nsPeer(ml("team", team))},
				Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "http"), g.portName(tcp, "grpc")},
			}}
			return np
		case 6: // a workload that isolates its own egress, DNS and HTTPS out
			sel, name := metav1.LabelSelector{}, "allow-internet-egress"
			if w != nil {
				sel, name = metav1.LabelSelector{MatchLabels: w.sel()}, w.name+"-allow-internet"
			}
			np := newPolicy(name, sel, typeEgress)
			to := []networkingv1.NetworkPolicyPeer{ipPeer("0.0.0.0/0", "169.254.169.254/32")}
			if g.dualStack {
				to = append(to, ipPeer("::/0", "fc00::/7"))
			}
			np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
				{Ports: []networkingv1.NetworkPolicyPort{g.portNum(udp, 53), g.portNum(tcp, 53)}},
				{To: to, Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 443)}},
			}
			return np
		case 7:
			if w == nil || w.component != "frontend" {
				continue
			}
			np := newPolicy(w.name+"-allow-all", metav1.LabelSelector{MatchLabels: w.sel()}, typeIngress)
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
			return np
		case 8:
			if w == nil {
				continue
			}
			np := newPolicy(w.name+"-allow-metrics", metav1.LabelSelector{MatchLabels: w.sel()}, g.ingressTypes()...)
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{nsPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					expr("kubernetes.io/metadata.name", metav1.LabelSelectorOpIn, "monitoring", "observability")}})},
				Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "metrics")},
			}}
			return np
		default:
			if w == nil || len(w.served) == 0 {
				continue
			}
			np := newPolicy(w.name+"-allow-stable-clients", metav1.LabelSelector{MatchLabels: w.sel()}, g.ingressTypes()...)
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{podPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					expr("canary", metav1.LabelSelectorOpDoesNotExist)}})},
				Ports: g.servedPorts(w),
			}}
			return np
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// systemQueue is the policies of the platform namespaces.
func (g *generator) systemQueue(ns *namespace) []builder {
	switch ns.name {
	case "ingress-nginx":
		return []builder{
			g.denyIngress,
			func() *networkingv1.NetworkPolicy {
				np := newPolicy("allow-http-https", *ml(nameLabel, "ingress-nginx", "app.kubernetes.io/component", "controller"), typeIngress)
				from := []networkingv1.NetworkPolicyPeer{ipPeer("0.0.0.0/0")}
				if g.dualStack {
					from = append(from, ipPeer("::/0"))
				}
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: from,
					Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "http"), g.portName(tcp, "https")}}}
				return np
			},
			func() *networkingv1.NetworkPolicy {
				np := newPolicy("allow-admission-webhook", *ml(nameLabel, "ingress-nginx"), typeIngress)
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{ipPeer("10.0.0.0/16")}, // control plane and nodes
					Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 8443)},
				}}
				return np
			},
		}
	case "monitoring":
		return []builder{
			g.denyIngress,
			func() *networkingv1.NetworkPolicy {
				np := newPolicy("otel-agent-from-all-namespaces", *ml(nameLabel, "otel-agent"), typeIngress)
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{nsPeer(&metav1.LabelSelector{})},
					Ports: []networkingv1.NetworkPolicyPort{g.portRange(tcp, 4317, 4318)},
				}}
				return np
			},
			func() *networkingv1.NetworkPolicy {
				np := newPolicy("grafana-from-ingress-nginx", *ml(nameLabel, "grafana"), typeIngress)
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{andPeer(nsNamed("ingress-nginx"), ml(nameLabel, "ingress-nginx"))},
					Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "grafana")},
				}}
				return np
			},
			func() *networkingv1.NetworkPolicy {
				np := newPolicy("prometheus-from-grafana", *ml(nameLabel, "prometheus"), typeIngress)
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{podPeer(ml(nameLabel, "grafana"))},
					Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 9090)},
				}}
				return np
			},
			func() *networkingv1.NetworkPolicy {
				np := newPolicy("alertmanager", *ml(nameLabel, "alertmanager"))
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
					{From: []networkingv1.NetworkPolicyPeer{podPeer(ml(nameLabel, "prometheus"))},
						Ports: []networkingv1.NetworkPolicyPort{g.portName(tcp, "web")}},
					{From: []networkingv1.NetworkPolicyPeer{podPeer(ml(nameLabel, "alertmanager"))},
						Ports: []networkingv1.NetworkPolicyPort{g.portNum(tcp, 9094), g.portNum(udp, 9094)}},
				}
				return np
			},
		}
	}
	return nil
}
