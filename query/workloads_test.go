package query

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func replicaSet(key, owner string) *appsv1.ReplicaSet {
	ns, name, _ := strings.Cut(key, "/")
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	rs.Spec.Template.Labels = map[string]string{"app": name}
	if owner != "" {
		kind, oname, _ := strings.Cut(owner, "/")
		rs.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: oname, Controller: ptr.To(true)}}
	}
	return rs
}

func ownedPod(key, lbls, ip, ownerKind, owner string) *corev1.Pod {
	p := testPod(key, lbls, ip)
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: ownerKind, Name: owner, Controller: ptr.To(true)}}
	return p
}

// newSnapshotWithin builds a snapshot, failing the test instead of hanging
// when building does not end.
func newSnapshotWithin(t *testing.T, objs []runtime.Object) (*Snapshot, error) {
	t.Helper()
	type result struct {
		s   *Snapshot
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := NewSnapshot(objs, DefaultOptions())
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("NewSnapshot did not return within 10s: an owner walk does not end")
		return nil, nil
	}
}

func TestOwnerReferences(t *testing.T) {
	tests := []struct {
		name string
		objs []runtime.Object
		// units are the workloads of namespace x, "kind/name".
		units []string
		// podUnit maps pods of x to the unit they count for.
		podUnit map[string]string
		warning string
		err     string
	}{{
		name:    "a ReplicaSet that owns itself owns its pods, with a warning naming it",
		objs:    []runtime.Object{replicaSet("x/loop", "ReplicaSet/loop"), ownedPod("x/loop-1", "app=loop", "10.0.0.9", "ReplicaSet", "loop")},
		units:   []string{"ReplicaSet/loop"},
		podUnit: map[string]string{"loop-1": "ReplicaSet/loop"},
		warning: "owner references form a cycle (replicaset x/loop -> replicaset x/loop)",
	}, {
		name:    "two workloads owning each other without pods both stay",
		objs:    []runtime.Object{replicaSet("x/a", "ReplicaSet/b"), replicaSet("x/b", "ReplicaSet/a")},
		units:   []string{"ReplicaSet/a", "ReplicaSet/b"},
		warning: "owner references form a cycle (replicaset x/a -> replicaset x/b -> replicaset x/a)",
	}, {
		name: "pods of a workload whose owners run into a cycle count for that workload",
		objs: []runtime.Object{
			replicaSet("x/front", "ReplicaSet/a"), replicaSet("x/a", "ReplicaSet/b"), replicaSet("x/b", "ReplicaSet/a"),
			ownedPod("x/front-1", "app=front", "10.0.0.9", "ReplicaSet", "front"),
		},
		units:   []string{"ReplicaSet/a", "ReplicaSet/b", "ReplicaSet/front"},
		podUnit: map[string]string{"front-1": "ReplicaSet/front"},
		warning: "owner references form a cycle (replicaset x/a -> replicaset x/b -> replicaset x/a)",
	}, {
		name:    "a ReplicaSet owned by a Deployment counts for the Deployment",
		objs:    []runtime.Object{deployment("x/web", "app=web"), replicaSet("x/web-1", "Deployment/web"), ownedPod("x/web-1-a", "app=web", "10.0.0.9", "ReplicaSet", "web-1")},
		units:   []string{"Deployment/web"},
		podUnit: map[string]string{"web-1-a": "Deployment/web"},
	}, {
		name:    "a mirror pod owned by its node is a pod of its own",
		objs:    []runtime.Object{ownedPod("x/etcd-node1", "app=etcd", "10.0.0.9", "Node", "node1"), ownedPod("x/proxy-node1", "app=proxy", "10.0.0.8", "Node", "node1")},
		podUnit: map[string]string{"etcd-node1": "", "proxy-node1": ""},
	}, {
		name: "an owner reference without kind is an error naming the field",
		objs: []runtime.Object{ownedPod("x/p", "app=p", "10.0.0.9", "", "rs")},
		err:  "pod x/p: metadata.ownerReferences[0].kind: Required value",
	}, {
		name: "a workload's owner reference without name is an error naming the field",
		objs: []runtime.Object{replicaSet("x/r", "ReplicaSet/")},
		err:  "replicaset x/r: metadata.ownerReferences[0].name: Required value",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append([]runtime.Object{testNamespace("x", "")}, tc.objs...)
			s, err := newSnapshotWithin(t, objs)
			if tc.err != "" {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.err)) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var units []string
			for _, w := range s.Workloads("x") {
				units = append(units, w.Kind+"/"+w.Name)
			}
			if diff := cmp.Diff(tc.units, units); diff != "" {
				t.Errorf("workloads (-want +got):\n%s", diff)
			}
			got := map[string]string{}
			for _, p := range s.PodsIn("x") {
				if p.StandIn {
					continue
				}
				got[p.Name] = ""
				if p.Workload != nil {
					got[p.Name] = p.Workload.Kind + "/" + p.Workload.Name
				}
			}
			if tc.podUnit == nil {
				tc.podUnit = map[string]string{}
			}
			if diff := cmp.Diff(tc.podUnit, got); diff != "" {
				t.Errorf("pod units (-want +got):\n%s", diff)
			}
			warned := strings.Join(messages(s.Warnings), "\n")
			if tc.warning != "" && !strings.Contains(warned, tc.warning) {
				t.Errorf("warnings %q do not say %q", s.Warnings, tc.warning)
			}
			if tc.warning == "" && strings.Contains(warned, "cycle") {
				t.Errorf("unexpected cycle warning: %q", s.Warnings)
			}
		})
	}
}

func TestUnitsOfMirrorPods(t *testing.T) {
	s := testSnapshot(t, DefaultOptions(), testNamespace("x", ""),
		ownedPod("x/etcd-node1", "app=etcd", "10.0.0.9", "Node", "node1"),
		ownedPod("x/proxy-node1", "app=proxy", "10.0.0.8", "Node", "node1"))
	var names []string
	for _, u := range s.Units("x") {
		names = append(names, u.Kind+" "+u.Name)
	}
	if diff := cmp.Diff([]string{"Pod etcd-node1", "Pod proxy-node1"}, names); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
}

// TestExplainNamespaceWarnsOfCycles pins that explaining a namespace
// carries the warnings about no pod in particular, as "can" does.
func TestExplainNamespaceWarnsOfCycles(t *testing.T) {
	s := testSnapshot(t, DefaultOptions(), testNamespace("x", ""), replicaSet("x/loop", "ReplicaSet/loop"), ownedPod("x/loop-1", "app=loop", "10.0.0.9", "ReplicaSet", "loop"))
	ex, err := s.ExplainNamespace("x")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(messages(ex.Warnings), "\n"), "owner references form a cycle") {
		t.Errorf("warnings %q do not name the cycle", ex.Warnings)
	}
}
