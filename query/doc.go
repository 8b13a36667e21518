// Package query is the policy engine of kubectl netpol: typed Kubernetes API
// objects in, verdicts with traces out. It implements the rules of
// docs/semantics.md and knows nothing of cobra, clients or printing, so
// other programs can import it.
//
// # The seam between policy models and analyses
//
// Every policy model (NetworkPolicy, the cluster tiers of
// policy.networking.k8s.io, and the next ones) is a compiler from its API
// objects to one compiled form, model.go:
//
//   - a Policy selects subject pods (a selector) and sits in a stage:
//     the Admin tier, NetworkPolicy, or the Baseline tier;
//   - it holds Rules per direction, each with an Action, Peers and Ports;
//   - a Peer is one of the peer kinds of peer.go, and peer.go is the only
//     place that knows what a kind matches (matchPeer), which namespaces
//     and address ranges it can name, and how to say why it missed;
//   - a Port entry resolves named ports by one rule (ports.go).
//
// The compilers are networkpolicy.go, clusterpolicy.go and cilium.go
// (Cilium's CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, in the
// NetworkPolicy stage, with Deny rules and rules that judge without
// isolating). Nothing else looks at the API objects of policies.
//
// One evaluation (evaluate.go) judges each half of a flow (the source's
// egress, the destination's ingress): the stages in order, each taking
// the ports the ones before left undecided (decide). An ordered stage
// walks its rules in precedence order, the first match deciding; an
// allow-list stage isolates the pods its policies select and allows the
// union of what their matching Accept rules allow, less what matching Deny
// rules deny. judging says which policies
// take part, for every analysis.
//
// Three paths run that evaluation, and differ only in how a rule is
// matched: the traced one of can and test (trace.go, tiers.go), the
// untraced one per pod pair (allowedPorts) that explain, diff and audit
// aggregate (reach.go, regions.go), and the class path of the map
// (classeval.go), which matches rules by bitsets over classes of pods
// that every peer treats alike (classes.go). Property tests check that
// the three agree.
//
// So a new policy model is one compiler file plus its tests: it emits
// Policies in an existing stage (or adds a stage to the order), and every
// analysis (can, explain, map, diff, test, audit) answers for it. A new
// peer kind is a peerKind constant with its cases in peer.go, which
// TestEveryPeerKindIsMatched demands, and the compiler that emits it.
package query
