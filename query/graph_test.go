package query_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// checkGraphAgreesWithCan compares every edge of the map, and every
// missing edge, with "can" asked for that pair of workloads.
func checkGraphAgreesWithCan(t *testing.T, s *query.Snapshot) {
	t.Helper()
	edges := map[string]query.PortSet{}
	ambiguous := map[string]query.PortSet{}
	for _, e := range s.Graph(query.GraphOptions{}).Edges {
		edges[e.From+" -> "+e.To] = *e.Ports
		if e.Ambiguous != nil {
			ambiguous[e.From+" -> "+e.To] = *e.Ambiguous
		}
	}
	units := s.Units("")
	for _, a := range units {
		for _, b := range units {
			if a == b && len(a.Pods) < 2 {
				continue
			}
			want, wantAmb := canAnswer(t, s, endpointOf(a.String()), endpointOf(b.String()))
			got := edges[a.String()+" -> "+b.String()]
			if !got.Equal(want) {
				t.Errorf("%s -> %s: map says %s, can says %s", a, b, got, want)
			}
			if gotAmb := ambiguous[a.String()+" -> "+b.String()]; !gotAmb.Equal(wantAmb) {
				t.Errorf("%s -> %s: map marks %s ambiguous, can says %s", a, b, gotAmb, wantAmb)
			}
		}
	}
}

func TestGraphAgreesWithCan(t *testing.T) {
	base := loadSnapshot(t, "../testdata/three-tier/")
	checkGraphAgreesWithCan(t, base)
	checkGraphAgreesWithCan(t, loadSnapshot(t, "../testdata/whatif/shop/", "../testdata/whatif/db-loose.yaml"))
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 11))
		var objs []runtime.Object
		for i := range 1 + r.IntN(4) {
			objs = append(objs, randomPolicy(r, fmt.Sprintf("random-%d", i)))
		}
		if r.IntN(2) == 0 {
			objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pick(r, "dev", "test", "prod"), Labels: map[string]string{"env": pick(r, "prod", "dev")}}})
		}
		for i := range r.IntN(4) {
			objs = append(objs, randomClusterPolicy(r, fmt.Sprintf("cnp-%d", i)))
		}
		next, err := base.With(objs...)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { checkGraphAgreesWithCan(t, next) })
	}
}

// TestGraphMarksAmbiguityAsCanDoes pins that map marks an edge ambiguous on
// exactly the ports "can" answers AMBIGUOUS on, with cluster policies made
// to share their priorities.
func TestGraphMarksAmbiguityAsCanDoes(t *testing.T) {
	base := loadSnapshot(t, "../testdata/three-tier/")
	marked := 0
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 12))
		var objs []runtime.Object
		for i := range 2 + r.IntN(3) {
			c := randomClusterPolicy(r, fmt.Sprintf("cnp-%d", i))
			c.Spec.Priority = int32(r.IntN(2))
			objs = append(objs, c)
		}
		next, err := base.With(objs...)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range next.Graph(query.GraphOptions{}).Edges {
			if e.Ambiguous != nil {
				marked++
			}
		}
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { checkGraphAgreesWithCan(t, next) })
	}
	if marked == 0 {
		t.Fatal("no seed gave an ambiguous edge: the test checks nothing")
	}
}
