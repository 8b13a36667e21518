package load

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadOne reads one manifest file written from doc and returns the error
// without the file's directory.
func loadOne(t *testing.T, doc string) error {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Manifests(Source{Filenames: []string{filepath.Join(dir, "m.yaml")}, Namespace: "default"}, io.Discard)
	if err != nil {
		return errorString(strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// checkRejected runs table tests of manifests the API server rejects.
func checkRejected(t *testing.T, tests []rejectTest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := loadOne(t, tc.doc)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v\nwant    %s", err, tc.wantErr)
			}
		})
	}
}

type rejectTest struct{ name, doc, wantErr string }

const podWithIPs = `apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod}
spec:
  containers: [{name: c, image: i}]
status:
`

// TestPodAndNodeAddressesAreValidated pins that pod and node addresses the
// API server (or the engine) would not take are errors naming the file,
// the object and the field: an IPv6 zone is in no CIDR and would slip past
// Deny rules on fe80::/10.
func TestPodAndNodeAddressesAreValidated(t *testing.T) {
	checkRejected(t, []rejectTest{
		{"a zone in podIPs", podWithIPs + `  podIP: "fe80::1%eth0"
  podIPs: [{ip: "fe80::1%eth0"}]
`, `m.yaml: pod prod/db: status.podIP: Invalid value: "fe80::1%eth0": IPv6 zones are not allowed`},
		{"a zone in podIPs alone", podWithIPs + `  podIPs: [{ip: "10.0.0.1"}, {ip: "fe80::1%eth0"}]
`, `m.yaml: pod prod/db: status.podIPs[1]: Invalid value: "fe80::1%eth0": IPv6 zones are not allowed`},
		{"an IPv4-mapped pod IP", podWithIPs + `  podIP: "::ffff:10.0.0.1"
`, `m.yaml: pod prod/db: status.podIP: Invalid value: "::ffff:10.0.0.1": must not be an IPv4-mapped IPv6 address`},
		{"podIPs[0] differs from podIP", podWithIPs + `  podIP: 10.0.0.1
  podIPs: [{ip: 10.0.0.2}]
`, `m.yaml: pod prod/db: status.podIPs[0].ip: Invalid value: "10.0.0.2": must be equal to ` + "`podIP`"},
		{"a zone in a node address", `apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  addresses: [{type: Hostname, address: n1}, {type: InternalIP, address: "fe80::1%eth0"}]
`, `m.yaml: node n1: status.addresses[1].address: Invalid value: "fe80::1%eth0": IPv6 zones are not allowed`},
	})
}

// TestPolicyCIDRsNameFileObjectAndField pins that a CIDR the API server
// rejects is an error naming the file, the object and the field.
func TestPolicyCIDRsNameFileObjectAndField(t *testing.T) {
	checkRejected(t, []rejectTest{
		{"ipBlock.cidr with host bits", `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: prod}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.1/8}}]}]
`, `m.yaml: networkpolicy prod/p: spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR "10.0.0.1/8": must not have bits set beyond the prefix length (10.0.0.0/8 or 10.0.0.1/32?)`},
		{"an IPv4-mapped network", `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: ["::ffff:1.2.3.4/128"]}]}]
`, `m.yaml: clusternetworkpolicy guard: spec.egress[0].to[0].networks[0]: "::ffff:1.2.3.4/128" is an IPv4-mapped IPv6 address, which matches no IPv4 address (write the IPv4 range)`},
	})
}
