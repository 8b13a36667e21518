package query

// auditHelp says, for each check, why its findings matter and how they are
// fixed: the help that code-scanning tools show beside a finding ("audit
// -o sarif"), where the one-line Description is the title. Every check of
// auditChecks has one (TestAuditChecksHaveHelp).
var auditHelp = map[string]string{
	checkNoDefaultDenyIngress: "Without a policy that selects every pod of the namespace for ingress and allows nothing, " +
		"each new workload accepts connections from every pod of the cluster until someone writes a policy for it. " +
		"Add a default deny for ingress (podSelector: {} and policyTypes: [Ingress], no rules), then allow what each workload needs.",
	checkNoDefaultDenyEgress: "Without a default deny for egress, a compromised pod may connect anywhere: other namespaces, " +
		"the cloud metadata service, the internet. Add a default deny for egress (podSelector: {} and policyTypes: [Egress], no rules), " +
		"with a policy that allows DNS to kube-system, then allow each workload's destinations.",
	checkUnprotectedWorkload: "No NetworkPolicy selects the workload's pods for ingress, so every pod of every namespace may connect to it " +
		"on any port. Stateful workloads and databases hold the data an attacker is after. " +
		"Add a policy that selects its pods and lists the clients in from:, with the ports they use.",
	checkDatabaseOpenToAll: "The policy isolates the database but one of its rules lets everything back in: a rule without from:, " +
		"a namespaceSelector {} without a podSelector, or an ipBlock of every address. " +
		"List the clients instead: a podSelector for them, with a namespaceSelector for their namespace.",
	checkPeerWithoutNamespace: "A peer with namespaceSelector {} matches pods with the podSelector's labels in every namespace, " +
		"so dev and test pods labelled like prod's clients are let in too. " +
		"Restrict namespaceSelector to the clients' namespace (kubernetes.io/metadata.name: NAME), or drop it to mean the policy's own namespace.",
	checkUnrestrictedEgress: "An egress rule without to:, or with an ipBlock of every address and no except, lets the selected pods reach " +
		"every pod and every address on the internet, which is what an attacker needs to exfiltrate data. " +
		"List the destinations the workload needs, or add except: for the ranges it must not reach.",
	checkEgressBlocksDNS: "The pods are isolated for egress and no rule allows UDP 53 to the cluster's DNS, so every name lookup fails " +
		"and the workload breaks on its first connection by name. " +
		"Allow egress to the kube-dns pods of kube-system on UDP and TCP 53, in its own policy for the namespace.",
	checkPolicySelectsNothing: "The policy's pod selector (or a cluster policy's subject) matches no pod, so it has no effect: " +
		"usually a typo in a label, or labels that changed under it. " +
		"Fix the selector to match the workload's pod template labels, or delete the policy.",
	checkPeerMatchesNothing: "The peer's selectors match no pod or no namespace, so the rule allows nothing from or to it: " +
		"usually a typo in a label, or a namespace label that is not set. " +
		"Check the labels against the pods' and namespaces' (kubernetes.io/metadata.name is set on every namespace).",
	checkUnknownNamedPort: "A named port resolves against the container ports of the pods it applies to; when none declares that name " +
		"with that protocol, the port entry matches nothing and the rule allows nothing on it. " +
		"Use the name the container declares (containers[].ports[].name), with its protocol, or the port number.",
	checkClusterPolicySamePriority: "Two cluster policies of one tier with the same priority and rules over the same pods: " +
		"where their rules disagree, the API leaves the order to the implementation, so different clusters may decide differently. " +
		"Give each policy of a tier its own priority.",
	checkAdminAcceptOverridesNetpol: "An Admin-tier Accept rule lets traffic through before any NetworkPolicy is consulted, " +
		"so namespace owners cannot narrow it with their own policies. " +
		"Use Pass to leave the decision to the namespace's NetworkPolicies, or narrow the rule's peers and ports.",
	checkClusterPolicyFailsClosed: "The cluster policy uses a peer or protocol this version does not know; as the API requires, the rule " +
		"fails closed, but the policy may not do what its author meant. " +
		"Upgrade kubectl netpol, or remove the field the installed CRD does not know.",
	checkDomainNamesUnevaluable: "A domainNames peer is resolved by the dataplane at run time, so offline answers cannot know the " +
		"addresses it matches and take it as matching none. " +
		"Check the flows to those names on the cluster, or give fixed addresses as a networks peer (CIDRs) instead.",
	checkCNIDoesNotEnforce: "The cluster's network plugin does not enforce NetworkPolicy, so no policy has any effect: every flow is allowed. " +
		"Install a network plugin that enforces NetworkPolicy (Calico, Cilium, Antrea, ...) or enable its policy engine.",
	checkCNIUnknown: "No known network plugin was found among the cluster's DaemonSets and Deployments, so whether policies are " +
		"enforced at all is not known. " +
		"Check that the plugin enforces NetworkPolicy, and give --cni NAME to judge as it does (or --no-cni-check).",
	checkUnevaluatedPolicies: "The network plugin's own policies (Calico, Cilium, Antrea, OVN-Kubernetes, MultiNetworkPolicy) take part " +
		"in what the cluster allows, but this tool only reads which pods they may apply to: every verdict about those pods is undecided. " +
		"Judge them with the plugin's own tools, or give --ignore-kind KIND to judge NetworkPolicy and the cluster tiers alone.",
	checkCiliumDenyMatchesNothing: "None of the deny rule's peers matches a pod or an address, so the rule denies nothing: " +
		"usually a typo in a label or an entity the cluster does not have. " +
		"Fix the peers, or delete the rule.",
	checkCiliumFQDNWithoutDNSRule: "Cilium learns the addresses of toFQDNs names only from the DNS answers its proxy sees; " +
		"without an egress rule to DNS on port 53 with rules.dns, no address is learnt and the rule allows nothing. " +
		"Add an egress rule to kube-dns on port 53 with toPorts rules dns: [{matchPattern: \"*\"}].",
	checkCiliumAllowWithoutDefaultDeny: "Under enableDefaultDeny: false, a policy's allow rules do not put its endpoints in default deny; " +
		"when no other policy does, everything stays allowed and the rules have no effect. " +
		"Remove enableDefaultDeny: false, or add a policy that puts the endpoints in default deny.",
	checkCiliumDatabaseOpenToWorld: "A Cilium rule with toPorts only, entity all or world, or a CIDR of every address, lets any address " +
		"reach the database or stateful workload. " +
		"Name the clients with fromEndpoints selectors, or narrow the CIDR to the clients' addresses.",
	checkCiliumUnrestrictedEgress: "A Cilium egress rule with toPorts only, entity all or world, a CIDR of every address, or toFQDNs " +
		"matchPattern \"*\" lets the selected endpoints reach every address. " +
		"List the destinations the workload needs.",
}

// Help says why the check's findings matter and how they are fixed, in a
// few sentences.
func (c AuditCheck) Help() string { return auditHelp[c.ID] }
