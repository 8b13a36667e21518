package query_test

import (
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestDNSWithoutDNSPods pins that an application's manifests without the
// cluster DNS still get the DNS check: audit and diff judge against a
// standard kube-dns pod in kube-system and say so, instead of skipping.
func TestDNSWithoutDNSPods(t *testing.T) {
	app := []string{"../testdata/three-tier/namespaces.yaml", "../testdata/three-tier/app-prod.yaml"}
	base := loadSnapshot(t, app...)
	// web may reach the API and nothing else: DNS is forgotten.
	objs := loadObjects(t, "../testdata/three-tier/policies-prod.yaml")
	var web *networkingv1.NetworkPolicy
	for _, o := range objs {
		if np, ok := o.(*networkingv1.NetworkPolicy); ok && np.Name == "web" {
			web = np
		}
	}
	next, err := base.With(web)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("audit reports egress that blocks DNS, saying what it judged against", func(t *testing.T) {
		var found *query.Finding
		for _, f := range next.Audit(query.AuditOptions{Namespaces: []string{"prod"}}).Findings {
			if f.Check == "egress-blocks-dns" && f.Object == "deployment prod/web" {
				found = &f
			}
		}
		if found == nil {
			t.Fatal("no egress-blocks-dns finding for deployment prod/web")
		}
		if !strings.Contains(found.Why, "the input has no cluster DNS pods") {
			t.Errorf("finding does not say it judged against a standard DNS: %q", found.Why)
		}
	})
	t.Run("diff names the DNS flows a change breaks", func(t *testing.T) {
		res := query.Diff(base, next)
		var dns *query.Change
		for i, c := range res.Changes {
			if c.Source == "deployment prod/web" && c.Destination == "pod kube-system/cluster-dns" {
				dns = &res.Changes[i]
			}
		}
		if dns == nil || !dns.NowDenied.Contains("UDP", 53) {
			t.Fatalf("no change web -> DNS newly denied on UDP 53 in %+v", res.Changes)
		}
		if !slices.ContainsFunc(res.Warnings, func(w query.Warning) bool {
			return w.Kind == query.WarnStandardDNS && strings.Contains(w.Message, "the input has no cluster DNS pods")
		}) {
			t.Errorf("warnings %q do not say DNS was assumed", res.Warnings)
		}
	})
	t.Run("with DNS pods in the input nothing is assumed", func(t *testing.T) {
		withDNS := loadSnapshot(t, append(app, "../testdata/three-tier/kube-system.yaml")...)
		next, err := withDNS.With(web)
		if err != nil {
			t.Fatal(err)
		}
		res := query.Diff(withDNS, next)
		for _, c := range res.Changes {
			if strings.Contains(c.Destination, "cluster-dns") {
				t.Errorf("stand-in DNS used although the input has DNS pods: %+v", c)
			}
		}
		if len(res.Warnings) > 0 {
			t.Errorf("warnings %q", res.Warnings)
		}
	})
}
