package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The audit checks of Cilium's own policies, CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy (cilium.go), the mistakes Cilium's
// documentation warns of: deny rules that match nothing, toFQDNs without
// the DNS rule that feeds it, allow rules enableDefaultDeny false leaves
// without effect, databases open to the world, and egress to every
// address. The policies checked are the CNPs of the audited namespaces and
// the CCNPs that select pods of them.

// isCilium tells whether the policy is one of Cilium's own.
func (p *Policy) isCilium() bool {
	return p.kind == KindCiliumNetworkPolicy || p.kind == KindCiliumClusterwideNetworkPolicy
}

// ciliumObject names a Cilium policy as findings do:
// "ciliumnetworkpolicy prod/api", "ciliumclusterwidenetworkpolicy guard".
func ciliumObject(p *Policy) string {
	return strings.ToLower(p.kind) + " " + strings.TrimPrefix(p.namespace+"/"+p.name, "/")
}

// ciliumSpecPath is the path of the spec a rule path is in: "spec" or
// "specs[1]".
func ciliumSpecPath(rulePath string) string {
	spec, _, _ := strings.Cut(rulePath, ".")
	return spec
}

// auditCilium runs the checks of Cilium policies over those of the audited
// namespaces and the cluster-wide ones that select their pods. The
// databases are checked with the workloads (auditCiliumDatabase).
func (s *Snapshot) auditCilium(sc auditScope) []Finding {
	var out []Finding
	for p := range s.allPolicies() {
		if !p.isCilium() || p.namespace != "" && !sc.namespaces[p.namespace] {
			continue
		}
		selected := slices.DeleteFunc(s.selectedPods(p), func(pod *Pod) bool { return !sc.covers(pod) })
		if (p.namespace == "" || sc.restricted()) && len(selected) == 0 {
			continue
		}
		out = append(out, s.auditCiliumDeny(p)...)
		out = append(out, s.auditCiliumFQDN(p, selected)...)
		out = append(out, s.auditCiliumDefaultDeny(p, selected)...)
		out = append(out, s.auditCiliumEgress(p, selected)...)
	}
	return out
}

// auditCiliumDeny finds deny rules none of whose peers matches anything
// that exists: they deny nothing today.
func (s *Snapshot) auditCiliumDeny(p *Policy) []Finding {
	var out []Finding
	for _, d := range []Direction{Ingress, Egress} {
		for i := range p.rules(d) {
			r := &p.rules(d)[i]
			if r.action != ActionDeny || r.anyPeer || r.denyAll || slices.ContainsFunc(r.peers, func(pe Peer) bool { return !s.ciliumPeerMatchesNothing(&pe) }) {
				continue
			}
			why := "it has no peer (an empty rule or list of peers, or toServices, which Cilium does not resolve in deny rules)"
			if len(r.peers) > 0 {
				parts := make([]string, len(r.peers))
				for j := range r.peers {
					parts[j] = r.peers[j].text
				}
				why = "no pod's identity and no address matches " + strings.Join(parts, " or ")
			}
			out = append(out, Finding{Severity: Low, Check: checkCiliumDenyMatchesNothing, Object: ciliumObject(p), Field: r.path,
				Why: fmt.Sprintf("%s %s: %s, so this deny rule denies nothing today (a typo in a label?)", p.key(), r.path, why),
				Fix: "name peers that exist (pods' labels as their Cilium identities carry them, with k8s:io.kubernetes.pod.namespace for another namespace), or remove the rule"})
		}
	}
	return out
}

// ciliumPeerMatchesNothing tells whether a peer of a Cilium rule matches
// no pod of the snapshot and no address: an endpoint selector no pod's
// identity matches (one with reserved labels may match nodes), the entity
// none, a CIDR set whose CiliumCIDRGroup selector matches no group read.
func (s *Snapshot) ciliumPeerMatchesNothing(pe *Peer) bool {
	switch pe.kind {
	case peerCiliumEndpoints:
		if pe.relative() {
			return false
		}
		pods, _ := s.podsMatched(pe, ActionDeny)
		return len(pods) == 0
	case peerCiliumEntity:
		return pe.entity == ciliumReservedNoneName
	case peerCiliumCIDR:
		return len(pe.networks) == 0
	case peerCiliumService, peerRunTime:
		return false // members known only at run time
	case peerPods, peerNamespaces, peerPodAndNamespace, peerIPBlock, peerNetworks, peerNodes, peerDomainNames:
		return false // not a Cilium peer
	}
	panic(fmt.Sprintf("query: peer kind %q is not audited", pe.kind))
}

// isFQDN tells whether the peer is a toFQDNs name.
func (pe *Peer) isFQDN() bool {
	return pe.kind == peerRunTime && len(pe.domains) > 0
}

// auditCiliumFQDN finds toFQDNs rules on endpoints whose egress has no
// allow rule with DNS rules on port 53: Cilium learns the names' addresses
// only from the DNS answers its proxy sees, so the rule allows nothing.
func (s *Snapshot) auditCiliumFQDN(p *Policy, selected []*Pod) []Finding {
	var out []Finding
	for i := range p.egress {
		r := &p.egress[i]
		if r.action != ActionAccept || !slices.ContainsFunc(r.peers, func(pe Peer) bool { return pe.isFQDN() }) {
			continue
		}
		blind := slices.DeleteFunc(slices.Clone(selected), func(pod *Pod) bool {
			for q := range s.judging(stageNetworkPolicy, Egress, pod) {
				if slices.ContainsFunc(q.egress, func(qr Rule) bool { return qr.action == ActionAccept && qr.dnsProxy }) {
					return true
				}
			}
			return false
		})
		if len(blind) == 0 {
			continue
		}
		out = append(out, Finding{Severity: Medium, Check: checkCiliumFQDNWithoutDNSRule, Object: ciliumObject(p), Field: r.path,
			Why: fmt.Sprintf("%s %s: no policy gives %s an egress allow rule with DNS rules (toPorts rules.dns) on port 53, so Cilium's DNS proxy never sees the lookups and this toFQDNs rule allows no address", p.key(), r.path, unitsText(s.unitsOf(blind))),
			Fix: allowCiliumDNSYAML(p, r.path)})
	}
	return out
}

// ciliumDNSProxied tells whether some toPorts entry has DNS rules on port
// 53 (UDP or TCP, or a named port, which resolves on the DNS server): the
// rule sends DNS through Cilium's DNS proxy. path is the rule's.
func ciliumDNSProxied(path string, rules []ciliumPortRule) bool {
	for _, pr := range rules {
		if pr.Rules == nil || len(pr.Rules.DNS) == 0 {
			continue
		}
		ports, _, err := ciliumPorts(path, Egress, false, []ciliumPortRule{pr})
		if err != nil {
			continue // not reached: rule compiled these toPorts already
		}
		for _, pt := range ports {
			dns := pt.from == 0 || pt.from <= 53 && 53 <= pt.to
			if pt.named != "" || dns && (pt.protocol == corev1.ProtocolUDP || pt.protocol == corev1.ProtocolTCP) {
				return true
			}
		}
	}
	return false
}

// allowCiliumDNSYAML is the rule Cilium's documentation gives for DNS
// visibility, to add beside the toFQDNs rule at rulePath: in the same
// policy it isolates no endpoint that was not already.
func allowCiliumDNSYAML(p *Policy, rulePath string) string {
	return fmt.Sprintf(`add to %s.egress of %s:
- toEndpoints:
  - matchLabels:
      k8s:io.kubernetes.pod.namespace: kube-system
      k8s:k8s-app: kube-dns
  toPorts:
  - ports:
    - {port: "53", protocol: ANY}
    rules:
      dns:
      - matchPattern: "*"`, ciliumSpecPath(rulePath), p.key())
}

// auditCiliumDefaultDeny finds the allow rules of a direction that
// enableDefaultDeny false keeps from isolating, over pods no other policy
// puts in default deny: those rules have no effect.
func (s *Snapshot) auditCiliumDefaultDeny(p *Policy, selected []*Pod) []Finding {
	var out []Finding
	for _, d := range []Direction{Ingress, Egress} {
		if !slices.Contains(p.nonIsolating, policyTypeOf(d)) {
			continue
		}
		var allows []string
		for _, r := range p.rules(d) {
			if r.action == ActionAccept {
				allows = append(allows, r.path)
			}
		}
		if len(allows) == 0 {
			continue
		}
		open := slices.DeleteFunc(slices.Clone(selected), func(pod *Pod) bool {
			_, isolated := s.stageRules(stageNetworkPolicy, d, pod)
			return isolated
		})
		if len(open) == 0 {
			continue
		}
		field := ciliumSpecPath(allows[0]) + ".enableDefaultDeny." + string(d)
		out = append(out, Finding{Severity: Medium, Check: checkCiliumAllowWithoutDefaultDeny, Object: ciliumObject(p), Field: field,
			Why: fmt.Sprintf("%s %s is false and no policy puts %s in default deny for %s: the allow rules %s have no effect, these pods stay open", p.key(), field, unitsText(s.unitsOf(open)), d, strings.Join(allows, ", ")),
			Fix: fmt.Sprintf("remove %s: false so that the allow rules are an allow list, or add a policy that isolates these pods; keep false only for policies of deny rules", field)})
	}
	return out
}

// auditCiliumDatabase finds the allow rules of a Cilium policy judging a
// stateful workload's ingress that let every peer, or every address
// outside the cluster, reach it: a rule with toPorts only, the entities
// all and world, a CIDR of every address. rep is one of the workload's
// pods, port its database port (0 for a StatefulSet without one), what
// the workload in words. auditUnit calls it for the policies judging rep.
func (s *Snapshot) auditCiliumDatabase(p *Policy, rep *Pod, port int32, what string, sev func(Severity) Severity) []Finding {
	if _, isolated := s.stageRules(stageNetworkPolicy, Ingress, rep); !isolated {
		return nil // the allow rules have no effect (auditCiliumDefaultDeny)
	}
	var out []Finding
	for i := range p.ingress {
		r := &p.ingress[i]
		if r.action != ActionAccept || r.authRequired != "" || port != 0 && !r.portsFor(rep).Contains(corev1.ProtocolTCP, port) {
			continue
		}
		f := Finding{Severity: sev(High), Check: checkCiliumDatabaseOpenToWorld, Object: ciliumObject(p),
			Fix: "list the clients in fromEndpoints (with k8s:io.kubernetes.pod.namespace for another namespace), or the addresses that need it in fromCIDRSet"}
		if r.anyPeer {
			f.Field = r.path
			f.Why = fmt.Sprintf("%s %s: a rule with toPorts only allows every peer, every pod and every address outside the cluster, to reach %s", p.key(), r.path, what)
			out = append(out, f)
			continue
		}
		for j := range r.peers {
			if peer := ciliumEveryAddress(&r.peers[j]); peer != "" {
				f.Field = r.peers[j].path
				f.Why = fmt.Sprintf("%s %s: %s, and may reach %s", p.key(), r.peers[j].path, peer, what)
				out = append(out, f)
			}
		}
	}
	return out
}

// ciliumEveryAddress says how a Cilium peer holds every address outside the
// cluster, "" when it does not: the entities all and world, a CIDR of
// every address without except.
func ciliumEveryAddress(pe *Peer) string {
	switch {
	case pe.kind == peerCiliumEntity && pe.entity == "all":
		return "entity all is every pod, node and address"
	case pe.kind == peerCiliumEntity && pe.entity == ciliumReservedWorld:
		return "entity world is every address outside the cluster"
	case pe.kind == peerCiliumCIDR && len(pe.except) == 0 && slices.ContainsFunc(pe.networks, func(n netip.Prefix) bool { return n.Bits() == 0 }):
		return pe.text + " is every address outside the cluster"
	}
	return ""
}

// auditCiliumEgress finds egress allow rules of a policy selecting pods
// that let them reach every address outside the cluster: a rule with
// toPorts only, the entities all and world, a CIDR of every address, or
// toFQDNs matchPattern "*", which matches every name.
func (s *Snapshot) auditCiliumEgress(p *Policy, selected []*Pod) []Finding {
	if len(selected) == 0 {
		return nil
	}
	var out []Finding
	fix := "list the destinations the workload needs: toFQDNs names (matchName), toCIDRSet ranges, or toEndpoints"
	for i := range p.egress {
		r := &p.egress[i]
		if r.action != ActionAccept {
			continue
		}
		if r.anyPeer {
			out = append(out, Finding{Severity: Medium, Check: checkCiliumUnrestrictedEgress, Object: ciliumObject(p), Field: r.path,
				Why: fmt.Sprintf("%s %s: an egress rule with toPorts only allows the selected endpoints to reach every pod and every address on its ports", p.key(), r.path), Fix: fix})
			continue
		}
		for j := range r.peers {
			pe := &r.peers[j]
			peer := ciliumEveryAddress(pe)
			if pe.isFQDN() && slices.Contains(pe.domains, "*") {
				peer = `toFQDNs matchPattern "*" matches every name, so every address a DNS answer gives`
			}
			if peer != "" {
				out = append(out, Finding{Severity: Medium, Check: checkCiliumUnrestrictedEgress, Object: ciliumObject(p), Field: pe.path,
					Why: fmt.Sprintf("%s %s: %s, and the selected endpoints may reach it", p.key(), pe.path, peer), Fix: fix})
			}
		}
	}
	return out
}

// unitsText names up to three units, and how many more there are.
func unitsText(units []*Unit) string {
	names := make([]string, 0, 3)
	for _, u := range units[:min(3, len(units))] {
		names = append(names, u.String())
	}
	s := strings.Join(names, ", ")
	if n := len(units) - len(names); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}
