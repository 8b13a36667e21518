package ciliumdiff

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// CiliumProfile is the engine's Cilium profile set as the oracle runs
// Cilium: cilium-config with enable-policy as given and enable-sctp: true
// (the oracle's policy engine computes SCTP entries, as Cilium's does
// whatever enable-sctp says), read the way the tool reads a live
// cluster's (CNI.WithCiliumConfig); endPort enforced (Cilium 1.20 does).
// It leaves no behaviour unknown.
func CiliumProfile(enablePolicy string) (query.Profile, error) {
	p, err := query.ProfileNamed("cilium")
	if err != nil {
		return query.Profile{}, err
	}
	c := query.CNI{Name: "Cilium", Enforces: true, Profile: &p, Namespace: "kube-system"}
	c = c.WithCiliumConfig(map[string]string{"enable-policy": enablePolicy, "enable-sctp": "true"})
	out := c.Profile.With(query.BehaviourEndPort, query.Yes, "Cilium v1.20 enforces endPort")
	if u := out.Unknowns(); len(u) > 0 {
		return query.Profile{}, fmt.Errorf("the Cilium profile leaves %v unknown", u)
	}
	return out, nil
}

// engine is the engine over one cluster.
type engine struct {
	snap *query.Snapshot
}

// newEngine gives the engine the cluster as written: namespaces, pods and
// NetworkPolicies typed, Cilium policies unstructured.
func newEngine(c Cluster) (*engine, error) {
	var objs []k8sruntime.Object
	for _, o := range c.Namespaces {
		objs = append(objs, o.DeepCopy())
	}
	for _, o := range c.Pods {
		objs = append(objs, o.DeepCopy())
	}
	for _, o := range c.Policies {
		objs = append(objs, o.DeepCopy())
	}
	for _, o := range c.Cilium {
		objs = append(objs, o.DeepCopy())
	}
	// The node every pod runs on, so that the engine knows the addresses
	// outside the pods are not a node's (the host and remote-node
	// entities), as the oracle takes them.
	objs = append(objs, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.20.0.1"}, {Type: corev1.NodeInternalIP, Address: "fd00:ff::1"}}}})
	prof, err := CiliumProfile(c.EnablePolicy)
	if err != nil {
		return nil, err
	}
	snap, err := query.NewSnapshot(objs, query.Options{Profile: prof})
	if err != nil {
		return nil, fmt.Errorf("engine: NewSnapshot: %w", err)
	}
	return &engine{snap: snap}, nil
}

// ask is `kubectl netpol can SRC DST`.
func (e *engine) ask(src, dst string) (*query.Answer, error) {
	flow, err := query.ParseFlow([]string{src, dst})
	if err != nil {
		return nil, fmt.Errorf("engine: ParseFlow(%q, %q): %w", src, dst, err)
	}
	ans, err := e.snap.Can(flow, "default")
	if err != nil {
		return nil, fmt.Errorf("engine: Can(%q, %q): %w", src, dst, err)
	}
	if len(ans.Pairs) != 1 {
		return nil, fmt.Errorf("engine: Can(%q, %q): %d pairs, want 1", src, dst, len(ans.Pairs))
	}
	return ans, nil
}

// engineVerdict is the engine's answer on one flow: both halves and the
// whole, and whether it was decided (and if not, on what it depends).
type engineVerdict struct {
	egress, ingress, allowed bool
	decided                  bool
	dependsOn                []string
	// pair is the trace of the pair, as the answer gave it.
	pair query.PairVerdict
}

// portless reads the verdict on (proto, port) from the answer to a
// port-less question: the ports the pair and each half allow.
func portless(ans *query.Answer, x portProto) engineVerdict {
	pv := ans.Pairs[0]
	return engineVerdict{
		egress:  pv.Egress.AllowedPorts.Contains(x.proto, x.port),
		ingress: pv.Ingress.AllowedPorts.Contains(x.proto, x.port),
		allowed: ans.AllowedPorts.Contains(x.proto, x.port),
		decided: ans.Decided, dependsOn: ans.DependsOn, pair: pv,
	}
}

// explicit reads the verdict from the answer to an explicit-port
// question.
func explicit(ans *query.Answer) engineVerdict {
	pv := ans.Pairs[0]
	return engineVerdict{
		egress: pv.Egress.Allowed, ingress: pv.Ingress.Allowed, allowed: ans.Allowed,
		decided: ans.Decided, dependsOn: ans.DependsOn, pair: pv,
	}
}

// traceText renders the engine's trace of one pair in a few lines.
func traceText(pv query.PairVerdict) string {
	var b strings.Builder
	for _, t := range []query.DirectionTrace{pv.Egress, pv.Ingress} {
		who := t.Pod
		if who == "" {
			who = "(outside the cluster)"
		}
		fmt.Fprintf(&b, "    %s of %s: isolated %v, allowed %v: %s\n", t.Direction, who, t.Isolated, t.Allowed, t.Summary)
		for _, r := range t.Rules {
			fmt.Fprintf(&b, "      %s %s: peer matched %v, allows %v (%s)\n", r.Policy, r.Rule, r.PeerMatched, r.Allows, r.Description)
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "      note: %s\n", n)
		}
	}
	for _, n := range pv.Notes {
		fmt.Fprintf(&b, "    note: %s\n", n)
	}
	return b.String()
}
