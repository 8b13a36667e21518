package query

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func observed(src, dst ObservedEnd, proto corev1.Protocol, port int32, by map[RecordedVerdict]int) ObservedConnection {
	n := 0
	for _, c := range by {
		n += c
	}
	return ObservedConnection{Src: src, Dst: dst, Protocol: proto, Port: port, Count: n, ByVerdict: by}
}

// TestReplayPlacesEnds pins how an observed end is found in the snapshot:
// by pod, by workload when the pod has gone, by address, by labels naming
// one workload; otherwise it is unplaced, saying why, and not judged.
func TestReplayPlacesEnds(t *testing.T) {
	objs := append(baseObjects(), deployment("x/web", "app=web"))
	s := testSnapshot(t, DefaultOptions(), objs...)
	fwd := map[RecordedVerdict]int{RecordedForwarded: 1}
	dst := ObservedEnd{Namespace: "x", Pod: "b"}
	for _, tc := range []struct {
		name     string
		src      ObservedEnd
		from     string
		unplaced string
	}{
		{"by namespace and pod name", ObservedEnd{Namespace: "x", Pod: "a"}, "pod x/a", ""},
		{"a pod gone since: by its workload", ObservedEnd{Namespace: "x", Pod: "web-5d8f-abcde", Workload: "Deployment/web"}, "deployment x/web", ""},
		{"by a pod's address", ObservedEnd{IP: netip.MustParseAddr("10.0.1.1")}, "pod y/a", ""},
		{"an address no pod holds is outside the cluster", ObservedEnd{IP: netip.MustParseAddr("203.0.113.9"), Reserved: "world"}, "203.0.113.9", ""},
		{"by labels that name one workload", ObservedEnd{Namespace: "x", Pod: "gone", Labels: map[string]string{"app": "web"}}, "deployment x/web", ""},
		{"labels that name several workloads are not a placement", ObservedEnd{Namespace: "y", Pod: "gone", Labels: map[string]string{}}, "", "source y/gone: no pod y/gone"},
		{"nothing to place by", ObservedEnd{Namespace: "x", Pod: "gone"}, "", "source x/gone: no pod x/gone, no workload \"\" and no pod with its labels or address in the snapshot"},
		{"a reserved identity without address", ObservedEnd{Reserved: "host"}, "", "source reserved:host: the record names Cilium's host identity without an address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Replay([]ObservedConnection{observed(tc.src, dst, corev1.ProtocolTCP, 80, fwd)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rc := res.Connections[0]
			if rc.Unplaced != "" || tc.unplaced != "" {
				if tc.unplaced == "" || len(rc.Unplaced) < len(tc.unplaced) || rc.Unplaced[:len(tc.unplaced)] != tc.unplaced {
					t.Errorf("unplaced %q, want %q", rc.Unplaced, tc.unplaced)
				}
				if rc.Before != nil || res.Unplaced != 1 {
					t.Errorf("an unplaced connection is judged, or not counted: %+v, %d unplaced", rc.Before, res.Unplaced)
				}
				return
			}
			if rc.From != tc.from || rc.To != "pod x/b" || rc.Before == nil || !rc.Before.Allowed {
				t.Errorf("placed %q -> %q, verdict %+v; want %q -> pod x/b, allowed", rc.From, rc.To, rc.Before, tc.from)
			}
		})
	}
}

// TestReplayJudges pins the two questions replay answers: under a change,
// which observed connections are newly denied or allowed; without one,
// where model and dataplane disagree.
func TestReplayJudges(t *testing.T) {
	denyB := testPolicies(t, `
metadata: {name: b-only-from-a}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]`)
	base := testSnapshot(t, DefaultOptions(), baseObjects()...)
	next, err := base.With(denyB...)
	if err != nil {
		t.Fatal(err)
	}
	a, b := ObservedEnd{Namespace: "x", Pod: "a"}, ObservedEnd{Namespace: "x", Pod: "b"}
	ya := ObservedEnd{Namespace: "y", Pod: "a"}
	fwd := map[RecordedVerdict]int{RecordedForwarded: 3}
	conns := []ObservedConnection{
		observed(a, b, corev1.ProtocolTCP, 80, fwd),  // still allowed
		observed(ya, b, corev1.ProtocolTCP, 80, fwd), // newly denied: y/a is not in x
		observed(a, b, corev1.ProtocolTCP, 81, fwd),  // newly denied: port 81
	}
	t.Run("under a change: the newly denied connections, first", func(t *testing.T) {
		res, err := base.Replay(conns, next)
		if err != nil {
			t.Fatal(err)
		}
		if res.NewlyDenied != 2 || res.NewlyAllowed != 0 || res.Events != 9 || res.Distinct != 3 || !res.Changed() {
			t.Fatalf("summary %+v", res)
		}
		for i, want := range []string{"newly denied", "newly denied", ""} {
			if got := res.Connections[i].Change; got != want {
				t.Errorf("connection %d (%s -> %s %d): change %q, want %q", i, res.Connections[i].From, res.Connections[i].To, res.Connections[i].Port, got, want)
			}
		}
		if ans := res.Connections[0].After.Answer; ans == nil || ans.Allowed {
			t.Errorf("a newly denied connection carries the denying answer: %+v", ans)
		}
	})
	t.Run("the reverse change: newly allowed", func(t *testing.T) {
		res, err := next.Replay(conns, base)
		if err != nil {
			t.Fatal(err)
		}
		if res.NewlyAllowed != 2 || res.NewlyDenied != 0 {
			t.Errorf("summary %+v", res)
		}
	})
	t.Run("no change: model and dataplane disagree both ways", func(t *testing.T) {
		res, err := next.Replay([]ObservedConnection{
			observed(ya, b, corev1.ProtocolTCP, 80, fwd),                                        // forwarded, model denies
			observed(a, b, corev1.ProtocolTCP, 80, map[RecordedVerdict]int{RecordedDenied: 1}),  // dropped by policy, model allows
			observed(a, b, corev1.ProtocolTCP, 80, map[RecordedVerdict]int{RecordedDropped: 1}), // dropped otherwise: no disagreement
			observed(a, b, corev1.ProtocolTCP, 80, fwd),                                         // agree
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Disagreements != 2 || !res.Changed() || res.Connections[0].Disagreement != "the dataplane forwarded it; the model denies it" || res.Connections[1].Disagreement != "the dataplane dropped it by policy; the model allows it" {
			t.Errorf("disagreements %d: %q, %q", res.Disagreements, res.Connections[0].Disagreement, res.Connections[1].Disagreement)
		}
	})
	t.Run("no change and agreement: nothing to report", func(t *testing.T) {
		res, err := next.Replay(conns[:1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed() {
			t.Errorf("changed: %+v", res)
		}
	})
}
