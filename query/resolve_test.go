package query

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func terminatedPod(key string, phase corev1.PodPhase) *corev1.Pod {
	p := testPod(key, "app=job", "")
	p.Status.Phase = phase
	return p
}

func TestResolveSharpEdges(t *testing.T) {
	hostA := testPod("x/agent-a", "app=agent", "10.0.9.1")
	hostA.Spec.HostNetwork = true
	hostB := testPod("y/agent-b", "app=other", "10.0.9.1")
	hostB.Spec.HostNetwork = true
	objs := append(baseObjects(), terminatedPod("x/done", corev1.PodSucceeded), terminatedPod("x/crashed", corev1.PodFailed), hostA, hostB)
	s := testSnapshot(t, DefaultOptions(), objs...)

	t.Run("asking about a terminated pod says it has terminated", func(t *testing.T) {
		for name, phase := range map[string]string{"done": "Succeeded", "x/crashed": "Failed", "pod/done": "Succeeded"} {
			f, err := ParseFlow([]string{name, "x/a"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Can(f, "x")
			if err == nil || !strings.Contains(err.Error(), "has terminated (phase "+phase+")") {
				t.Errorf("can %s x/a: err = %v, want it to say the pod has terminated", name, err)
			}
		}
	})
	t.Run("an address held by several pods judges every holder", func(t *testing.T) {
		ans := can(t, s, "10.0.9.1", "x/b")
		if ans.Source.Kind != "Address" {
			t.Errorf("source kind = %q, want Address", ans.Source.Kind)
		}
		if diff := cmp.Diff([]string{"x/agent-a", "y/agent-b"}, ans.Source.Pods); diff != "" {
			t.Errorf("source pods (-want +got):\n%s", diff)
		}
		var judged []string
		for _, pv := range ans.Pairs {
			judged = append(judged, pv.Sources...)
		}
		if len(judged) != 2 {
			t.Errorf("pairs judge sources %q, want both holders", judged)
		}
		if !strings.Contains(strings.Join(ans.Source.Notes, "\n"), "held by 2 pods") {
			t.Errorf("notes %q do not say the address is shared", ans.Source.Notes)
		}
	})
	t.Run("an address held by one pod is that pod", func(t *testing.T) {
		ans := can(t, s, "10.0.0.1", "x/b")
		if ans.Source.Kind != "Pod" || ans.Source.Name != "a" {
			t.Errorf("source = %s %s, want Pod a", ans.Source.Kind, ans.Source.Name)
		}
	})
}
