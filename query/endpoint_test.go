package query

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestParseEndpoint(t *testing.T) {
	type view struct {
		Namespace, Kind, Name, Selector, Addr, CIDR, Port string
		Protocol                                          corev1.Protocol
	}
	viewOf := func(e EndpointSpec) view {
		v := view{Namespace: e.Namespace, Kind: e.Kind, Name: e.Name, Port: e.Port, Protocol: e.Protocol}
		if e.Selector != nil {
			v.Selector = e.Selector.String()
		}
		if e.Addr.IsValid() {
			v.Addr = e.Addr.String()
		}
		if e.CIDR.IsValid() {
			v.CIDR = e.CIDR.String()
		}
		return v
	}
	tests := []struct {
		in   string
		want view
	}{
		{"db", view{Name: "db"}},
		{"db:3306", view{Name: "db", Port: "3306"}},
		{"db:mysql", view{Name: "db", Port: "mysql"}},
		{"db:53/UDP", view{Name: "db", Port: "53", Protocol: "UDP"}},
		{"prod/db:3306/sctp", view{Namespace: "prod", Name: "db", Port: "3306", Protocol: "SCTP"}},
		{"deploy/api", view{Kind: "Deployment", Name: "api"}},
		{"prod/sts/db:3306", view{Namespace: "prod", Kind: "StatefulSet", Name: "db", Port: "3306"}},
		{"svc/db:mysql", view{Kind: "Service", Name: "db", Port: "mysql"}},
		{"po/web-0", view{Kind: "Pod", Name: "web-0"}},
		{"cj/backup", view{Kind: "CronJob", Name: "backup"}},
		{"role=api", view{Selector: "role=api"}},
		{"prod/role=api,tier!=x", view{Namespace: "prod", Selector: "role=api,tier!=x"}},
		{"prod/role=db:3306", view{Namespace: "prod", Selector: "role=db", Port: "3306"}},
		{"app.kubernetes.io/name=web", view{Selector: "app.kubernetes.io/name=web"}},
		{"prod/app.kubernetes.io/name=web", view{Namespace: "prod", Selector: "app.kubernetes.io/name=web"}},
		{"192.168.5.10", view{Addr: "192.168.5.10"}},
		{"192.168.5.10:80", view{Addr: "192.168.5.10", Port: "80"}},
		{"192.168.5.10:80/tcp", view{Addr: "192.168.5.10", Port: "80", Protocol: "TCP"}},
		{"10.0.0.0/8", view{CIDR: "10.0.0.0/8"}},
		{"10.0.0.0/8:443", view{CIDR: "10.0.0.0/8", Port: "443"}},
		{"2001:db8::1", view{Addr: "2001:db8::1"}},
		{"2001:db8::/32", view{CIDR: "2001:db8::/32"}},
		{"[2001:db8::1]:443/tcp", view{Addr: "2001:db8::1", Port: "443", Protocol: "TCP"}},
		{"[2001:db8::/32]:443", view{CIDR: "2001:db8::/32", Port: "443"}},
		{"::ffff:10.1.2.3", view{Addr: "10.1.2.3"}},
		{"::ffff:10.0.0.0/104", view{CIDR: "10.0.0.0/8"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := ParseEndpoint(tc.in)
			if err != nil {
				t.Fatalf("ParseEndpoint(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, viewOf(e)); diff != "" {
				t.Errorf("ParseEndpoint(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseEndpointErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "empty endpoint"},
		{"db:70000", "port 70000 is not between 1 and 65535"},
		{"db:0", "port 0 is not between 1 and 65535"},
		{"db:3306/icmp", `unknown protocol "icmp"`},
		{"db:", "empty port"},
		{"db:no_such", `invalid port "no_such"`},
		{"a/b/c/d", "too many '/'"},
		{"prod/thing/db", `unknown kind "thing"`},
		{"Prod/db", `invalid namespace "Prod"`},
		{"role in (", "invalid label selector"},
		{"300.1.2.3:80", "invalid IP address"},
		{"192.168.5.10:http", "takes a port number, not a name"},
		{"[2001:db8::1", "missing ']'"},
		{"fe80::1%eth0", "address fe80::1%eth0: IPv6 zones are not allowed"},
		{"[fe80::1%eth0]:443/tcp", "address fe80::1%eth0: IPv6 zones are not allowed"},
		{"fe80::1%eth0/64", "address fe80::1%eth0/64: IPv6 zones are not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseEndpoint(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseEndpoint(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestParseFlow(t *testing.T) {
	for _, args := range [][]string{
		{"web", "db:3306"},
		{"web", "to", "db:3306"},
		{"web", "->", "db:3306"},
		{"web -> db:3306"},
		{"web->db:3306"},
	} {
		f, err := ParseFlow(args)
		if err != nil {
			t.Errorf("ParseFlow(%q): %v", args, err)
			continue
		}
		if f.Source.Name != "web" || f.Destination.Name != "db" || f.Destination.Port != "3306" {
			t.Errorf("ParseFlow(%q) = %+v", args, f)
		}
	}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"web", "-"}, "quote the arrow"},
		{[]string{"web"}, "want a source and a destination"},
		{[]string{"a", "b", "c"}, "want a source and a destination"},
		{[]string{"web:80", "db"}, "a source takes no port"},
	} {
		if _, err := ParseFlow(tc.args); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseFlow(%q) error = %v, want %q", tc.args, err, tc.wantErr)
		}
	}
}

// resolutionWorld has a Deployment and a StatefulSet both named "db", a
// Service with a named targetPort, and a real pod owned by a Deployment
// through a ReplicaSet.
func resolutionWorld(t *testing.T) *Snapshot {
	t.Helper()
	rsPod := testPod("x/api-7d9f-abcde", "app=api", "10.0.0.50")
	rsPod.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "api-7d9f", Controller: ptr.To(true)}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "api-7d9f",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "api", Controller: ptr.To(true)}}}}
	api := deployment("x/api", "app=api")
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "db"},
		Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db-replica"}}}}}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "mysql"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}, Ports: []corev1.ServicePort{
			{Name: "sql", Port: 3306, TargetPort: intstr.FromString("mysql")},
			{Name: "admin", Port: 33062, TargetPort: intstr.FromInt32(33060)},
		}},
	}
	objs := append(baseObjects(),
		deployment("x/db", "app=db", corev1.ContainerPort{Name: "mysql", ContainerPort: 3306}),
		sts, rsPod, rs, api, svc)
	return testSnapshot(t, DefaultOptions(), objs...)
}

func TestResolve(t *testing.T) {
	s := resolutionWorld(t)
	tests := []struct {
		in       string
		wantKind string
		wantPods []string
	}{
		{"x/a", "Pod", []string{"x/a"}},
		{"deploy/db", "Deployment", []string{"x/db"}},
		{"x/sts/db", "StatefulSet", []string{"x/db"}},
		{"api", "Deployment", []string{"x/api-7d9f-abcde"}},
		{"deploy/api", "Deployment", []string{"x/api-7d9f-abcde"}},
		{"api-7d9f-abcde", "Pod", []string{"x/api-7d9f-abcde"}},
		{"mysql", "Service", []string{"x/db"}},
		{"tier=front", "Selector", []string{"x/a"}},
		{"y/app in (a,b)", "Selector", []string{"y/a", "y/b"}},
		{"10.0.1.2", "Pod", []string{"y/b"}},
		{"203.0.113.7", "External", nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			spec, err := ParseEndpoint(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.Resolve(spec, "x")
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.in, err)
			}
			if e.Kind != tc.wantKind {
				t.Errorf("Resolve(%q).Kind = %q, want %q", tc.in, e.Kind, tc.wantKind)
			}
			if diff := cmp.Diff(tc.wantPods, e.Pods); diff != "" {
				t.Errorf("Resolve(%q).Pods (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	s := resolutionWorld(t)
	tests := []struct{ in, wantErr string }{
		{"db", `"db" is ambiguous in namespace x: x/deployment/db, x/statefulset/db`},
		{"nope", `no pod, workload or service named "nope" in namespace x (there: deployment/api, deployment/db, statefulset/db, pod/a`},
		{"nowhere/db", "namespace nowhere does not exist"},
		{"deploy/a", `no deployment named "a"`},
		{"role=none", "no pod in namespace x matches {role=none}"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			spec, err := ParseEndpoint(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Resolve(spec, "x")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Resolve(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestServicePortTranslation(t *testing.T) {
	s := resolutionWorld(t)
	tests := []struct {
		dst      string
		wantPort *AskedPort
		wantSet  string
	}{
		{"svc/mysql:3306", &AskedPort{Port: 3306, Protocol: "TCP", Via: "service x/mysql port sql (3306/TCP) → TCP/3306 on x/db"}, "TCP 3306"},
		{"svc/mysql:sql", &AskedPort{Port: 3306, Protocol: "TCP", Via: "service x/mysql port sql (3306/TCP) → TCP/3306 on x/db"}, "TCP 3306"},
		{"svc/mysql:admin", &AskedPort{Port: 33060, Protocol: "TCP", Via: "service x/mysql port admin (33062/TCP) → TCP/33060 on x/db"}, "TCP 33060"},
		{"svc/mysql", nil, "TCP 3306,33060"},
		{"deploy/db:mysql", &AskedPort{Port: 3306, Protocol: "TCP", Via: "named port mysql is TCP/3306 on x/db"}, "TCP 3306"},
	}
	for _, tc := range tests {
		t.Run(tc.dst, func(t *testing.T) {
			ans := can(t, s, "x/a", tc.dst)
			if len(ans.Pairs) != 1 {
				t.Fatalf("want one pair, got %d", len(ans.Pairs))
			}
			if diff := cmp.Diff(tc.wantPort, ans.Pairs[0].Port); diff != "" {
				t.Errorf("port (-want +got):\n%s", diff)
			}
			if got := ans.AllowedPorts.String(); got != tc.wantSet {
				t.Errorf("allowed ports = %s, want %s", got, tc.wantSet)
			}
		})
	}
	for _, tc := range []struct{ dst, wantErr string }{
		{"svc/mysql:5432", "service x/mysql has no port 5432"},
		{"deploy/db:http", `pod x/db declares no container port named "http"`},
		{"svc/mysql:3306/udp", "has no port 3306 with protocol UDP"},
	} {
		f, _ := ParseFlow([]string{"x/a", tc.dst})
		if _, err := s.Can(f, "x"); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("can x/a %s error = %v, want %q", tc.dst, err, tc.wantErr)
		}
	}
}

func TestPairsAreGroupedWhenEqual(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: p, namespace: "y"}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}, namespaceSelector: {}}]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	ans := can(t, s, "x/tier in (front,back)", "y/app in (a,b):80")
	var got [][2]string
	for _, p := range ans.Pairs {
		got = append(got, [2]string{strings.Join(p.Sources, ","), strings.Join(p.Destinations, ",") + map[bool]string{true: " allowed", false: " denied"}[p.Allowed]})
	}
	want := [][2]string{{"x/a", "y/a,y/b allowed"}, {"x/b", "y/a,y/b denied"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if ans.Allowed {
		t.Errorf("Allowed = true, want false: one pair is denied")
	}
}

func TestDualStackPodsAreJudgedOnTheirPrimaryIPWithANote(t *testing.T) {
	ds := testPod("x/ds", "app=ds", "10.0.0.60")
	ds.Status.PodIPs = append(ds.Status.PodIPs, corev1.PodIP{IP: "fd00::60"})
	objs := append(baseObjects(), ds)
	objs = append(objs, testPolicies(t, `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: "fd00::/64"}}]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	ans := can(t, s, "x/ds", "x/a:80")
	if ans.Allowed {
		t.Errorf("judged on the primary IPv4 address, the IPv6 ipBlock must not match")
	}
	if len(ans.Warnings) != 1 || !strings.Contains(ans.Warnings[0].Message, "judged by ipBlock rules on their primary IP: x/ds (10.0.0.60)") {
		t.Errorf("warnings = %q", ans.Warnings)
	}
}

func TestRangesHoldingPodIPsAreAnsweredForOutsideAddresses(t *testing.T) {
	s := testSnapshot(t, DefaultOptions(), baseObjects()...)
	ans := can(t, s, "x/a", "10.0.0.0/16:80")
	if !ans.Allowed || len(ans.Warnings) != 1 || !strings.Contains(ans.Warnings[0].Message, "10.0.0.0/16 also holds pod IPs (x/a") {
		t.Errorf("allowed %v, warnings %q", ans.Allowed, ans.Warnings)
	}
}

// TestZonedAddressesAreRejected pins that an IPv6 zone in an object's
// address is an error: a zoned address is in no CIDR, so it would slip past
// every ipBlock and networks peer, Deny rules included.
func TestZonedAddressesAreRejected(t *testing.T) {
	podIPs := testPod("x/a", "app=a", "fe80::1%eth0")
	podIP := testPod("x/b", "app=b", "")
	podIP.Status.PodIP = "fe80::2%eth0"
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
		{Type: corev1.NodeHostName, Address: "n1"},
		{Type: corev1.NodeInternalIP, Address: "fe80::3%eth0"},
	}}}
	tests := []struct {
		name    string
		obj     runtime.Object
		wantErr string
	}{
		{"a zone in status.podIPs", podIPs, "pod x/a: status.podIPs[0]: address fe80::1%eth0: IPv6 zones are not allowed"},
		{"a zone in status.podIP", podIP, "pod x/b: status.podIP: address fe80::2%eth0: IPv6 zones are not allowed"},
		{"a zone in a node address", node, "node n1: status.addresses[1]: address fe80::3%eth0: IPv6 zones are not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSnapshot([]runtime.Object{testNamespace("x", ""), tc.obj}, DefaultOptions())
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("NewSnapshot error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
