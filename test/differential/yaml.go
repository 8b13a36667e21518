package differential

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"
)

// ObjectsYAML renders objects as a multi-document YAML stream, each object
// preceded by "---". Unlike a plain yaml.Marshal it keeps empty lists that
// are present in a NetworkPolicy (`ingress: []`, `from: []`, ...), which the
// API types' omitempty would silently drop although they change the meaning
// of a manifest, and it leaves out empty noise (`status: {}`,
// `resources: {}`, `creationTimestamp: null`).
func ObjectsYAML[T any](objs []T) string {
	var b strings.Builder
	for _, o := range objs {
		out, err := objectYAML(o)
		if err != nil {
			fmt.Fprintf(&b, "---\n# marshal error: %v\n", err)
			continue
		}
		b.WriteString("---\n")
		b.Write(out)
	}
	return b.String()
}

// ClusterYAML renders a whole cluster (namespaces, pods, policies,
// cluster-scoped policies) as a kubectl-applicable YAML stream (pods carry
// their status for reference). A ClusterNetworkPolicy is rendered in the
// version the engine gets (its apiVersion; the schema is the same).
func ClusterYAML(c Cluster) string {
	s := ObjectsYAML(c.Namespaces) + ObjectsYAML(c.Pods) + ObjectsYAML(c.Policies) + ObjectsYAML(c.CNPs) + ObjectsYAML(c.ANPs)
	if c.BANP != nil {
		s += ObjectsYAML([]*npav1alpha1.BaselineAdminNetworkPolicy{c.BANP})
	}
	return s
}

func objectYAML(o any) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	switch o := any(o).(type) {
	case *corev1.Namespace:
		dropEmpty(m, "spec", "status")
	case *corev1.Pod:
		if spec, ok := m["spec"].(map[string]any); ok {
			if cs, ok := spec["containers"].([]any); ok {
				for _, c := range cs {
					if c, ok := c.(map[string]any); ok {
						dropEmpty(c, "resources")
					}
				}
			}
		}
	case *npav1alpha2.ClusterNetworkPolicy:
		delete(m, "status") // {conditions: null}
	case *npav1alpha1.AdminNetworkPolicy, *npav1alpha1.BaselineAdminNetworkPolicy:
		delete(m, "status")
		// portNumber.protocol has no omitempty: leave a missing protocol
		// missing rather than write `protocol: ""`.
		if spec, ok := m["spec"].(map[string]any); ok {
			for _, dir := range []string{"ingress", "egress"} {
				rules, _ := spec[dir].([]any)
				for _, r := range rules {
					rm, _ := r.(map[string]any)
					ports, _ := rm["ports"].([]any)
					for _, p := range ports {
						pm, _ := p.(map[string]any)
						if pn, ok := pm["portNumber"].(map[string]any); ok && pn["protocol"] == "" {
							delete(pn, "protocol")
						}
					}
				}
			}
		}
	case *networkingv1.NetworkPolicy:
		dropEmpty(m, "status")
		if spec, ok := m["spec"].(map[string]any); ok {
			restoreEmptyLists(spec, &o.Spec)
		}
	}
	return yaml.Marshal(m)
}

func dropEmpty(m map[string]any, keys ...string) {
	for _, k := range keys {
		if v, ok := m[k].(map[string]any); ok && len(v) == 0 {
			delete(m, k)
		}
	}
}

// restoreEmptyLists puts back the non-nil empty lists of spec into its JSON
// form m.
func restoreEmptyLists(m map[string]any, spec *networkingv1.NetworkPolicySpec) {
	empty := func(obj map[string]any, key string, isEmpty bool) {
		if isEmpty {
			obj[key] = []any{}
		}
	}
	empty(m, "policyTypes", spec.PolicyTypes != nil && len(spec.PolicyTypes) == 0)
	empty(m, "ingress", spec.Ingress != nil && len(spec.Ingress) == 0)
	empty(m, "egress", spec.Egress != nil && len(spec.Egress) == 0)
	rules := func(key string) []map[string]any {
		var out []map[string]any
		list, _ := m[key].([]any)
		for _, r := range list {
			rm, _ := r.(map[string]any)
			out = append(out, rm)
		}
		return out
	}
	peers := func(rm map[string]any, key string, ps []networkingv1.NetworkPolicyPeer) {
		empty(rm, key, ps != nil && len(ps) == 0)
		list, _ := rm[key].([]any)
		for i, p := range ps {
			if i >= len(list) || p.IPBlock == nil || p.IPBlock.Except == nil || len(p.IPBlock.Except) > 0 {
				continue
			}
			if pm, ok := list[i].(map[string]any); ok {
				if b, ok := pm["ipBlock"].(map[string]any); ok {
					b["except"] = []any{}
				}
			}
		}
	}
	for i, rm := range rules("ingress") {
		if rm == nil || i >= len(spec.Ingress) {
			continue
		}
		peers(rm, "from", spec.Ingress[i].From)
		empty(rm, "ports", spec.Ingress[i].Ports != nil && len(spec.Ingress[i].Ports) == 0)
	}
	for i, rm := range rules("egress") {
		if rm == nil || i >= len(spec.Egress) {
			continue
		}
		peers(rm, "to", spec.Egress[i].To)
		empty(rm, "ports", spec.Egress[i].Ports != nil && len(spec.Egress[i].Ports) == 0)
	}
}
