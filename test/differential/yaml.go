package differential

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// ObjectsYAML renders objects as a multi-document YAML stream, each object
// preceded by "---".
func ObjectsYAML[T any](objs []T) string {
	var b strings.Builder
	for _, o := range objs {
		out, err := yaml.Marshal(o)
		if err != nil {
			fmt.Fprintf(&b, "---\n# marshal error: %v\n", err)
			continue
		}
		b.WriteString("---\n")
		b.Write(out)
	}
	return b.String()
}

// ClusterYAML renders a whole cluster (namespaces, pods, policies) as a
// kubectl-applicable YAML stream (pods carry their status for reference).
func ClusterYAML(c Cluster) string {
	return ObjectsYAML(c.Namespaces) + ObjectsYAML(c.Pods) + ObjectsYAML(c.Policies)
}
