package load

import (
	"io"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestManifestsTrimUnlessWhole: a pod is read cut to what verdicts read,
// and as written with Source.Whole.
func TestManifestsTrimUnlessWhole(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}, annotations: {note: x}}
spec:
  containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]
`
	for _, whole := range []bool{false, true} {
		objs, err := Manifests(Source{Filenames: []string{"-"}, Stdin: strings.NewReader(pod), Namespace: "default", Whole: whole}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		p := objs[0].(*corev1.Pod)
		if got := p.Spec.Containers[0].Image != "" && p.Annotations["note"] == "x"; got != whole {
			t.Errorf("Whole=%v: image %q, annotations %v", whole, p.Spec.Containers[0].Image, p.Annotations)
		}
		if p.Labels["app"] != "api" || p.Spec.Containers[0].Ports[0].ContainerPort != 8080 {
			t.Errorf("Whole=%v: lost what verdicts read: %+v", whole, p)
		}
	}
}
