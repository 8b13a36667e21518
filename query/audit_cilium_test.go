package query

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// dbPod is x/db (app=db), which declares PostgreSQL's port.
func dbPod() *corev1.Pod {
	p := testPod("x/db", "app=db", "10.0.0.9")
	p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{Name: "pg", ContainerPort: 5432, Protocol: corev1.ProtocolTCP})
	return p
}

// ciliumAuditChecks are the checks TestAuditCilium looks at: Cilium's, and
// the two NetworkPolicy checks that leave Cilium policies to them.
var ciliumAuditChecks = []string{checkCiliumDenyMatchesNothing, checkCiliumFQDNWithoutDNSRule, checkCiliumAllowWithoutDefaultDeny,
	checkCiliumDatabaseOpenToWorld, checkCiliumUnrestrictedEgress, checkDatabaseOpenToAll, checkUnrestrictedEgress}

// ciliumDNSPolicy gives every endpoint of x DNS visibility, as Cilium's
// documentation writes it.
const ciliumDNSPolicy = `
kind: CiliumNetworkPolicy
metadata: {name: dns}
spec:
  endpointSelector: {}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]`

// TestAuditCilium pins the audit checks of CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy (AUD-12 to AUD-16), each finding as
// "check object field", in namespace x of baseObjects with x/db, a
// PostgreSQL pod.
func TestAuditCilium(t *testing.T) {
	for _, tc := range []struct {
		name    string
		objects string
		want    []string
	}{
		// cilium-deny-matches-nothing
		{
			name: "a deny rule whose endpoints match no pod denies nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: ghost}}, {matchLabels: {app: b, k8s:io.kubernetes.pod.namespace: z}}]}]`,
			want: []string{"cilium-deny-matches-nothing ciliumnetworkpolicy x/p spec.ingressDeny[0]"},
		},
		{
			name: "a deny rule with one peer that matches a pod is no finding",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: ghost}}, {matchLabels: {app: b}}]}]`,
		},
		{
			name: "deny rules of CIDRs, entities, reserved labels or every peer may match: no finding",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingressDeny:
  - fromEntities: [world]
  - fromEndpoints: [{matchLabels: {reserved:host: ""}}]
  - toPorts: [{ports: [{port: "22", protocol: TCP}]}]
  egressDeny: [{toCIDR: [203.0.113.0/24]}]`,
		},
		{
			name: "entity none, an empty list of peers and a deny rule's toServices deny nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingressDeny:
  - fromEntities: [none]
  - fromEndpoints: []
    toPorts: [{ports: [{port: "22", protocol: TCP}]}]
  egressDeny:
  - toServices: [{k8sService: {serviceName: b, namespace: "y"}}]`,
			want: []string{
				"cilium-deny-matches-nothing ciliumnetworkpolicy x/p spec.egressDeny[0]",
				"cilium-deny-matches-nothing ciliumnetworkpolicy x/p spec.ingressDeny[0]",
				"cilium-deny-matches-nothing ciliumnetworkpolicy x/p spec.ingressDeny[1]",
			},
		},
		{
			name: "a CiliumCIDRGroup selector that matches no group read denies nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egressDeny: [{toCIDRSet: [{cidrGroupSelector: {matchLabels: {blocked: "true"}}}]}]`,
			want: []string{"cilium-deny-matches-nothing ciliumnetworkpolicy x/p spec.egressDeny[0]"},
		},
		{
			name: "a cluster-wide policy is audited with the namespaces whose pods it selects",
			objects: `
kind: CiliumClusterwideNetworkPolicy
metadata: {name: guard}
spec:
  endpointSelector: {}
  enableDefaultDeny: {egress: false}
  egressDeny: [{toEndpoints: [{matchLabels: {app: ghost}}]}]
---
kind: CiliumClusterwideNetworkPolicy
metadata: {name: elsewhere}
spec:
  endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: "y"}}
  egressDeny: [{toEndpoints: [{matchLabels: {app: ghost}}]}]`,
			want: []string{"cilium-deny-matches-nothing ciliumclusterwidenetworkpolicy guard spec.egressDeny[0]"},
		},
		// cilium-fqdn-without-dns-rule
		{
			name: "toFQDNs on endpoints without a DNS rule allows nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toFQDNs: [{matchName: api.example.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]`,
			want: []string{"cilium-fqdn-without-dns-rule ciliumnetworkpolicy x/p spec.egress[0]"},
		},
		{
			name: "a DNS rule on port 53 in any policy selecting the endpoints gives toFQDNs its addresses",
			objects: ciliumDNSPolicy + `
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toFQDNs: [{matchPattern: "*.example.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]`,
		},
		{
			name: "DNS allowed without rules.dns, or DNS rules on another port or for other endpoints, leave toFQDNs blind",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toFQDNs: [{matchName: api.example.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts: [{ports: [{port: "53", protocol: UDP}]}]
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts: [{ports: [{port: "5353", protocol: UDP}], rules: {dns: [{matchPattern: "*"}]}}]
---
kind: CiliumNetworkPolicy
metadata: {name: dns-b}
spec:
  endpointSelector: {matchLabels: {app: b}}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts: [{ports: [{port: "53", protocol: UDP}], rules: {dns: [{matchPattern: "*"}]}}]`,
			want: []string{"cilium-fqdn-without-dns-rule ciliumnetworkpolicy x/p spec.egress[0]"},
		},
		// cilium-allow-without-default-deny
		{
			name: "allow rules under enableDefaultDeny false on pods nothing isolates have no effect",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: open}
spec:
  endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {ingress: false}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]`,
			want: []string{"cilium-allow-without-default-deny ciliumnetworkpolicy x/open spec.enableDefaultDeny.ingress"},
		},
		{
			name: "another policy that isolates the pods gives the allow rules effect",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: open}
spec:
  endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {ingress: false}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]
---
kind: NetworkPolicy
metadata: {name: deny-in}
spec: {podSelector: {}, policyTypes: [Ingress]}`,
		},
		{
			name: "enableDefaultDeny false over deny rules only is what it is for: no finding",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: guard}
spec:
  endpointSelector: {}
  enableDefaultDeny: {egress: false}
  egressDeny: [{toCIDR: [169.254.169.254/32]}]`,
		},
		{
			name: "the field names the spec of specs and the direction",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
specs:
- endpointSelector: {matchLabels: {app: b}}
  ingress: [{}]
- endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {egress: false}
  egress: [{toEndpoints: [{matchLabels: {app: b}}]}]`,
			want: []string{"cilium-allow-without-default-deny ciliumnetworkpolicy x/p specs[1].enableDefaultDeny.egress"},
		},
		// cilium-database-open-to-world
		{
			name: "entity world, entity all, a CIDR of every address and a toPorts-only rule open a database",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: db}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEntities: [world]
    toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
  - fromEntities: [cluster, all]
  - fromCIDR: [0.0.0.0/0]
  - toPorts: [{ports: [{port: "5432", protocol: TCP}]}]`,
			want: []string{
				"cilium-database-open-to-world ciliumnetworkpolicy x/db spec.ingress[0].fromEntities[0]",
				"cilium-database-open-to-world ciliumnetworkpolicy x/db spec.ingress[1].fromEntities[1]",
				"cilium-database-open-to-world ciliumnetworkpolicy x/db spec.ingress[2].fromCIDR[0]",
				"cilium-database-open-to-world ciliumnetworkpolicy x/db spec.ingress[3]",
			},
		},
		{
			name: "another port, named clients, a CIDR with except, mutual authentication, a deny rule or a pod that is no database: no finding",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: db}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEntities: [world]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {app: a}}]
  - fromCIDRSet: [{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}]
  - fromEntities: [world]
    authentication: {mode: required}
  ingressDeny:
  - toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
---
kind: CiliumNetworkPolicy
metadata: {name: web}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEntities: [world]}]`,
		},
		{
			name: "allow rules that do not isolate the database are left to cilium-allow-without-default-deny",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: db}
spec:
  endpointSelector: {matchLabels: {app: db}}
  enableDefaultDeny: {ingress: false}
  ingress: [{fromEntities: [world]}]
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}]}]`,
			want: []string{"cilium-allow-without-default-deny ciliumnetworkpolicy x/db spec.enableDefaultDeny.ingress"},
		},
		// cilium-unrestricted-egress
		{
			name: "toEntities world, a CIDR of every address, toFQDNs matchPattern * and a toPorts-only rule open egress",
			objects: ciliumDNSPolicy + `
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toEntities: [world]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toCIDRSet: [{cidr: "::/0"}]
  - toFQDNs: [{matchName: api.example.com}, {matchPattern: "*"}]
  - toPorts: [{ports: [{port: "8443", protocol: TCP}]}]`,
			want: []string{
				"cilium-unrestricted-egress ciliumnetworkpolicy x/p spec.egress[0].toEntities[0]",
				"cilium-unrestricted-egress ciliumnetworkpolicy x/p spec.egress[1].toCIDRSet[0]",
				"cilium-unrestricted-egress ciliumnetworkpolicy x/p spec.egress[2].toFQDNs[1]",
				"cilium-unrestricted-egress ciliumnetworkpolicy x/p spec.egress[3]",
			},
		},
		{
			name: "egress deny rules, named destinations and policies that select nothing: no finding",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {egress: false}
  egressDeny:
  - toEntities: [world]
  - toPorts: [{ports: [{port: "25", protocol: TCP}]}]
---
kind: CiliumNetworkPolicy
metadata: {name: named}
spec:
  endpointSelector: {matchLabels: {app: b}}
  egress: [{toCIDR: [192.0.2.0/24]}, {toEntities: [cluster]}]
---
kind: CiliumNetworkPolicy
metadata: {name: nothing}
spec:
  endpointSelector: {matchLabels: {app: ghost}}
  egress: [{toEntities: [world]}, {toPorts: [{ports: [{port: "443", protocol: TCP}]}]}]`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), dbPod())
			objs = append(objs, ciliumObjects(t, tc.objects)...)
			got := ciliumFindings(testSnapshot(t, DefaultOptions(), objs...), "x")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// ciliumFindings are the findings of ciliumAuditChecks in namespace ns, as
// "check object field".
func ciliumFindings(s *Snapshot, ns string) []string {
	var out []string
	for _, f := range s.Audit(AuditOptions{Namespaces: []string{ns}}).Findings {
		for _, c := range ciliumAuditChecks {
			if f.Check == c {
				out = append(out, strings.Join([]string{f.Check, f.Object, f.Field}, " "))
			}
		}
	}
	return out
}

// TestAuditCiliumFindingsSayWhyAndHow pins what the findings say: the
// policy by its key and the rule by its path, the pods concerned, and a
// fix.
func TestAuditCiliumFindingsSayWhyAndHow(t *testing.T) {
	objs := append(baseObjects(), dbPod())
	objs = append(objs, ciliumObjects(t, `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]
  egress:
  - toFQDNs: [{matchName: api.example.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  egressDeny: [{toEndpoints: [{matchLabels: {app: ghost}}]}]
---
kind: CiliumNetworkPolicy
metadata: {name: db}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress: [{fromEntities: [world]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	got := map[string]Finding{}
	for _, f := range s.Audit(AuditOptions{Namespaces: []string{"x"}}).Findings {
		if strings.HasPrefix(f.Check, "cilium-") {
			got[f.Check] = f
		}
	}
	want := map[string]Finding{
		checkCiliumDenyMatchesNothing: {Severity: Low, Check: checkCiliumDenyMatchesNothing, Object: "ciliumnetworkpolicy x/p", Field: "spec.egressDeny[0]",
			Why: "CiliumNetworkPolicy/x/p spec.egressDeny[0]: no pod's identity and no address matches endpoints {any:app=ghost,k8s:io.kubernetes.pod.namespace=x}, so this deny rule denies nothing today (a typo in a label?)",
			Fix: "name peers that exist (pods' labels as their Cilium identities carry them, with k8s:io.kubernetes.pod.namespace for another namespace), or remove the rule"},
		checkCiliumFQDNWithoutDNSRule: {Severity: Medium, Check: checkCiliumFQDNWithoutDNSRule, Object: "ciliumnetworkpolicy x/p", Field: "spec.egress[0]",
			Why: "CiliumNetworkPolicy/x/p spec.egress[0]: no policy gives pod x/a, pod x/b, pod x/db an egress allow rule with DNS rules (toPorts rules.dns) on port 53, so Cilium's DNS proxy never sees the lookups and this toFQDNs rule allows no address",
			Fix: `add to spec.egress of CiliumNetworkPolicy/x/p:
- toEndpoints:
  - matchLabels:
      k8s:io.kubernetes.pod.namespace: kube-system
      k8s:k8s-app: kube-dns
  toPorts:
  - ports:
    - {port: "53", protocol: ANY}
    rules:
      dns:
      - matchPattern: "*"`},
		checkCiliumAllowWithoutDefaultDeny: {Severity: Medium, Check: checkCiliumAllowWithoutDefaultDeny, Object: "ciliumnetworkpolicy x/p", Field: "spec.enableDefaultDeny.ingress",
			Why: "CiliumNetworkPolicy/x/p spec.enableDefaultDeny.ingress is false and no policy puts pod x/a, pod x/b in default deny for ingress: the allow rules spec.ingress[0] have no effect, these pods stay open",
			Fix: "remove spec.enableDefaultDeny.ingress: false so that the allow rules are an allow list, or add a policy that isolates these pods; keep false only for policies of deny rules"},
		checkCiliumDatabaseOpenToWorld: {Severity: High, Check: checkCiliumDatabaseOpenToWorld, Object: "ciliumnetworkpolicy x/db", Field: "spec.ingress[0].fromEntities[0]",
			Why: "CiliumNetworkPolicy/x/db spec.ingress[0].fromEntities[0]: entity world is every address outside the cluster, and may reach pod x/db (PostgreSQL on 5432)",
			Fix: "list the clients in fromEndpoints (with k8s:io.kubernetes.pod.namespace for another namespace), or the addresses that need it in fromCIDRSet"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestAuditCiliumDatabaseInSystemNamespace: as database-open-to-all, a
// database open to the world in a namespace Kubernetes creates is low.
func TestAuditCiliumDatabaseInSystemNamespace(t *testing.T) {
	db := dbPod()
	db.Namespace = "kube-system"
	objs := append(baseObjects(), testNamespace("kube-system", ""), db)
	objs = append(objs, ciliumObjects(t, `
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: kube-system}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress: [{fromEntities: [world]}]`)...)
	var got []string
	for _, f := range testSnapshot(t, DefaultOptions(), objs...).Audit(AuditOptions{Namespaces: []string{"kube-system"}}).Findings {
		if f.Check == checkCiliumDatabaseOpenToWorld {
			got = append(got, string(f.Severity)+" "+f.Object+" "+f.Field)
		}
	}
	want := []string{"low ciliumnetworkpolicy kube-system/db spec.ingress[0].fromEntities[0]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
