package query

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// The test world: namespaces x (env=prod), y (env=dev) and z (no labels),
// pods a and b in x and y, c in z. Pods declare the named ports the upstream
// conformance tests use.
func baseObjects() []runtime.Object {
	return []runtime.Object{
		testNamespace("x", "env=prod"),
		testNamespace("y", "env=dev"),
		testNamespace("z", ""),
		testPod("x/a", "app=a,tier=front", "10.0.0.1"),
		testPod("x/b", "app=b,tier=back", "10.0.0.2"),
		testPod("y/a", "app=a,tier=front", "10.0.1.1"),
		testPod("y/b", "app=b,tier=back", "10.0.1.2"),
		testPod("z/c", "app=c", "fd00::3"),
	}
}

func testNamespace(name, lbls string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: mustLabels(lbls)}}
}

// testPod makes a running pod with ports serve-80-tcp, serve-81-udp,
// serve-82-sctp and dns (53/UDP).
func testPod(key, lbls, ip string) *corev1.Pod {
	ns, name, _ := strings.Cut(key, "/")
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: mustLabels(lbls)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "c",
			Ports: []corev1.ContainerPort{
				{Name: "serve-80-tcp", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
				{Name: "serve-81-udp", ContainerPort: 81, Protocol: corev1.ProtocolUDP},
				{Name: "serve-82-sctp", ContainerPort: 82, Protocol: corev1.ProtocolSCTP},
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if ip != "" {
		p.Status.PodIP = ip
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	return p
}

func mustLabels(s string) map[string]string {
	if s == "" {
		return nil
	}
	m, err := labels.ConvertSelectorToLabelsMap(s)
	if err != nil {
		panic(err)
	}
	return m
}

// testPolicies parses NetworkPolicies from YAML documents separated by
// "---", strictly, as written (no defaulting: the engine must do it).
func testPolicies(t testing.TB, docs string) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		np := &networkingv1.NetworkPolicy{}
		if err := yaml.UnmarshalStrict([]byte(doc), np); err != nil {
			t.Fatalf("bad test policy: %v\n%s", err, doc)
		}
		if np.Namespace == "" {
			np.Namespace = "x"
		}
		out = append(out, np)
	}
	return out
}

func testSnapshot(t testing.TB, opts Options, objs ...runtime.Object) *Snapshot {
	t.Helper()
	s, err := NewSnapshot(objs, opts)
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	return s
}

// can asks "can src dst" and fails the test on errors.
func can(t testing.TB, s *Snapshot, src, dst string) *Answer {
	t.Helper()
	f, err := ParseFlow([]string{src, dst})
	if err != nil {
		t.Fatalf("ParseFlow(%q, %q): %v", src, dst, err)
	}
	ans, err := s.Can(f, "x")
	if err != nil {
		t.Fatalf("Can(%q, %q): %v", src, dst, err)
	}
	return ans
}
