package ciliumdiff

import (
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// ClusterYAML renders a cluster as a kubectl-applicable YAML stream:
// namespaces, pods (with their status, for the IPs), NetworkPolicies as
// written, Cilium policies; a comment says the Cilium settings it was
// judged under.
func ClusterYAML(c Cluster) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# family %s; cilium-config: enable-policy: %s, enable-sctp: \"true\"; single stack %s; filtered labels: %v\n", c.Family, c.EnablePolicy, map[bool]string{false: "IPv4", true: "IPv6"}[c.IPv6], c.FilteredLabels)
	var objs []any
	for _, o := range c.Namespaces {
		objs = append(objs, o)
	}
	for _, o := range c.Pods {
		objs = append(objs, o)
	}
	for _, o := range c.Policies {
		objs = append(objs, o)
	}
	for _, o := range c.Cilium {
		objs = append(objs, o.Object)
	}
	for _, o := range objs {
		b.WriteString("---\n")
		out, err := objectYAML(o)
		if err != nil {
			fmt.Fprintf(&b, "# marshal error: %v\n", err)
			continue
		}
		b.Write(out)
	}
	return b.String()
}

// objectYAML is an object without the empty noise of the typed API
// (creationTimestamp: null, status: {}, resources: {}).
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
	if st, ok := m["status"].(map[string]any); ok && len(st) == 0 {
		delete(m, "status")
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		if len(spec) == 0 && m["kind"] == "Namespace" {
			delete(m, "spec")
		}
		if cs, ok := spec["containers"].([]any); ok {
			for _, c := range cs {
				if c, ok := c.(map[string]any); ok {
					if r, ok := c["resources"].(map[string]any); ok && len(r) == 0 {
						delete(c, "resources")
					}
				}
			}
		}
	}
	return yaml.Marshal(m)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
