package query

import "slices"

// The IDs of the audit checks, as findings carry them in Finding.Check.
// Each is listed once in auditChecks, which the README's audit section
// mirrors (plugin's TestReadmeListsEveryAuditCheck).
const (
	checkNoDefaultDenyIngress       = "no-default-deny-ingress"
	checkNoDefaultDenyEgress        = "no-default-deny-egress"
	checkUnprotectedWorkload        = "unprotected-workload"
	checkDatabaseOpenToAll          = "database-open-to-all"
	checkPeerWithoutNamespace       = "peer-without-namespace-restriction"
	checkUnrestrictedEgress         = "unrestricted-egress"
	checkEgressBlocksDNS            = "egress-blocks-dns"
	checkPolicySelectsNothing       = "policy-selects-nothing"
	checkPeerMatchesNothing         = "peer-matches-nothing"
	checkUnknownNamedPort           = "unknown-named-port"
	checkClusterPolicySamePriority  = "cluster-policy-same-priority"
	checkAdminAcceptOverridesNetpol = "admin-accept-overrides-networkpolicy"
	checkClusterPolicyFailsClosed   = "cluster-policy-fails-closed"
	checkDomainNamesUnevaluable     = "domain-names-unevaluable"
	checkCNIDoesNotEnforce          = "cni-does-not-enforce"
	checkCNIUnknown                 = "cni-unknown"
	checkUnevaluatedPolicies        = "unevaluated-policies"
	// Cilium's own policies (audit_cilium.go).
	checkCiliumDenyMatchesNothing      = "cilium-deny-matches-nothing"
	checkCiliumFQDNWithoutDNSRule      = "cilium-fqdn-without-dns-rule"
	checkCiliumAllowWithoutDefaultDeny = "cilium-allow-without-default-deny"
	checkCiliumDatabaseOpenToWorld     = "cilium-database-open-to-world"
	checkCiliumUnrestrictedEgress      = "cilium-unrestricted-egress"
)

// noDefaultDeny is the check of a namespace without default deny, per
// direction.
var noDefaultDeny = map[Direction]string{Ingress: checkNoDefaultDenyIngress, Egress: checkNoDefaultDenyEgress}

// AuditCheck is one rule of "audit", so that the checks can be documented
// and gated on by ID.
type AuditCheck struct {
	// ID is what its findings carry in Finding.Check.
	ID string
	// Severity is its findings' severity, unless Description says
	// otherwise; in the namespaces Kubernetes creates (kube-system,
	// kube-public, kube-node-lease) the namespace and workload checks
	// report low.
	Severity Severity
	// Description says in one line what it finds.
	Description string
}

// auditChecks lists every check once, in the order the README gives them.
var auditChecks = []AuditCheck{
	{checkNoDefaultDenyIngress, Medium, "a namespace where no policy denies all ingress by default"},
	{checkNoDefaultDenyEgress, Low, "a namespace where no policy denies all egress by default"},
	{checkUnprotectedWorkload, Medium, "a workload no policy isolates for ingress (high for StatefulSets and database ports)"},
	{checkDatabaseOpenToAll, High, "a rule or peer that lets every pod of every namespace, or any address, reach a StatefulSet or database port"},
	{checkPeerWithoutNamespace, Medium, "a peer with namespaceSelector {} whose podSelector also matches pods of other environments"},
	{checkUnrestrictedEgress, Medium, "an egress rule without to:, or an ipBlock 0.0.0.0/0 or ::/0 without except"},
	{checkEgressBlocksDNS, High, "egress isolation that leaves no way to cluster DNS on UDP 53"},
	{checkPolicySelectsNothing, Low, "a NetworkPolicy or cluster policy that selects no pod"},
	{checkPeerMatchesNothing, Low, "a NetworkPolicy peer whose selectors match no pod or no namespace"},
	{checkUnknownNamedPort, Medium, "a named port that no pod it resolves against declares"},
	{checkClusterPolicySamePriority, Medium, "two cluster policies of one tier and priority with rules over the same pods"},
	{checkAdminAcceptOverridesNetpol, Low, "an Admin-tier Accept rule that overrides the NetworkPolicies isolating its pods"},
	{checkClusterPolicyFailsClosed, High, "a cluster policy peer or protocol this version does not know, so its rule fails closed"},
	{checkDomainNamesUnevaluable, Low, "a domainNames peer, which offline answers take as matching no address"},
	{checkCNIDoesNotEnforce, High, "against a cluster, a network plugin that does not enforce NetworkPolicy"},
	{checkCNIUnknown, High, "against a cluster, no known network plugin found among DaemonSets and Deployments"},
	{checkUnevaluatedPolicies, High, "policies of the network plugin's own API (Calico, Cilium, Antrea, OVN-Kubernetes, MultiNetworkPolicy) that apply to audited pods: read, not evaluated"},
	{checkCiliumDenyMatchesNothing, Low, "a Cilium deny rule none of whose peers matches a pod or an address, so it denies nothing"},
	{checkCiliumFQDNWithoutDNSRule, Medium, "a toFQDNs rule on endpoints whose egress has no allow rule with DNS rules (toPorts rules.dns) on port 53, so it allows no address"},
	{checkCiliumAllowWithoutDefaultDeny, Medium, "Cilium allow rules under enableDefaultDeny false on endpoints no policy puts in default deny, so they have no effect"},
	{checkCiliumDatabaseOpenToWorld, High, "a Cilium rule with toPorts only, entity all or world, or a CIDR of every address that lets any address reach a StatefulSet or database port"},
	{checkCiliumUnrestrictedEgress, Medium, "a Cilium egress rule with toPorts only, entity all or world, a CIDR of every address, or toFQDNs matchPattern \"*\""},
}

// AuditChecks returns every check "audit" runs, in the order the README
// documents them.
func AuditChecks() []AuditCheck {
	return slices.Clone(auditChecks)
}
