package query

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestChangedRefs checks the objects diff counts as changed: those an
// overlay replaces, adds or deletes, and, between states read apart (no
// object shared), those whose contents differ, never an equal copy.
func TestChangedRefs(t *testing.T) {
	policy := testPolicies(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`)
	base := testSnapshot(t, DefaultOptions(), append(baseObjects(), policy...)...)
	copies := func(edit func(runtime.Object)) *Snapshot {
		var objs []runtime.Object
		for _, o := range base.objects {
			c := o.DeepCopyObject()
			edit(c)
			objs = append(objs, c)
		}
		return testSnapshot(t, DefaultOptions(), objs...)
	}
	relabel := func(o runtime.Object) {
		if p, ok := o.(*corev1.Pod); ok && p.Namespace == "y" && p.Name == "b" {
			p.Labels["tier"] = "db"
		}
	}
	replaced := testPolicies(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`)
	added := testPolicies(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: other, namespace: "y"}
spec: {podSelector: {}, policyTypes: [Ingress]}`)
	with := func(objs ...runtime.Object) *Snapshot {
		s, err := base.With(objs...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	without := func(refs ...ObjectRef) *Snapshot {
		s, err := base.Without(refs...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	deny := ObjectRef{Kind: "NetworkPolicy", Namespace: "x", Name: "deny"}
	for _, tc := range []struct {
		name string
		next *Snapshot
		want []ObjectRef
	}{
		{"the same state", base, nil},
		{"an equal copy read apart", copies(func(runtime.Object) {}), nil},
		{"a copy with a relabelled pod", copies(relabel), []ObjectRef{{Kind: "Pod", Namespace: "y", Name: "b"}}},
		{"a policy replaced", with(replaced...), []ObjectRef{deny}},
		{"a policy replaced by an equal one", with(policy[0].DeepCopyObject()), nil},
		{"a policy added", with(added...), []ObjectRef{{Kind: "NetworkPolicy", Namespace: "y", Name: "other"}}},
		{"a policy deleted", without(deny), []ObjectRef{deny}},
	} {
		got := changedRefs(base, tc.next)
		slices.SortFunc(got, func(a, b ObjectRef) int { return compareRefs(a, b) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: changed %v, want %v", tc.name, got, tc.want)
		}
	}
}

func compareRefs(a, b ObjectRef) int {
	for _, c := range [][2]string{{a.Kind, b.Kind}, {a.Namespace, b.Namespace}, {a.Name, b.Name}} {
		if c[0] != c[1] {
			if c[0] < c[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}
