package query

import (
	"fmt"
	"strings"
)

// CiliumConfigMap is the ConfigMap Cilium's agent takes its settings from,
// in the namespace of its DaemonSet.
const CiliumConfigMap = "cilium-config"

// ciliumSettingBehaviours are the behaviours cilium-config decides: what
// stays unknown when it cannot be read.
var ciliumSettingBehaviours = []Behaviour{
	BehaviourEnforced, BehaviourIsolateAll, BehaviourClusterPolicies,
	BehaviourIPBlockPodIPs, BehaviourIPBlockNodeIPs, BehaviourSCTP, BehaviourNodeToPod,
}

// ReadsCiliumConfig says whether the plugin found is Cilium, whose
// settings are in the CiliumConfigMap of the CNI's Namespace.
func (c CNI) ReadsCiliumConfig() bool {
	return c.Profile != nil && c.Profile.Name == "cilium" && c.Namespace != ""
}

// WithCiliumConfig applies the data of Cilium's cilium-config ConfigMap to
// the profile, each setting that changes a verdict (docs/semantics.md,
// CNI-DET-2):
//
//   - enable-policy: default; always isolates every pod; never enforces
//     nothing. enable-k8s-networkpolicy: false ignores NetworkPolicy.
//   - policy-cidr-match-mode: a list of "nodes" (ipBlock matches node
//     addresses) and "pods" (ipBlock matches pod IPs); empty matches
//     neither.
//   - enable-sctp: true enforces SCTP rules.
//   - enable-k8s-cluster-network-policy: true enforces ClusterNetworkPolicy.
//   - allow-localhost: policy subjects traffic from the pod's own node to
//     policy; auto and always let it in.
//
// A value it does not know makes the behaviour unknown, with a note.
func (c CNI) WithCiliumConfig(data map[string]string) CNI {
	if c.Profile == nil {
		return c
	}
	p := *c.Profile
	where := fmt.Sprintf("ConfigMap %s/%s", c.Namespace, CiliumConfigMap)
	var off string // why policy is not enforced, if it is not
	set := func(b Behaviour, v Switch, why string) {
		if why != "" {
			why = where + " " + why
		}
		if b == BehaviourEnforced && v == No {
			off = why
		}
		p = p.With(b, v, why)
	}
	get := func(key string) string { return strings.ToLower(strings.TrimSpace(data[key])) }

	switch v := get("enable-policy"); v {
	case "", "default":
	case "always":
		set(BehaviourIsolateAll, Yes, "enable-policy: always: every pod is isolated in both directions, also when no policy selects it")
	case "never":
		set(BehaviourEnforced, No, "enable-policy: never: Cilium enforces no policy")
	default:
		set(BehaviourEnforced, Unknown, fmt.Sprintf("enable-policy: %q is not one of default, always, never", v))
		set(BehaviourIsolateAll, Unknown, "")
	}
	switch v := get("enable-k8s-networkpolicy"); v {
	case "", "true":
	case "false":
		set(BehaviourEnforced, No, "enable-k8s-networkpolicy: false: Cilium ignores NetworkPolicy")
	default:
		set(BehaviourEnforced, Unknown, fmt.Sprintf("enable-k8s-networkpolicy: %q is not a boolean", v))
	}
	if v := get("policy-cidr-match-mode"); v != "" {
		for _, mode := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			switch mode {
			case "nodes":
				set(BehaviourIPBlockNodeIPs, Yes, "policy-cidr-match-mode: nodes: ipBlock matches node addresses")
			case "pods":
				set(BehaviourIPBlockPodIPs, Yes, "policy-cidr-match-mode: pods: ipBlock matches pod IPs")
			default:
				set(BehaviourIPBlockPodIPs, Unknown, fmt.Sprintf("policy-cidr-match-mode: %q is not nodes or pods", mode))
				set(BehaviourIPBlockNodeIPs, Unknown, "")
			}
		}
	}
	switch v := get("enable-sctp"); v {
	case "true":
		set(BehaviourSCTP, Yes, "enable-sctp: true: SCTP rules are enforced")
	}
	switch v := get("enable-k8s-cluster-network-policy"); v {
	case "", "false":
	case "true":
		set(BehaviourClusterPolicies, Yes, "enable-k8s-cluster-network-policy: true: ClusterNetworkPolicy is enforced (Cilium implements neither AdminNetworkPolicy nor BaselineAdminNetworkPolicy)")
	default:
		set(BehaviourClusterPolicies, Unknown, fmt.Sprintf("enable-k8s-cluster-network-policy: %q is not a boolean", v))
	}
	switch v := get("allow-localhost"); v {
	case "", "auto", "always":
	case "policy":
		set(BehaviourNodeToPod, No, "allow-localhost: policy: traffic from a pod's own node is subject to policy")
	default:
		set(BehaviourNodeToPod, Unknown, fmt.Sprintf("allow-localhost: %q is not one of auto, always, policy", v))
	}
	p.Why += " and " + where
	c.Profile = &p
	if off != "" && c.Enforces {
		c.Enforces = false
		c.Note = notEnforcingNote(c.Name) + " (" + off + ")"
	}
	return c
}

// WithoutCiliumConfig leaves the behaviours cilium-config decides unknown
// when it could not be read (forbidden, missing), saying why in a note.
func (c CNI) WithoutCiliumConfig(why string) CNI {
	if c.Profile == nil {
		return c
	}
	p := *c.Profile
	for i, b := range ciliumSettingBehaviours {
		note := ""
		if i == 0 {
			note = why + ": Cilium's settings (enable-policy, policy-cidr-match-mode, enable-sctp, enable-k8s-cluster-network-policy, allow-localhost) are unknown"
		}
		p = p.With(b, Unknown, note)
	}
	c.Profile = &p
	return c
}
