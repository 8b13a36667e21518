package query

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// messages are the texts of warnings, for tests that read them.
func messages(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Message
	}
	return out
}

// about names each warning by kind and object, as the tests below expect.
func about(ws []Warning) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, string(w.Kind)+" "+w.Object)
	}
	return out
}

// warningWorld is baseObjects with a bare host-network pod x/h, a
// ReplicaSet y/agent whose two pods use the node's network, and a cluster
// policy whose peer sets no known field (it fails closed).
func warningWorld(t *testing.T) *Snapshot {
	t.Helper()
	objs := baseObjects()
	h := testPod("x/h", "app=h", "10.0.0.9")
	h.Spec.HostNetwork = true
	rs := replicaSet("y/agent", "")
	rs.Spec.Template.Spec.HostNetwork = true
	objs = append(objs, h, rs)
	for _, key := range []string{"y/agent-1", "y/agent-2"} {
		p := ownedPod(key, "app=agent", "", "ReplicaSet", "agent")
		p.Spec.HostNetwork = true
		objs = append(objs, p)
	}
	objs = append(objs, testClusterPolicies(t, `
metadata: {name: accept-unknown}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Accept, from: [{}]}]`)...)
	return testSnapshot(t, DefaultOptions(), objs...)
}

const (
	failClosed = "fail-closed clusternetworkpolicy accept-unknown"
	hostPod    = "host-network pod x/h"
	hostAgents = "host-network replicaset y/agent"
)

// TestAnswersCarryTheWarningsThatConcernThem pins which snapshot warnings
// an answer carries, chosen by what each is about rather than its text:
// those about its pods (a pod, or any pod of a workload), and those about
// no pod in particular, which every answer depends on.
func TestAnswersCarryTheWarningsThatConcernThem(t *testing.T) {
	s := warningWorld(t)
	if diff := cmp.Diff([]string{failClosed, hostPod, hostAgents}, about(s.Warnings)); diff != "" {
		t.Fatalf("snapshot warnings (-want +got):\n%s", diff)
	}
	explain := func(target string) []Warning {
		e, err := ParseEndpoint(target)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := s.Explain(e, "x")
		if err != nil {
			t.Fatal(err)
		}
		return ex.Warnings
	}
	explainNS := func(ns string) []Warning {
		ex, err := s.ExplainNamespace(ns)
		if err != nil {
			t.Fatal(err)
		}
		return ex.Warnings
	}
	for _, tc := range []struct {
		name string
		got  []Warning
		want []string
	}{
		{"can about a bare host-network pod carries its warning", can(t, s, "x/h", "y/b:80").Warnings, []string{failClosed, hostPod}},
		{"can about any pod of a host-network workload carries the workload's warning", can(t, s, "x/a", "y/agent-2:80").Warnings, []string{failClosed, hostAgents}},
		{"can about other pods carries no host-network warning, even beside them", can(t, s, "x/a", "x/b:80").Warnings, []string{failClosed}},
		{"can about pods of both carries both, once each", can(t, s, "x/h", "y/agent-1:80").Warnings, []string{failClosed, hostPod, hostAgents}},
		{"explain of a pod of the workload carries the workload's warning", explain("y/agent-1"), []string{failClosed, hostAgents}},
		{"explain of another pod carries only the fail-closed warning", explain("x/a"), []string{failClosed}},
		{"explain -n carries the host-network warnings of its namespace and the fail-closed one", explainNS("x"), []string{failClosed, hostPod}},
		{"explain -n of the workload's namespace carries the workload's warning", explainNS("y"), []string{failClosed, hostAgents}},
		{"explain -n of a namespace the cluster policy does not select still carries the fail-closed warning", explainNS("z"), []string{failClosed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, about(tc.got)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWarningsAreTheirMessageInJSON pins the JSON of answers: warnings are
// an array of strings, their messages, and read back as such.
func TestWarningsAreTheirMessageInJSON(t *testing.T) {
	ans := can(t, warningWorld(t), "x/h", "y/b:80")
	b, err := json.Marshal(ans)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct{ Warnings []string }
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(messages(ans.Warnings), raw.Warnings); diff != "" {
		t.Errorf("warnings in JSON (-want +got):\n%s", diff)
	}
	var back Answer
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(messages(ans.Warnings), messages(back.Warnings)); diff != "" {
		t.Errorf("warnings read back (-want +got):\n%s", diff)
	}
}
