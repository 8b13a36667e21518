package query

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Severity ranks findings.
type Severity string

// The severities, from the most to the least urgent.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// Rank orders severities: high 3, medium 2, low 1.
func (s Severity) Rank() int {
	switch s {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// ParseSeverity accepts high, medium and low.
func ParseSeverity(s string) (Severity, error) {
	if sev := Severity(strings.ToLower(s)); sev.Rank() > 0 {
		return sev, nil
	}
	return "", fmt.Errorf("unknown severity %q: want high, medium or low", s)
}

// Finding is one best-practice violation.
type Finding struct {
	Severity Severity `json:"severity"`
	// Check names the rule that found it, e.g. "no-default-deny-ingress".
	Check string `json:"check"`
	// Object is what it concerns: "namespace dev", "networkpolicy prod/db".
	Object string `json:"object"`
	// Field is the field path within the object, when one is to blame.
	Field string `json:"field,omitempty"`
	// Why is a one-line explanation.
	Why string `json:"why"`
	// Fix suggests a remedy; YAML where a snippet helps.
	Fix string `json:"fix,omitempty"`
}

// Audit is the result of "audit".
type Audit struct {
	TypeMeta
	SchemaVersion string   `json:"schemaVersion"`
	Namespaces    []string `json:"namespaces"`
	// Selector is the label selector the audit was restricted by
	// (audit -l): only the workloads with a pod it matches, their
	// namespaces and the policies that select them were checked.
	Selector string    `json:"selector,omitempty"`
	Findings []Finding `json:"findings"`
	// Profile is the network plugin profile the audit was judged under,
	// and why it was chosen.
	Profile *Profile `json:"profile,omitempty"`
}

// databasePorts are the ports of common databases and stateful stores.
var databasePorts = map[int32]string{3306: "MySQL", 5432: "PostgreSQL", 27017: "MongoDB", 6379: "Redis", 9042: "Cassandra", 1433: "SQL Server", 1521: "Oracle", 9200: "Elasticsearch", 2379: "etcd", 26257: "CockroachDB"}

// isSystemNamespace is true for the namespaces Kubernetes itself creates.
func isSystemNamespace(ns string) bool {
	return ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease"
}

func (s *Snapshot) auditNamespace(ns string, g *classEngine, sc auditScope) []Finding {
	var out []Finding
	units := slices.DeleteFunc(s.Units(ns), func(u *Unit) bool { return !sc.coversAny(u.Pods) })
	if sc.restricted() && len(units) == 0 {
		return nil
	}
	sev := func(normal Severity) Severity {
		if isSystemNamespace(ns) {
			return Low
		}
		return normal
	}
	// Default deny per direction.
	for _, d := range []Direction{Ingress, Egress} {
		has := false
		for _, p := range s.policies[ns] {
			if p.deniesAllByDefault(d) {
				has = true
			}
		}
		if has || len(s.podsByNS[ns]) == 0 && len(s.policies[ns]) == 0 || s.clusterDeniesByDefault(ns, d) {
			continue
		}
		out = append(out, Finding{
			Severity: sev(map[Direction]Severity{Ingress: Medium, Egress: Low}[d]),
			Check:    noDefaultDeny[d],
			Object:   "namespace " + ns,
			Why:      fmt.Sprintf("no policy denies all %s by default, so every new workload starts open for %s", d, d),
			Fix:      defaultDenyYAML(ns, d),
		})
	}
	for _, u := range units {
		out = append(out, s.auditUnit(u, g, sev)...)
	}
	for _, p := range s.policies[ns] {
		if sc.restricted() && !sc.coversAny(s.selectedPods(p)) {
			continue
		}
		out = append(out, s.auditPolicy(p)...)
	}
	return out
}

// clusterDeniesByDefault tells whether a cluster policy covers the whole
// namespace in direction d with a Deny rule: new workloads there do not
// start open.
func (s *Snapshot) clusterDeniesByDefault(ns string, d Direction) bool {
	labels := s.namespaces[ns].Labels
	for _, c := range s.cluster {
		if c.subject.podSel != nil || !c.subject.nsSel.Matches(labels) {
			continue
		}
		for _, r := range c.rules(d) {
			if r.action == ActionDeny || r.denyAll {
				return true
			}
		}
	}
	return false
}

// dbPort returns a database port the unit's pods declare, if any.
func dbPort(u *Unit) (int32, string) {
	for _, p := range u.Pods {
		for _, cp := range p.Ports {
			if name, ok := databasePorts[cp.Port]; ok && cp.Protocol == corev1.ProtocolTCP {
				return cp.Port, name
			}
		}
	}
	return 0, ""
}

func (s *Snapshot) auditUnit(u *Unit, g *classEngine, sev func(Severity) Severity) []Finding {
	var out []Finding
	port, db := dbPort(u)
	stateful := u.Kind == "StatefulSet" || port != 0
	what := u.String()
	if port != 0 {
		what = fmt.Sprintf("%s (%s on %d)", u, db, port)
	}
	rep := u.Pods[0]
	ci := g.index[s.classOf[rep]]
	if !g.restricted(Ingress, ci) {
		nothing := "no NetworkPolicy selects"
		if len(s.cluster) > 0 {
			nothing = "no NetworkPolicy selects, and no cluster policy Deny rule applies to,"
		}
		f := Finding{Severity: sev(Medium), Check: checkUnprotectedWorkload, Object: u.String(),
			Why: fmt.Sprintf("%s %s: every pod in the cluster may connect to it on any port", nothing, what),
			Fix: allowListYAML(u, rep, port)}
		if stateful {
			f.Severity = sev(High)
		}
		out = append(out, f)
	} else if stateful {
		// A database reachable from every pod or every namespace.
		for p := range s.judging(stageNetworkPolicy, Ingress, rep) {
			if p.isCilium() {
				out = append(out, s.auditCiliumDatabase(p, rep, port, what, sev)...)
				continue
			}
			for _, r := range p.ingress {
				if port != 0 && !r.portsFor(rep).Contains(corev1.ProtocolTCP, port) {
					continue
				}
				if r.anyPeer {
					out = append(out, Finding{Severity: sev(High), Check: checkDatabaseOpenToAll, Object: "networkpolicy " + p.key(), Field: r.path,
						Why: fmt.Sprintf("this rule lets every pod of every namespace, and any address, reach %s", what),
						Fix: "list the clients in from: (a podSelector for the API pods, with a namespaceSelector for their namespace)"})
				}
				for _, pe := range r.peers {
					if (pe.kind == peerNamespaces && pe.namespaceSelector == "") || (pe.kind == peerPodAndNamespace && pe.namespaceSelector == "" && pe.podSelector == "") {
						out = append(out, Finding{Severity: sev(High), Check: checkDatabaseOpenToAll, Object: "networkpolicy " + p.key(), Field: pe.path,
							Why: fmt.Sprintf("this peer matches every pod in every namespace, so all of them may reach %s", what),
							Fix: "select the client pods, and restrict namespaceSelector to their namespace (kubernetes.io/metadata.name: NAME)"})
					}
					if pe.kind == peerIPBlock && pe.cidr.Bits() == 0 && len(pe.except) == 0 {
						out = append(out, Finding{Severity: sev(High), Check: checkDatabaseOpenToAll, Object: "networkpolicy " + p.key(), Field: pe.path,
							Why: fmt.Sprintf("ipBlock %s matches every address (and, with most CNIs, every pod), so all may reach %s", pe.cidr, what),
							Fix: "name the client pods with selectors, or narrow the CIDR to the clients' addresses"})
					}
				}
			}
		}
	}
	if g.restricted(Egress, ci) {
		if f, ok := s.auditDNS(u, sev); ok {
			out = append(out, f)
		}
	}
	return out
}

// auditDNS finds egress isolation that leaves no way to cluster DNS.
func (s *Snapshot) auditDNS(u *Unit, sev func(Severity) Severity) (Finding, bool) {
	ok, assumed := s.reachesDNS(u.Pods[0])
	if ok {
		return Finding{}, false
	}
	why := "egress is isolated and nothing allows UDP 53 to cluster DNS (kube-system pods k8s-app=kube-dns): name lookups will fail"
	if assumed {
		why += "; " + standardDNS
	}
	return Finding{Severity: sev(High), Check: checkEgressBlocksDNS, Object: u.String(), Why: why, Fix: allowDNSYAML(u.Namespace)}, true
}

// deniesAllByDefault tells whether the policy is a namespace's default
// deny for d: it selects every pod of its namespace and allows nothing in
// d (a NetworkPolicy without rules of d; Cilium's "ingress: [{}]").
func (p *Policy) deniesAllByDefault(d Direction) bool {
	if !p.hasType(d) {
		return false
	}
	if !p.isCilium() {
		return p.podSelector == "" && len(p.rules(d)) == 0
	}
	if len(p.subject.cilium.reqs) != 1 { // only the namespace Cilium adds
		return false
	}
	for _, r := range p.rules(d) {
		if r.action == ActionAccept && (r.anyPeer || len(r.peers) > 0) {
			return false
		}
	}
	return true
}

func (s *Snapshot) auditPolicy(p *Policy) []Finding {
	var out []Finding
	obj, field, sel := "networkpolicy "+p.key(), "spec.podSelector", "podSelector"
	if p.isCilium() {
		obj, field, sel = ciliumObject(p), p.selectorPath, "endpointSelector"
	}
	selected := s.selectedPods(p)
	if len(selected) == 0 {
		out = append(out, Finding{Severity: Low, Check: checkPolicySelectsNothing, Object: obj, Field: field,
			Why: fmt.Sprintf("%s {%s} matches no pod in namespace %s: the policy has no effect (a typo in a label?)", sel, p.podSelector, p.namespace)})
	}
	for _, d := range []Direction{Ingress, Egress} {
		for i := range p.rules(d) {
			r := &p.rules(d)[i]
			rs := s.summarizeRule(d, p, r)
			for _, ps := range rs.Peers {
				// A Cilium deny rule's peers are cilium-deny-matches-nothing's.
				if ps.MatchesNothing && r.action != ActionDeny {
					out = append(out, Finding{Severity: Low, Check: checkPeerMatchesNothing, Object: obj, Field: ps.Path,
						Why: fmt.Sprintf("%s: %s, so this peer allows nothing (a typo in a label?)", ps.Description, ps.Note)})
				}
			}
			for _, pe := range r.peers {
				if f, ok := s.auditCrossEnv(p, d, &pe); ok {
					out = append(out, f)
				}
				if d == Egress && pe.kind == peerIPBlock && pe.cidr.Bits() == 0 && len(pe.except) == 0 {
					out = append(out, Finding{Severity: Medium, Check: checkUnrestrictedEgress, Object: obj, Field: pe.path,
						Why: fmt.Sprintf("ipBlock %s allows egress to every address on the internet", pe.cidr),
						Fix: "list the external CIDRs the workload needs, or add except: for the ranges it must not reach"})
				}
			}
			if d == Egress && r.anyPeer && len(selected) > 0 && !p.isCilium() { // Cilium's: cilium-unrestricted-egress
				out = append(out, Finding{Severity: Medium, Check: checkUnrestrictedEgress, Object: obj, Field: r.path,
					Why: "an egress rule without to: allows the selected pods to reach every address and every pod",
					Fix: "add to: with the destinations the workload needs"})
			}
			out = append(out, s.auditNamedPorts(p, d, r, selected)...)
		}
	}
	return out
}

// auditCrossEnv finds a peer whose podSelector reaches pods of namespaces
// of other environments because it has no namespace restriction.
func (s *Snapshot) auditCrossEnv(p *Policy, d Direction, pe *Peer) (Finding, bool) {
	if pe.kind != peerPodAndNamespace || pe.namespaceSelector != "" {
		return Finding{}, false
	}
	own := s.namespaces[p.namespace].Labels["env"]
	var others []string
	for _, ns := range s.Namespaces() {
		if ns.Name == p.namespace {
			continue
		}
		if env := ns.Labels["env"]; own != "" && env == own {
			continue
		}
		for _, pod := range s.podsByNS[ns.Name] {
			if s.matchPeer(pe, ActionAccept, podEnd(pod)) == missNone {
				others = append(others, ns.Name)
				break
			}
		}
	}
	if len(others) == 0 {
		return Finding{}, false
	}
	return Finding{Severity: Medium, Check: checkPeerWithoutNamespace, Object: "networkpolicy " + p.key(), Field: pe.path + ".namespaceSelector",
		Why: fmt.Sprintf("namespaceSelector {} with podSelector {%s} also matches pods in %s, not only in %s", pe.podSelector, strings.Join(others, ", "), p.namespace),
		Fix: fmt.Sprintf("namespaceSelector:\n  matchLabels:\n    kubernetes.io/metadata.name: %s", p.namespace)}, true
}

// auditNamedPorts finds named ports that no pod they resolve against
// declares: the selected pods for ingress, the peer pods for egress.
func (s *Snapshot) auditNamedPorts(p *Policy, d Direction, r *Rule, selected []*Pod) []Finding {
	var out []Finding
	targets := selected
	if d == Egress {
		targets = nil
		for _, pod := range s.pods {
			if s.matchesPeer(r, podEnd(pod)) {
				targets = append(targets, pod)
			}
		}
	}
	if len(targets) == 0 {
		return nil
	}
	for i := range r.ports {
		pt := &r.ports[i]
		if pt.named == "" {
			continue
		}
		found := false
		for _, pod := range targets {
			if !pt.portsFor(pod).IsEmpty() {
				found = true
				break
			}
		}
		if !found {
			whose := "selected pods"
			if d == Egress {
				whose = "destination pods"
			}
			out = append(out, Finding{Severity: Medium, Check: checkUnknownNamedPort, Object: "networkpolicy " + p.key(), Field: pt.path,
				Why: fmt.Sprintf("no %s declare a %s container port named %q, so this port entry matches nothing", whose, pt.protocol, pt.named),
				Fix: "use the container port's name (containers[].ports[].name) with its protocol, or the port number"})
		}
	}
	return out
}

func defaultDenyYAML(ns string, d Direction) string {
	t := "Ingress"
	if d == Egress {
		t = "Egress"
	}
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-%s
  namespace: %s
spec:
  podSelector: {}
  policyTypes: [%s]`, d, ns, t)
}

func allowDNSYAML(ns string) string {
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: %s
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}`, ns)
}

func allowListYAML(u *Unit, rep *Pod, port int32) string {
	sel := labels.Set(rep.Labels).String()
	if sel == "" {
		sel = "app=" + u.Name
	}
	var match []string
	for _, kv := range strings.Split(sel, ",") {
		k, v, _ := strings.Cut(kv, "=")
		match = append(match, fmt.Sprintf("%s: %s", k, v))
	}
	ports := ""
	if port != 0 {
		ports = fmt.Sprintf("\n    ports:\n    - {protocol: TCP, port: %d}", port)
	}
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: %s
  namespace: %s
spec:
  podSelector:
    matchLabels: {%s}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {role: CLIENT}%s`, u.Name, u.Namespace, strings.Join(match, ", "), ports)
}

// auditClusterPolicies checks the cluster-scoped policies whose subject
// selects pods the audit covers (all of them when the subject selects
// none and no selector narrows the audit).
func (s *Snapshot) auditClusterPolicies(sc auditScope) []Finding {
	selected := map[*Policy][]*Pod{}
	var out []Finding
	for _, c := range s.cluster {
		selected[c] = s.selectedPods(c)
		inScope := sc.coversAny(selected[c])
		obj := strings.ToLower(c.kind) + " " + c.name
		if len(selected[c]) == 0 && !sc.restricted() {
			out = append(out, Finding{Severity: Low, Check: checkPolicySelectsNothing, Object: obj, Field: "spec.subject",
				Why: fmt.Sprintf("the subject (%s) matches no pod: the policy has no effect (a typo in a label?)", c.subjectText)})
			continue
		}
		if !inScope {
			continue
		}
		for _, fc := range c.failClosed {
			out = append(out, Finding{Severity: High, Check: checkClusterPolicyFailsClosed, Object: obj,
				Why: fc + "; the verdicts of this tool follow the API's fail-closed rule, but the policy does not say what its author meant",
				Fix: "upgrade kubectl netpol, or remove the field the installed CRD does not know"})
		}
		for _, d := range []Direction{Ingress, Egress} {
			for _, r := range c.rules(d) {
				for _, pe := range r.peers {
					if pe.kind == peerDomainNames {
						out = append(out, Finding{Severity: Low, Check: checkDomainNamesUnevaluable, Object: obj, Field: pe.path,
							Why: fmt.Sprintf("domain names (%s) are resolved by the dataplane at run time: offline answers take them as matching no address", strings.Join(pe.domains, ", "))})
					}
				}
				if c.tier == TierAdmin && r.action == ActionAccept && !r.denyAll {
					for _, p := range selected[c] {
						if sc.restricted() && !sc.covers(p) {
							continue
						}
						if _, isolated := s.stageRules(stageNetworkPolicy, d, p); isolated {
							out = append(out, Finding{Severity: Low, Check: checkAdminAcceptOverridesNetpol, Object: obj, Field: r.path,
								Why: fmt.Sprintf("this Admin-tier Accept rule lets traffic past the NetworkPolicies that isolate %s for %s (and pods like it): namespace owners cannot narrow it", p.Key(), d),
								Fix: "use Pass to leave the decision to the namespace's NetworkPolicies, or narrow the rule's peers and protocols"})
							break
						}
					}
				}
			}
		}
	}
	// Equal priorities in a tier, over shared pods, in the same direction:
	// the API leaves their order to the implementation.
	for i, a := range s.cluster {
		for _, b := range s.cluster[i+1:] {
			if a.tier != b.tier || a.priority != b.priority {
				continue
			}
			for _, d := range []Direction{Ingress, Egress} {
				if len(a.rules(d)) == 0 || len(b.rules(d)) == 0 || !slices.ContainsFunc(selected[a], func(p *Pod) bool { return sc.covers(p) && b.Selects(s, p) }) {
					continue
				}
				out = append(out, Finding{Severity: Medium, Check: checkClusterPolicySamePriority, Object: strings.ToLower(a.kind) + " " + a.name, Field: "spec.priority",
					Why: fmt.Sprintf("%s and %s are both %s tier, priority %d, select the same pods and have %s rules: where their rules disagree, implementations may apply either", a.key(), b.key(), a.tier, a.priority, d),
					Fix: "give each policy of a tier its own priority"})
				break
			}
		}
	}
	return out
}
