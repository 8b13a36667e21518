package query_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// randomCiliumPolicy makes a valid CiliumNetworkPolicy (namespaced) or
// CiliumClusterwideNetworkPolicy over the three-tier shop, with every kind
// of peer the map must get right, allow and deny rules and
// enableDefaultDeny.
func randomCiliumPolicy(r *rand.Rand, name string) *unstructured.Unstructured {
	role := func() map[string]any {
		switch r.IntN(5) {
		case 0:
			return map[string]any{}
		case 1:
			return map[string]any{"matchLabels": map[string]any{"k8s:io.kubernetes.pod.namespace": pick(r, "prod", "dev", "test"), "role": pick(r, "web", "api", "db")}}
		case 2:
			return map[string]any{"matchLabels": map[string]any{"io.cilium.k8s.namespace.labels.env": pick(r, "prod", "dev")}}
		case 3:
			return map[string]any{"matchExpressions": []any{map[string]any{"key": "role", "operator": pick(r, "In", "NotIn"), "values": []any{pick(r, "web", "api", "db")}}}}
		}
		return map[string]any{"matchLabels": map[string]any{"role": pick(r, "web", "api", "db")}}
	}
	ports := func() []any {
		var ps []any
		for range 1 + r.IntN(2) {
			p := map[string]any{"port": pick(r, "80", "5000", "3306", "http", "mysql", "0")}
			if r.IntN(3) > 0 {
				p["protocol"] = pick(r, "TCP", "UDP", "ANY")
			}
			if p["port"] == "80" && r.IntN(2) == 0 {
				p["endPort"] = int64(5000)
			}
			ps = append(ps, p)
		}
		return []any{map[string]any{"ports": ps}}
	}
	rule := func(egress bool) map[string]any {
		word := "from"
		if egress {
			word = "to"
		}
		out := map[string]any{}
		switch r.IntN(6) {
		case 0:
			out[word+"Endpoints"] = []any{role()}
		case 1:
			out[word+"CIDR"] = []any{pick(r, "192.168.5.10/32", "10.0.0.0/8", "203.0.113.0/24")}
		case 2:
			out[word+"CIDRSet"] = []any{map[string]any{"cidr": "192.168.0.0/16", "except": []any{"192.168.5.0/24"}}}
		case 3:
			out[word+"Entities"] = []any{pick(r, "world", "cluster", "all")}
		case 4:
			// toPorts only: every peer
		case 5:
			out[word+"Endpoints"] = []any{role(), role()}
		}
		if r.IntN(2) == 0 || len(out) == 0 {
			out["toPorts"] = ports()
		}
		return out
	}
	spec := map[string]any{"endpointSelector": role()}
	for _, f := range []string{"ingress", "ingressDeny", "egress", "egressDeny"} {
		if r.IntN(3) == 0 {
			continue
		}
		var rules []any
		for range 1 + r.IntN(2) {
			rules = append(rules, rule(f == "egress" || f == "egressDeny"))
		}
		spec[f] = rules
	}
	if _, ok := spec["ingress"]; !ok {
		spec["ingress"] = []any{map[string]any{}}
	}
	if r.IntN(4) == 0 {
		spec["enableDefaultDeny"] = map[string]any{"ingress": r.IntN(2) == 0, "egress": r.IntN(2) == 0}
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cilium.io/v2", "metadata": map[string]any{"name": name}, "spec": spec}}
	if r.IntN(3) == 0 {
		u.SetKind("CiliumClusterwideNetworkPolicy")
	} else {
		u.SetKind("CiliumNetworkPolicy")
		u.SetNamespace(pick(r, "prod", "dev"))
	}
	return u
}

// TestGraphAgreesWithCanOnCilium is TestGraphAgreesWithCan with Cilium's
// policies beside NetworkPolicies: the class path of the map and the
// traced path of can give the same ports for every pair of workloads.
func TestGraphAgreesWithCanOnCilium(t *testing.T) {
	base := loadSnapshot(t, "../testdata/three-tier/namespaces.yaml", "../testdata/three-tier/kube-system.yaml",
		"../testdata/three-tier/app-prod.yaml", "../testdata/three-tier/app-dev.yaml", "../testdata/three-tier-cilium/")
	checkGraphAgreesWithCan(t, base)
	baseEdges := len(base.Graph(query.GraphOptions{}).Edges)
	changed := 0
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 16))
		var objs []runtime.Object
		for i := range 1 + r.IntN(4) {
			objs = append(objs, randomCiliumPolicy(r, fmt.Sprintf("random-%d", i)))
		}
		for i := range r.IntN(2) {
			objs = append(objs, randomPolicy(r, fmt.Sprintf("np-%d", i)))
		}
		next, err := base.With(objs...)
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Graph(query.GraphOptions{}).Edges) != baseEdges {
			changed++
		}
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { checkGraphAgreesWithCan(t, next) })
	}
	if changed < 20 {
		t.Errorf("only %d of 40 random clusters changed the map: the generator barely tests anything", changed)
	}
}
