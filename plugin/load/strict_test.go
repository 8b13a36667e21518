package load

import (
	"fmt"
	"testing"
)

// cnpTmpl is a ClusterNetworkPolicy of API version %[1]s protecting prod/db,
// whose %[2]s is one ingress rule's peer list and %[3]s its protocols.
const cnpTmpl = `apiVersion: policy.networking.k8s.io/%[1]s
kind: ClusterNetworkPolicy
metadata: {name: db}
spec:
  tier: Admin
  priority: 10
  subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: prod}}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - action: Accept
    from: %[2]s
    protocols: %[3]s
`

// anpTmpl is the same as an AdminNetworkPolicy, %[1]s its peers and %[2]s its
// ports.
const anpTmpl = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: db}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: prod}}}
  ingress:
  - action: Allow
    from: %[1]s
    ports: %[2]s
`

const tcp5432 = "[{tcp: {destinationPort: {number: 5432}}}]"

func TestUnknownFieldsOfClusterPolicies(t *testing.T) {
	runLoadCases(t, []loadCase{
		{
			name: "a newer CRD's status field changes no verdict and is read past",
			manifest: `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: s}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
status: {conditions: [], observedTiers: 2}
`,
		},
		{
			name:     "a misspelt field of a namespaces selector is an error, not every namespace",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {matchLabel: {team: a}}}]", tcp5432),
			wantErr:  []string{"clusternetworkpolicy db", `spec.ingress[0].from[0].namespaces: unknown field "matchLabel" in a label selector (it has only matchLabels, matchExpressions)`},
		},
		{
			name:     "sameLabels, removed in v0.1.2, in an AdminNetworkPolicy is an error",
			manifest: fmt.Sprintf(anpTmpl, "[{namespaces: {sameLabels: [team]}}]", "[{portNumber: {protocol: TCP, port: 5432}}]"),
			wantErr:  []string{"adminnetworkpolicy db", `spec.ingress[0].from[0].namespaces: unknown field "sameLabels" in a label selector`},
		},
		{
			name:     "an unknown field of a v1alpha2 pods.namespaceSelector is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1alpha2", "[{pods: {namespaceSelector: {matchLabel: {team: a}}, podSelector: {}}}]", tcp5432),
			wantErr:  []string{`spec.ingress[0].from[0].pods.namespaceSelector: unknown field "matchLabel" in a label selector`},
		},
		{
			name:     "an unknown field of a pods.podSelector is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{pods: {namespaceSelector: {}, podSelector: {matchLabel: {app: a}}}}]", tcp5432),
			wantErr:  []string{`spec.ingress[0].from[0].pods.podSelector: unknown field "matchLabel" in a label selector`},
		},
		{
			name: "an unknown field of the subject's selector is an error",
			manifest: `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: s}
spec: {tier: Admin, priority: 1, subject: {namespaces: {matchLabel: {team: a}}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
`,
			wantErr: []string{`spec.subject.namespaces: unknown field "matchLabel" in a label selector`},
		},
		{
			name:     "an unknown field of a selector requirement is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {matchExpressions: [{key: team, operator: Exists, negate: true}]}}]", tcp5432),
			wantErr:  []string{`spec.ingress[0].from[0].namespaces.matchExpressions[0]: unknown field "negate" in a label selector requirement (it has only key, operator, values)`},
		},
		{
			name: "an unknown field of a nodes selector is an error",
			manifest: `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: to-nodes}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Accept, to: [{nodes: {matchLabel: {role: x}}}]}]}
`,
			wantErr: []string{`spec.egress[0].to[0].nodes: unknown field "matchLabel" in a label selector`},
		},
		{
			name:     "an unknown field of a BaselineAdminNetworkPolicy egress selector is an error",
			manifest: "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {namespaces: {}}, egress: [{action: Allow, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabel: {a: b}}}}]}]}\n",
			wantErr:  []string{"baselineadminnetworkpolicy default", `spec.egress[0].to[0].pods.podSelector: unknown field "matchLabel" in a label selector`},
		},
		{
			name:     "an unknown field at spec level is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {}}]", tcp5432) + "  enforcement: Audit\n",
			wantErr:  []string{`unknown field "spec.enforcement" in spec`},
		},
		{
			name:     "an unknown field of a rule is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {}}]", tcp5432) + "    except: [{namespaces: {}}]\n",
			wantErr:  []string{`unknown field "spec.ingress[0].except" in spec.ingress[0]`},
		},
		{
			name:     "an unknown field inside a protocol's port is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {}}]", "[{tcp: {destinationPort: {number: 5432}, sourcePort: {number: 1}}}]"),
			wantErr:  []string{`unknown field "spec.ingress[0].protocols[0].tcp.sourcePort" in spec.ingress[0].protocols[0].tcp`},
		},
		{
			name:     "a duplicate field of a cluster policy is an error",
			manifest: `{"apiVersion":"policy.networking.k8s.io/v1beta1","kind":"ClusterNetworkPolicy","metadata":{"name":"d"},"spec":{"tier":"Admin","priority":1,"priority":2,"subject":{"namespaces":{}},"ingress":[{"action":"Deny","from":[{"namespaces":{}}]}]}}`,
			wantErr:  []string{`duplicate field "spec.priority"`},
		},
		{
			name:     "a peer holding only an unknown field fails closed with a warning",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{serviceAccounts: {name: a}}]", tcp5432),
			wantWarn: []string{`clusternetworkpolicy db: spec.ingress[0].from[0]: unknown field "serviceAccounts" (a newer CRD?)`, "fails closed"},
		},
		{
			name:     "a protocol entry holding only an unknown field fails closed with a warning",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {}}]", "[{icmp: {type: 8}}]"),
			wantWarn: []string{`spec.ingress[0].protocols[0]: unknown field "icmp"`},
		},
		{
			name:     "a port entry of an AdminNetworkPolicy with an unknown field only fails closed",
			manifest: fmt.Sprintf(anpTmpl, "[{namespaces: {}}]", "[{portSet: [1, 2]}]"),
			wantWarn: []string{`spec.ingress[0].ports[0]: unknown field "portSet"`},
		},
		{
			name:     "a peer with an unknown field beside a known one is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {}, serviceAccounts: {name: a}}]", tcp5432),
			wantErr:  []string{`spec.ingress[0].from[0]: has a field this tool does not know ("serviceAccounts") beside namespaces`},
		},
		{
			name:     "a protocol entry with an unknown field beside a known one is an error",
			manifest: fmt.Sprintf(cnpTmpl, "v1beta1", "[{namespaces: {}}]", "[{tcp: {destinationPort: {number: 5432}}, icmp: {type: 8}}]"),
			wantErr:  []string{`spec.ingress[0].protocols[0]: has a field this tool does not know ("icmp") beside tcp`},
		},
		{
			name:     "an AdminNetworkPolicy egress peer with an unknown field beside a known one is an error",
			manifest: "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: e}\nspec: {priority: 1, subject: {namespaces: {}}, egress: [{action: Allow, to: [{networks: [10.0.0.0/8], fqdn: x}]}]}\n",
			wantErr:  []string{`spec.egress[0].to[0]: has a field this tool does not know ("fqdn") beside networks`},
		},
	})
}
