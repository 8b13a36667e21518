package query

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// TestHostNetworkVerdicts pins that a verdict about a host-network pod says
// in the answer what it assumes, and that the warning comes once per
// workload, however many of its pods use the node's network.
func TestHostNetworkVerdicts(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`)...)
	rs := replicaSet("x/agent", "")
	rs.Spec.Template.Spec.HostNetwork = true
	objs = append(objs, rs)
	for _, key := range []string{"x/agent-1", "x/agent-2", "x/agent-3"} {
		p := ownedPod(key, "app=agent", "", "ReplicaSet", "agent")
		p.Spec.HostNetwork = true
		objs = append(objs, p)
	}
	s := testSnapshot(t, DefaultOptions(), objs...)
	if n := strings.Count(strings.Join(messages(s.Warnings), "\n"), "uses hostNetwork"); n != 1 {
		t.Errorf("%d hostNetwork warnings, want 1 for the workload: %q", n, s.Warnings)
	}
	ans := can(t, s, "y/a", "x/agent-2:80")
	if ans.Allowed {
		t.Fatal("want denied (deny-all in x)")
	}
	if len(ans.Assumes) != 1 || !strings.Contains(ans.Assumes[0], "applies to host-network pods") {
		t.Errorf("assumes %q, want the host-network assumption", ans.Assumes)
	}
	if !strings.Contains(strings.Join(messages(ans.Warnings), "\n"), "uses hostNetwork") {
		t.Errorf("warnings %q miss the hostNetwork warning for a pod of the workload", ans.Warnings)
	}
	for _, pv := range ans.Pairs {
		if len(pv.Notes) > 0 {
			t.Errorf("pair notes %q repeat the warning", pv.Notes)
		}
	}
	plain := can(t, testSnapshot(t, DefaultOptions(), []runtime.Object(objs[:len(baseObjects())])...), "y/a", "x/a:80")
	if len(plain.Assumes) != 0 {
		t.Errorf("assumes %q for pods on the pod network", plain.Assumes)
	}
}
