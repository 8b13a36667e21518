package query_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

const (
	auditShop = "../testdata/audit/"
	threeTier = "../testdata/three-tier/"
	tiers     = "../testdata/tiers/"
)

// checkIDs lists the checks of findings, in order.
func checkIDs(fs []query.Finding) []string {
	ids := []string{}
	for _, f := range fs {
		ids = append(ids, f.Check)
	}
	return ids
}

func TestAuditOptions(t *testing.T) {
	shop := loadSnapshot(t, auditShop)
	all := shop.Audit(query.AuditOptions{Namespaces: []string{"shop"}}).Findings
	var high []string
	for _, f := range all {
		if f.Severity == query.High {
			high = append(high, f.Check)
		}
	}
	flannel := &query.CNI{Name: "flannel", Note: "flannel does not enforce NetworkPolicy"}
	for _, tc := range []struct {
		name string
		o    query.AuditOptions
		want []string
	}{
		{"no MinSeverity keeps every finding", query.AuditOptions{Namespaces: []string{"shop"}}, checkIDs(all)},
		{"MinSeverity low keeps every finding", query.AuditOptions{Namespaces: []string{"shop"}, MinSeverity: query.Low}, checkIDs(all)},
		{"MinSeverity high keeps only high findings", query.AuditOptions{Namespaces: []string{"shop"}, MinSeverity: query.High}, high},
		{"a plugin that enforces NetworkPolicy is no finding", query.AuditOptions{Namespaces: []string{"shop"}, CNI: &query.CNI{Name: "Calico", Enforces: true}}, checkIDs(all)},
		{"a plugin that does not enforce comes first", query.AuditOptions{Namespaces: []string{"shop"}, CNI: flannel}, append([]string{"cni-does-not-enforce"}, checkIDs(all)...)},
		{"no known plugin comes first", query.AuditOptions{Namespaces: []string{"shop"}, CNI: &query.CNI{}}, append([]string{"cni-unknown"}, checkIDs(all)...)},
		{"the plugin finding is high: MinSeverity high keeps it", query.AuditOptions{Namespaces: []string{"shop"}, MinSeverity: query.High, CNI: flannel}, append([]string{"cni-does-not-enforce"}, high...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shop.Audit(tc.o)
			if diff := cmp.Diff(tc.want, checkIDs(got.Findings)); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the plugin finding says why and how to fix it", func(t *testing.T) {
		got := shop.Audit(query.AuditOptions{Namespaces: []string{}, CNI: flannel}).Findings
		want := []query.Finding{{Severity: query.High, Check: "cni-does-not-enforce", Object: "cluster", Why: flannel.Note,
			Fix: "install a network plugin that enforces NetworkPolicy (Calico, Cilium, Antrea, ...) or enable its policy engine"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
	})
	t.Run("no namespace named audits every namespace", func(t *testing.T) {
		var want []string
		for _, ns := range shop.Namespaces() {
			want = append(want, ns.Name)
		}
		if diff := cmp.Diff(want, shop.Audit(query.AuditOptions{}).Namespaces); diff != "" {
			t.Errorf("namespaces (-want +got):\n%s", diff)
		}
	})
	t.Run("no finding left is an empty list, not none", func(t *testing.T) {
		s := loadSnapshot(t, threeTier, tiers)
		if len(s.Audit(query.AuditOptions{}).Findings) == 0 {
			t.Fatal("the fixture has no finding to drop")
		}
		got := s.Audit(query.AuditOptions{MinSeverity: query.Medium})
		if got.Findings == nil || len(got.Findings) != 0 {
			t.Errorf("findings %#v, want an empty list", got.Findings)
		}
	})
}

// clusterPolicyCorners has the cluster policy findings no testdata
// fixture gives: domain names, and a peer of a newer CRD that fails closed.
const clusterPolicyCorners = `apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec: {containers: [{name: c, image: c}]}
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: names}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  egress: [{action: Accept, to: [{domainNames: [example.com]}]}]
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: newer}
spec:
  tier: Admin
  priority: 20
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{serviceAccounts: {name: reader}}]}]
`

// ciliumCorners has a finding of each check of Cilium's policies
// (audit_cilium_test.go pins them one by one).
const ciliumCorners = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: c, ports: [{containerPort: 5432, protocol: TCP}]}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toFQDNs: [{matchPattern: "*"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  egressDeny: [{toEndpoints: [{matchLabels: {app: ghost}}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress: [{fromEntities: [world]}]
  enableDefaultDeny: {egress: false}
  egress: [{toEndpoints: [{matchLabels: {app: api}}]}]
`

// TestAuditFindingsHaveTheSeverityOfTheirCheck: the fixtures give a
// finding of every check of the table, each with the table's severity; low
// in the namespaces Kubernetes creates, and high for a stateful
// unprotected workload.
func TestAuditFindingsHaveTheSeverityOfTheirCheck(t *testing.T) {
	checks := map[string]query.AuditCheck{}
	for _, c := range query.AuditChecks() {
		checks[c.ID] = c
	}
	corners := filepath.Join(t.TempDir(), "corners.yaml")
	if err := os.WriteFile(corners, []byte(clusterPolicyCorners), 0o644); err != nil {
		t.Fatal(err)
	}
	cilium := filepath.Join(t.TempDir(), "cilium.yaml")
	if err := os.WriteFile(cilium, []byte(ciliumCorners), 0o644); err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, tc := range []struct {
		files []string
		cni   *query.CNI
	}{
		{[]string{auditShop}, &query.CNI{}},
		{[]string{threeTier, tiers}, &query.CNI{Name: "flannel"}},
		{[]string{threeTier, tiers, "../testdata/whatif/cnp-same-priority.yaml"}, nil},
		{[]string{corners}, nil},
		{[]string{cilium}, nil},
		{[]string{threeTier, "../testdata/three-tier-calico"}, nil},
	} {
		for _, f := range loadSnapshot(t, tc.files...).Audit(query.AuditOptions{CNI: tc.cni}).Findings {
			fired[f.Check] = true
			c, ok := checks[f.Check]
			switch {
			case !ok:
				t.Errorf("%v: finding %q is no check of the table", tc.files, f.Check)
			case f.Severity == c.Severity:
			case f.Severity == query.Low && inSystemNamespace(f.Object):
			case f.Severity == query.High && f.Check == "unprotected-workload":
			default:
				t.Errorf("%v: %s %s is %s, its check %s", tc.files, f.Check, f.Object, f.Severity, c.Severity)
			}
		}
	}
	for id := range checks {
		if !fired[id] {
			t.Errorf("no fixture finds %s: add one, so that its severity is pinned", id)
		}
	}
}

// inSystemNamespace tells whether a finding's object ("namespace
// kube-system", "deployment kube-system/coredns") is in a namespace
// Kubernetes creates.
func inSystemNamespace(object string) bool {
	_, key, _ := strings.Cut(object, " ")
	ns, _, _ := strings.Cut(key, "/")
	return ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease"
}
