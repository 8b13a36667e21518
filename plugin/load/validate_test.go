package load

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
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

// pod is a Pod manifest in prod whose containers are given as YAML.
func pod(name, containers string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: prod}\nspec:\n  containers:\n" + containers
}

// TestPodsAreValidatedAsTheAPIServerDoes pins that pods the API server
// would refuse are errors naming the file, the object and the field, in
// the API server's words, rather than verdicts.
func TestPodsAreValidatedAsTheAPIServerDoes(t *testing.T) {
	const web = "  - {name: web, image: i, ports: [{containerPort: 80}, "
	checkRejected(t, []rejectTest{
		{"containerPort above 65535", pod("db", web+"{containerPort: 70000}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"negative containerPort", pod("db", web+"{containerPort: -5}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].containerPort: Invalid value: -5: must be between 1 and 65535, inclusive`},
		{"containerPort 0", pod("db", web+"{containerPort: 0, name: x}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].containerPort: Required value`},
		{"hostPort above 65535", pod("db", web+"{containerPort: 81, hostPort: 65536}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].hostPort: Invalid value: 65536: must be between 1 and 65535, inclusive`},
		{"protocol in lower case", pod("db", web+"{containerPort: 53, protocol: udp}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].protocol: Unsupported value: "udp": supported values: "SCTP", "TCP", "UDP"`},
		{"port name that is no IANA service name", pod("db", web+"{containerPort: 81, name: HTTP_2}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].name: Invalid value: "HTTP_2": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
		{"port name longer than 15", pod("db", web+"{containerPort: 81, name: a-very-long-port-name}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters`},
		{"duplicate port name in a container", pod("db", "  - {name: web, image: i, ports: [{containerPort: 80, name: http}, {containerPort: 8080, name: http}]}\n"),
			`m.yaml: pod prod/db: spec.containers[0].ports[1].name: Duplicate value: "http"`},
		{"init container ports", pod("db", web+"{containerPort: 81}]}\n  initContainers:\n  - {name: proxy, image: i, restartPolicy: Always, ports: [{containerPort: 0}]}\n"),
			`m.yaml: pod prod/db: spec.initContainers[0].ports[0].containerPort: Required value`},
		{"name with a NUL", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db\u0000x", "namespace": "prod"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}`,
			`m.yaml: pod prod/"db\x00x": metadata.name: Invalid value: "db\x00x": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"name with an escape", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db\u001b[31m", "namespace": "prod"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}`,
			`m.yaml: pod prod/"db\x1b[31m": metadata.name: Invalid value: "db\x1b[31m": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"name with HTML", pod(`"<b>db</b>"`, "  - {name: c, image: i}\n"),
			`m.yaml: pod prod/<b>db</b>: metadata.name: Invalid value: "<b>db</b>": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"namespace that is no DNS label", "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: Prod}\nspec: {containers: [{name: c, image: i}]}\n",
			`m.yaml: pod Prod/db: metadata.namespace: Invalid value: "Prod": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"label value with HTML", "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: prod, labels: {app: db, tier: \"<b>\"}}\nspec: {containers: [{name: c, image: i}]}\n",
			`m.yaml: pod prod/db: metadata.labels: Invalid value: "<b>": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		{"label key with a space, first of two bad labels", "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: prod, labels: {\"z\": \"-\", \"a b\": x}}\nspec: {containers: [{name: c, image: i}]}\n",
			`m.yaml: pod prod/db: metadata.labels: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
	})
}

// TestPodTemplatesAreValidated pins that the pod templates of every
// workload kind are checked like pods, with their own field paths.
func TestPodTemplatesAreValidated(t *testing.T) {
	const spec = "{metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 70000}]}]}}"
	const msg = "ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
	var tests []rejectTest
	for _, w := range []struct{ apiVersion, kind string }{
		{"apps/v1", "Deployment"}, {"apps/v1", "StatefulSet"}, {"apps/v1", "DaemonSet"}, {"apps/v1", "ReplicaSet"},
		{"v1", "ReplicationController"}, {"batch/v1", "Job"},
	} {
		tests = append(tests, rejectTest{w.kind,
			"apiVersion: " + w.apiVersion + "\nkind: " + w.kind + "\nmetadata: {name: w, namespace: prod}\nspec: {template: " + spec + "}\n",
			"m.yaml: " + strings.ToLower(w.kind) + " prod/w: spec.template.spec.containers[0]." + msg})
	}
	tests = append(tests,
		rejectTest{"CronJob", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: w, namespace: prod}\nspec: {schedule: '* * * * *', jobTemplate: {spec: {template: " + spec + "}}}\n",
			"m.yaml: cronjob prod/w: spec.jobTemplate.spec.template.spec.containers[0]." + msg},
		rejectTest{"template labels", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: prod}\nspec: {template: {metadata: {labels: {app: \"a b\"}}, spec: {containers: [{name: c, image: i}]}}}\n",
			`m.yaml: deployment prod/w: spec.template.metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
	)
	checkRejected(t, tests)
}

// TestDuplicatePortNamesAcrossContainersWarn pins the API server's answer
// to a port name two containers of a pod share: accepted, with a warning,
// when services or policies can reach both (containers and sidecars).
func TestDuplicatePortNamesAcrossContainersWarn(t *testing.T) {
	const a = "  - {name: a, image: i, ports: [{containerPort: 80, name: http}]}\n"
	tests := []struct{ name, doc, want string }{
		{"two containers", pod("db", a+"  - {name: b, image: i, ports: [{containerPort: 8080, name: http}]}\n"),
			`spec.containers[1].ports[0]: duplicate port name "http" with spec.containers[0].ports[0]: services sending to the name use spec.containers[0].ports[0], policy rules naming it open both ports`},
		{"a container and a sidecar", pod("db", a+"  initContainers: [{name: b, image: i, restartPolicy: Always, ports: [{containerPort: 8080, name: http}]}]\n"),
			`spec.initContainers[0].ports[0]: duplicate port name "http" with spec.containers[0].ports[0]: services sending to the name use spec.containers[0].ports[0], policy rules naming it open both ports`},
		{"a container and an init container that serves nothing", pod("db", a+"  initContainers: [{name: b, image: i, ports: [{containerPort: 8080, name: http}]}]\n"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "m.yaml")
			if err := os.WriteFile(file, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			var warn strings.Builder
			if _, err := Manifests(Source{Filenames: []string{file}}, &warn); err != nil {
				t.Fatal(err)
			}
			want := ""
			if tc.want != "" {
				want = "Warning: " + file + ": pod prod/db: " + tc.want + "\n"
			}
			if diff := cmp.Diff(want, warn.String()); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// svc is a Service manifest in prod with the given spec.
func svc(name, spec string) string {
	return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: prod}\nspec: " + spec + "\n"
}

// TestServicesAreValidatedAsTheAPIServerDoes pins the Service fields the
// API server checks that decide which pod port a service port reaches.
func TestServicesAreValidatedAsTheAPIServerDoes(t *testing.T) {
	const prefix = "m.yaml: service prod/db: "
	checkRejected(t, []rejectTest{
		{"name that is no DNS-1035 label", svc("1db", "{ports: [{port: 80}]}"),
			`m.yaml: service prod/1db: metadata.name: Invalid value: "1db": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`},
		{"port 0", svc("db", "{ports: [{port: 0}]}"),
			prefix + `spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`},
		{"port above 65535", svc("db", "{ports: [{port: 70000}]}"),
			prefix + `spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"protocol in lower case", svc("db", "{ports: [{port: 53, protocol: udp}]}"),
			prefix + `spec.ports[0].protocol: Unsupported value: "udp": supported values: "SCTP", "TCP", "UDP"`},
		{"targetPort above 65535", svc("db", "{ports: [{port: 80, targetPort: 70000}]}"),
			prefix + `spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"targetPort that is no port name", svc("db", "{ports: [{port: 80, targetPort: my_port}]}"),
			prefix + `spec.ports[0].targetPort: Invalid value: "my_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
		{"unnamed port among several", svc("db", "{ports: [{port: 80, name: http}, {port: 443}]}"),
			prefix + `spec.ports[1].name: Required value`},
		{"duplicate port names", svc("db", "{ports: [{port: 80, name: http}, {port: 443, name: http}]}"),
			prefix + `spec.ports[1].name: Duplicate value: "http"`},
		{"port name that is no DNS label", svc("db", "{ports: [{port: 80, name: HTTP}]}"),
			prefix + `spec.ports[0].name: Invalid value: "HTTP": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"same port and protocol twice", svc("db", "{ports: [{port: 80, name: a}, {port: 80, name: b, protocol: TCP}]}"),
			prefix + `spec.ports[1]: Duplicate value: "80/TCP"`},
		{"nodePort on a ClusterIP service", svc("db", "{ports: [{port: 80, nodePort: 30080}]}"),
			prefix + "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"},
		{"nodePort above 65535", svc("db", "{type: NodePort, ports: [{port: 80, nodePort: 70000}]}"),
			prefix + `spec.ports[0].nodePort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"type in lower case", svc("db", "{type: nodeport, ports: [{port: 80}]}"),
			prefix + `spec.type: Unsupported value: "nodeport": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`},
		{"selector value with HTML", svc("db", "{selector: {app: \"<db>\"}, ports: [{port: 80}]}"),
			prefix + `spec.selector: Invalid value: "<db>": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
	})
}

// TestOtherObjectsAreValidated pins names and labels of namespaces, nodes
// and policies, and the selectors of NetworkPolicies (checked by
// query.CompilePolicy through apimachinery's selector conversion).
func TestOtherObjectsAreValidated(t *testing.T) {
	const label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	const value = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
	checkRejected(t, []rejectTest{
		{"namespace name in capitals", "apiVersion: v1\nkind: Namespace\nmetadata: {name: Prod}\n",
			`m.yaml: namespace Prod: metadata.name: Invalid value: "Prod": ` + label},
		{"namespace name with a dot", "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod.eu}\n",
			`m.yaml: namespace prod.eu: metadata.name: Invalid value: "prod.eu": must not contain dots`},
		{"namespace label value", "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: \"pr od\"}}\n",
			`m.yaml: namespace prod: metadata.labels: Invalid value: "pr od": ` + value},
		{"node label value", "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {role: \"<w>\"}}\n",
			`m.yaml: node n1: metadata.labels: Invalid value: "<w>": ` + value},
		{"networkpolicy name", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Deny_All, namespace: prod}\nspec: {podSelector: {}}\n",
			`m.yaml: networkpolicy prod/Deny_All: metadata.name: Invalid value: "Deny_All": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"networkpolicy selector value", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {podSelector: {matchLabels: {app: \"<b>\"}}}\n",
			`m.yaml: networkpolicy prod/p: spec.podSelector: values[0][app]: Invalid value: "<b>": ` + value},
		{"networkpolicy peer selector value", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [\"a b\"]}]}}]}]}\n",
			`m.yaml: networkpolicy prod/p: spec.ingress[0].from[0].namespaceSelector: values[0][env]: Invalid value: "a b": ` + value},
		{"cluster policy name", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: Guard}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}}\n",
			`m.yaml: clusternetworkpolicy Guard: metadata.name: Invalid value: "Guard": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
	})
}

// BenchmarkValidate is validate alone on the objects of a generated
// 10,000-pod cluster, to set against BenchmarkManifests, reading them.
func BenchmarkValidate(b *testing.B) {
	objs := gen.Cluster(gen.Config{Pods: 10000, Policies: 2000, Seed: 1})
	for b.Loop() {
		for _, o := range objs {
			if _, err := validate(o); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkManifests reads a generated 10,000-pod cluster from disk.
func BenchmarkManifests(b *testing.B) {
	dir := b.TempDir()
	if err := gen.WriteManifests(dir, gen.Cluster(gen.Config{Pods: 10000, Policies: 2000, Seed: 1})); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Manifests(Source{Filenames: []string{dir}, Namespace: "default"}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuickChecksAgreeWithAPIMachinery holds the quick checks to the rules
// they stand for, on strings at the edges of each rule and on random ones.
func TestQuickChecksAgreeWithAPIMachinery(t *testing.T) {
	checks := []struct {
		name  string
		quick func(string) bool
		rule  func(string) []string
	}{
		{"label key", quickLabelKey, validation.IsQualifiedName},
		{"label value", quickLabelValue, validation.IsValidLabelValue},
		{"DNS-1123 label", quickDNS1123Label, validation.IsDNS1123Label},
		{"DNS-1123 subdomain", quickDNS1123Subdomain, validation.IsDNS1123Subdomain},
		{"port name", quickPortName, validation.IsValidPortName},
		{"IP", quickIP, func(s string) []string {
			var msgs []string
			for _, e := range validation.IsValidIPForLegacyField(field.NewPath("ip"), s, true, nil) {
				msgs = append(msgs, e.Error())
			}
			return msgs
		}},
	}
	inputs := []string{"", "a", "A", "0", "-", "_", ".", "a-b", "a--b", "-a", "a-", "a.b", "a..b", ".a", "a.", "a_b", "A.b-C_d",
		"example.com/name", "example.com/", "/name", "a/b/c", "Example.com/x", "ex_ample.com/x", "a.-b.com/x", "x/-a", "x/a.",
		"http", "http-2", "8080", "h2c", "a1", "abcdefghijklmno", "abcdefghijklmnop", "é", "a\x00", "a b", "<b>",
		"10.0.0.1", "010.0.0.1", "::1", "fe80::1%eth0", "::ffff:1.2.3.4", "2001:DB8::1", "1.2.3", "10.0.0.1 "}
	for _, n := range []int{15, 16, 62, 63, 64, 252, 253, 254} {
		inputs = append(inputs, strings.Repeat("a", n), strings.Repeat("a", n-1)+"1", "p/"+strings.Repeat("b", n),
			strings.Repeat("a", n)+"/b", strings.Repeat("a.", n/2)+"a")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZz09-_./:%é\x00 A"
	for range 20000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, c := range checks {
		for _, s := range inputs {
			if got, want := c.quick(s), len(c.rule(s)) == 0; got != want {
				t.Errorf("%s %q: quick check says %v, apimachinery %v", c.name, s, got, want)
			}
		}
	}
}
