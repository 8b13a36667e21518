package query

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// WarningKind names what a warning is about, so that callers tell warnings
// apart by kind rather than by their text.
type WarningKind string

// The kinds of warning. The first four are the snapshot's; the others
// qualify one answer, or come from reading a live cluster.
const (
	// WarnHostNetwork: a pod (or a workload's pods) on the node's network,
	// which most network plugins do not police.
	WarnHostNetwork WarningKind = "host-network"
	// WarnFailClosed: a cluster policy holds a field this tool does not
	// know, and the rule was treated as the API requires (fails closed).
	WarnFailClosed WarningKind = "fail-closed"
	// WarnOwnerCycle: owner references that lead back to where they started.
	WarnOwnerCycle WarningKind = "owner-cycle"
	// WarnMixedClusterKinds: ClusterNetworkPolicy and the older
	// AdminNetworkPolicy kinds judged together.
	WarnMixedClusterKinds WarningKind = "mixed-cluster-kinds"
	// WarnAmbiguous: items of an answer over many flows that cluster
	// policies of the same tier and priority judge differently.
	WarnAmbiguous WarningKind = "ambiguous"
	// WarnUndecided: items of an answer over many flows whose verdict
	// depends on what the network plugin does where its profile leaves
	// that unknown.
	WarnUndecided WarningKind = "undecided"
	// WarnStandardDNS: DNS was judged against a standard DNS pod the
	// input does not hold.
	WarnStandardDNS WarningKind = "standard-dns"
	// WarnEndpoint: how an endpoint of a question was understood (an
	// address several pods hold, a range that holds pod IPs).
	WarnEndpoint WarningKind = "endpoint"
	// WarnDualStack: pods with several IPs judged by ipBlock rules on
	// their primary IP.
	WarnDualStack WarningKind = "dual-stack"
	// WarnNetworkPlugin: the cluster's network plugin may not enforce
	// NetworkPolicy, or could not be checked.
	WarnNetworkPlugin WarningKind = "network-plugin"
	// WarnUnreadable: objects of a kind the cluster did not let us read.
	WarnUnreadable WarningKind = "unreadable"
)

// Warning is something the user should be told beside an answer. Answers
// pick the snapshot's warnings that concern them by what each is about
// (its scope), never by its text. In JSON a warning is its message.
type Warning struct {
	Kind WarningKind
	// Object names what the warning is about, as messages name it ("pod
	// prod/web-1", "deployment prod/web", "clusternetworkpolicy deny-all");
	// empty when it is about the whole input or answer.
	Object  string
	Message string

	scope warningScope
}

// warningScope is what a snapshot warning concerns: every answer (the zero
// value), or the pods of one namespace that are one pod or belong to one
// workload.
type warningScope struct {
	namespace string
	pod       string // a pod's name
	workload  WorkloadRef
}

// String returns the message.
func (w Warning) String() string { return w.Message }

// MarshalJSON writes the message, as answers have always carried warnings.
func (w Warning) MarshalJSON() ([]byte, error) { return json.Marshal(w.Message) }

// UnmarshalJSON reads a message back; kind and scope are not carried.
func (w *Warning) UnmarshalJSON(b []byte) error {
	*w = Warning{}
	return json.Unmarshal(b, &w.Message)
}

// global reports whether the warning concerns every answer.
func (w Warning) global() bool { return w.scope == warningScope{} }

// concernsPod reports whether the warning concerns answers about p.
func (w Warning) concernsPod(p *Pod) bool {
	sc := w.scope
	switch {
	case w.global():
		return true
	case sc.namespace != p.Namespace:
		return false
	case sc.pod != "":
		return sc.pod == p.Name
	default:
		return p.Workload != nil && *p.Workload == sc.workload
	}
}

// concernsNamespace reports whether the warning concerns answers about
// the workloads of namespace ns.
func (w Warning) concernsNamespace(ns string) bool {
	return w.global() || w.scope.namespace == ns
}

// warningsFor returns the snapshot warnings that concern the endpoints:
// those about their pods, and those about no pod in particular (cluster
// policies that fail closed, owner cycles).
func (s *Snapshot) warningsFor(eps ...*Endpoint) []Warning {
	var out []Warning
	for _, w := range s.Warnings {
		if w.global() || slices.ContainsFunc(eps, func(ep *Endpoint) bool {
			return slices.ContainsFunc(ep.PodList(), w.concernsPod)
		}) {
			out = appendNew(out, w)
		}
	}
	return out
}

// sortWarnings orders warnings by message, as the snapshot prints them.
func sortWarnings(ws []Warning) {
	slices.SortFunc(ws, func(a, b Warning) int { return cmp.Compare(a.Message, b.Message) })
}

// hostNetworkWarning is the warning about p's use of the node's network:
// about p alone for a bare pod or a stand-in, else about its workload.
func hostNetworkWarning(p *Pod) Warning {
	w := Warning{Kind: WarnHostNetwork, Object: "pod " + p.Key(), scope: warningScope{namespace: p.Namespace, pod: p.Name}}
	what := w.Object
	if p.Workload != nil && !p.StandIn {
		w.Object = fmt.Sprintf("%s %s/%s", strings.ToLower(p.Workload.Kind), p.Namespace, p.Workload.Name)
		w.scope = warningScope{namespace: p.Namespace, workload: *p.Workload}
		what = fmt.Sprintf("pod %s (and the other pods of %s)", p.Key(), w.Object)
	}
	w.Message = fmt.Sprintf("%s uses hostNetwork: NetworkPolicy usually does not apply to it, verdicts involving it are hypothetical", what)
	return w
}

// failClosedWarning is the warning that cluster policy c holds what this
// tool does not know (fc, one entry of c.failClosed). It concerns every
// answer: the policy's subject may select any pod.
func failClosedWarning(c *Policy, fc string) Warning {
	return Warning{Kind: WarnFailClosed, Object: strings.ToLower(c.kind) + " " + c.name, Message: fmt.Sprintf("%s: %s", c.key(), fc)}
}

// ownerCycleWarning is the warning about a cycle of owner references
// through the named workloads ("replicaset prod/a"), in order.
func ownerCycleWarning(names []string) Warning {
	return Warning{
		Kind:    WarnOwnerCycle,
		Object:  names[0],
		Message: fmt.Sprintf("owner references form a cycle (%s -> %s): pods count as owned by the first workload of their chain", strings.Join(names, " -> "), names[0]),
	}
}

// mixedClusterKindsWarning says that both generations of cluster policy
// kinds are judged together.
var mixedClusterKindsWarning = Warning{
	Kind:    WarnMixedClusterKinds,
	Message: "both ClusterNetworkPolicy and the older AdminNetworkPolicy/BaselineAdminNetworkPolicy kinds are present; they are judged together, tier by tier and by priority, though an implementation usually enforces only one API",
}

// standardDNSWarning says that DNS was judged against the stand-in.
var standardDNSWarning = Warning{Kind: WarnStandardDNS, Object: "pod " + dnsNamespace + "/" + standardDNSName, Message: standardDNS}

// endpointWarnings are the notes on how the endpoints were understood, in
// order, one warning each.
func endpointWarnings(eps ...*Endpoint) []Warning {
	var out []Warning
	for _, ep := range eps {
		for _, n := range ep.Notes {
			out = append(out, Warning{Kind: WarnEndpoint, Object: ep.Input, Message: n})
		}
	}
	return out
}

// ambiguityWarnings is the one warning an answer over many flows gives when
// n of its items (edges, peers, changes: noun in the singular) are
// ambiguous; none when n is 0.
func ambiguityWarnings(n int, noun string) []Warning {
	if n == 0 {
		return nil
	}
	what := fmt.Sprintf("%d %ss are", n, noun)
	if n == 1 {
		what = "1 " + noun + " is"
	}
	return []Warning{{Kind: WarnAmbiguous, Message: fmt.Sprintf("%s marked ambiguous: cluster policies of the same tier and priority judge them differently, so implementations may apply either (shown in name order; \"can\" exits 2 on them)", what)}}
}
