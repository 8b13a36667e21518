package gen

import (
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func count[T runtime.Object](objs []runtime.Object) int {
	n := 0
	for _, o := range objs {
		if _, ok := o.(T); ok {
			n++
		}
	}
	return n
}

func TestExactCounts(t *testing.T) {
	for _, cfg := range []Config{
		{Pods: 0, Policies: 0, Seed: 1},
		{Pods: 0, Policies: 5, Seed: 2},
		{Pods: 1, Policies: 1, Seed: 2},
		{Pods: 5, Policies: 50, Namespaces: 1, Seed: 2},
		{Pods: 7, Policies: 3, Namespaces: 5, Seed: 3},
		{Pods: 99, Policies: 20, Seed: 4},
		{Pods: 100, Policies: 0, Seed: 5},
		{Pods: 250, Policies: 400, Namespaces: 3, Seed: 6},
		{Pods: 1000, Policies: 200, Seed: 7},
		{Pods: 2000, Policies: 400, Seed: 8},
		{Pods: 3000, Policies: 600, Namespaces: 10, Seed: 9},
	} {
		objs := Cluster(cfg)
		if got := count[*corev1.Pod](objs); got != cfg.Pods {
			t.Errorf("%+v: %d pods", cfg, got)
		}
		if got := count[*networkingv1.NetworkPolicy](objs); got != cfg.Policies {
			t.Errorf("%+v: %d policies", cfg, got)
		}
		wantNS := cfg.Namespaces
		if wantNS == 0 {
			wantNS = max(1, (cfg.Pods+25)/50)
		}
		if got := count[*corev1.Namespace](objs); got != wantNS+len(SystemNamespaces) {
			t.Errorf("%+v: %d namespaces, want %d", cfg, got, wantNS+len(SystemNamespaces))
		}
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Pods: 500, Policies: 100, Seed: 42}
	a, b := Cluster(cfg), Cluster(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two clusters from the same seed differ")
	}
	cfg.Seed++
	if reflect.DeepEqual(a, Cluster(cfg)) {
		t.Fatal("clusters from different seeds are equal")
	}
}

// TestSnapshot checks that the engine takes the cluster as it is: every
// policy compiles, no workload needs a stand-in, pod IPs are unique.
func TestSnapshot(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		cfg := Config{Pods: 2000, Policies: 400, Seed: seed}
		objs := Cluster(cfg)
		snap, err := query.NewSnapshot(objs, query.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if got := len(snap.Pods()); got != cfg.Pods {
			t.Errorf("seed %d: snapshot has %d pods, want %d", seed, got, cfg.Pods)
		}
		ips := map[netip.Addr]string{}
		for _, p := range snap.Pods() {
			if p.StandIn {
				t.Errorf("seed %d: stand-in pod %s", seed, p.Key())
			}
			if p.Workload == nil || len(p.IPs) == 0 {
				t.Errorf("seed %d: pod %s has no workload or no IP", seed, p.Key())
			}
			for _, ip := range p.IPs {
				if prev, dup := ips[ip]; dup {
					t.Errorf("seed %d: %s is the IP of %s and %s", seed, ip, prev, p.Key())
				}
				ips[ip] = p.Key()
			}
		}
		for _, ns := range snap.Namespaces() {
			if ns.Synthesized {
				t.Errorf("seed %d: namespace %s has no Namespace object", seed, ns.Name)
			}
		}
	}
}

// TestValid checks what the API server would check beyond the policies:
// names, labels, selectors that match their templates, owner references,
// service selectors that match pods.
func TestValid(t *testing.T) {
	objs := Cluster(Config{Pods: 2000, Policies: 400, Seed: 11})
	uids := map[string]bool{}
	names := map[string]bool{}
	podLabels := map[string][]labels.Set{}
	for _, o := range objs {
		m := o.(metav1.Object)
		kind := o.GetObjectKind().GroupVersionKind().Kind
		if kind == "" {
			t.Fatalf("%T %s has no kind", o, m.GetName())
		}
		id := kind + " " + m.GetNamespace() + "/" + m.GetName()
		if names[id] {
			t.Errorf("%s twice", id)
		}
		names[id] = true
		if uids[string(m.GetUID())] {
			t.Errorf("%s: UID %s twice", id, m.GetUID())
		}
		uids[string(m.GetUID())] = true
		if errs := validation.IsDNS1123Subdomain(m.GetName()); len(errs) > 0 {
			t.Errorf("%s: name: %v", id, errs)
		}
		checkLabels(t, id, m.GetLabels())
		for _, ref := range m.GetOwnerReferences() {
			if ref.Controller == nil || !*ref.Controller || ref.UID == "" {
				t.Errorf("%s: owner reference %+v", id, ref)
			}
			if !names[ref.Kind+" "+m.GetNamespace()+"/"+ref.Name] {
				t.Errorf("%s: owner %s %s not given before it", id, ref.Kind, ref.Name)
			}
		}
		var sel *metav1.LabelSelector
		var tmpl map[string]string
		switch o := o.(type) {
		case *corev1.Namespace:
			if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 {
				t.Errorf("%s: %v", id, errs)
			}
			if o.Labels["kubernetes.io/metadata.name"] != o.Name {
				t.Errorf("%s: labels %v", id, o.Labels)
			}
		case *corev1.Pod:
			podLabels[o.Namespace] = append(podLabels[o.Namespace], o.Labels)
			if o.Status.Phase != corev1.PodRunning || len(o.OwnerReferences) != 1 {
				t.Errorf("%s: phase %s, owners %v", id, o.Status.Phase, o.OwnerReferences)
			}
			for _, c := range append(o.Spec.Containers, o.Spec.InitContainers...) {
				for _, p := range c.Ports {
					if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
						t.Errorf("%s: port name %q: %v", id, p.Name, errs)
					}
				}
			}
			for _, ip := range o.Status.PodIPs {
				if a, err := netip.ParseAddr(ip.IP); err != nil || a.String() != ip.IP {
					t.Errorf("%s: pod IP %q is not canonical", id, ip.IP)
				}
			}
			for _, ip := range o.Status.HostIPs {
				if a, err := netip.ParseAddr(ip.IP); err != nil || a.String() != ip.IP {
					t.Errorf("%s: host IP %q is not canonical", id, ip.IP)
				}
			}
		case *appsv1.Deployment:
			sel, tmpl = o.Spec.Selector, o.Spec.Template.Labels
		case *appsv1.ReplicaSet:
			sel, tmpl = o.Spec.Selector, o.Spec.Template.Labels
		case *appsv1.StatefulSet:
			sel, tmpl = o.Spec.Selector, o.Spec.Template.Labels
		case *appsv1.DaemonSet:
			sel, tmpl = o.Spec.Selector, o.Spec.Template.Labels
		case *networkingv1.NetworkPolicy:
			if _, err := query.CompilePolicy(o); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
		if sel != nil {
			s, err := metav1.LabelSelectorAsSelector(sel)
			if err != nil || s.Empty() || !s.Matches(labels.Set(tmpl)) {
				t.Errorf("%s: selector %v does not match template labels %v", id, sel, tmpl)
			}
		}
	}
	for _, o := range objs {
		svc, ok := o.(*corev1.Service)
		if !ok {
			continue
		}
		matched := false
		for _, l := range podLabels[svc.Namespace] {
			matched = matched || labels.SelectorFromSet(svc.Spec.Selector).Matches(l)
		}
		if !matched {
			t.Errorf("service %s/%s selects no pod", svc.Namespace, svc.Name)
		}
	}
}

// TestHostIPs: every node of the largest cluster has its own host
// address in 10.0.0.0/16, the range policies allow as "control plane and
// nodes" (the API server rejects a pod whose hostIP is not an address:
// with 250 nodes per third octet, node 247 was 10.0.0.257).
func TestHostIPs(t *testing.T) {
	g := &generator{}
	nodes := netip.MustParsePrefix("10.0.0.0/16")
	seen := map[string]int{}
	for node := range (MaxPods + 79) / 80 {
		ip := g.hostIP(node)
		a, err := netip.ParseAddr(ip)
		if err != nil || a.String() != ip || !nodes.Contains(a) {
			t.Fatalf("node %d: host IP %q is not a canonical address in %s (%v)", node, ip, nodes, err)
		}
		if other, dup := seen[ip]; dup {
			t.Fatalf("nodes %d and %d both have host IP %s", other, node, ip)
		}
		seen[ip] = node
	}
}

func checkLabels(t *testing.T, id string, l map[string]string) {
	t.Helper()
	for k, v := range l {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			t.Errorf("%s: label key %q: %v", id, k, errs)
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("%s: label %s value %q: %v", id, k, v, errs)
		}
	}
}

// TestMix checks that a 2k-pod cluster has the shapes the package promises.
func TestMix(t *testing.T) {
	objs := Cluster(Config{Pods: 2000, Policies: 400, Seed: 1})
	snap, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			seen["Deployment"]++
		case *appsv1.StatefulSet:
			seen["StatefulSet"]++
		case *appsv1.DaemonSet:
			seen["DaemonSet"]++
		case *appsv1.ReplicaSet:
			seen["ReplicaSet"]++
			if *o.Spec.Replicas == 0 {
				seen["old ReplicaSet"]++
			}
		case *corev1.Service:
			seen["Service"]++
		case *corev1.Pod:
			if len(o.Spec.InitContainers) > 0 {
				seen["sidecar"]++
			}
		case *networkingv1.NetworkPolicy:
			policyShapes(o, seen)
			p, err := query.CompilePolicy(o)
			if err != nil {
				t.Fatal(err)
			}
			selects := false
			for _, pod := range snap.PodsIn(o.Namespace) {
				selects = selects || p.Selects(snap, pod)
			}
			if !selects {
				seen["selects nothing"]++
			}
		}
	}
	open := 0
	for _, ns := range snap.Namespaces() {
		if len(snap.PoliciesIn(ns.Name)) == 0 && len(snap.PodsIn(ns.Name)) > 0 {
			open++
		}
	}
	seen["open namespace"] = open
	for _, want := range []string{
		"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "old ReplicaSet", "Service", "sidecar",
		"default deny ingress", "default deny egress", "policyTypes omitted", "ingress", "egress",
		"peer podSelector", "peer namespaceSelector", "peer namespaceSelector+podSelector", "peer ipBlock",
		"ipBlock except", "ipBlock IPv6", "ipBlock /32", "endPort", "named port", "port number", "UDP",
		"expr In", "expr NotIn", "expr Exists", "expr DoesNotExist", "rule without peers", "selects nothing",
		"open namespace",
	} {
		if seen[want] == 0 {
			t.Errorf("no %s in the cluster", want)
		}
	}
	t.Logf("%v", seen)
}

func policyShapes(np *networkingv1.NetworkPolicy, seen map[string]int) {
	if len(np.Spec.PolicyTypes) == 0 {
		seen["policyTypes omitted"]++
	}
	types := query.DefaultPolicyTypes(&np.Spec)
	if len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) == 0 {
		for _, t := range types {
			if t == networkingv1.PolicyTypeIngress && len(np.Spec.Ingress) == 0 {
				seen["default deny ingress"]++
			}
			if t == networkingv1.PolicyTypeEgress && len(np.Spec.Egress) == 0 {
				seen["default deny egress"]++
			}
		}
	}
	sels := func(s *metav1.LabelSelector) {
		if s == nil {
			return
		}
		for _, e := range s.MatchExpressions {
			seen["expr "+string(e.Operator)]++
		}
	}
	sels(&np.Spec.PodSelector)
	peers := func(ps []networkingv1.NetworkPolicyPeer) {
		if len(ps) == 0 {
			seen["rule without peers"]++
		}
		for _, p := range ps {
			switch {
			case p.IPBlock != nil:
				seen["peer ipBlock"]++
				if len(p.IPBlock.Except) > 0 {
					seen["ipBlock except"]++
				}
				if strings.Contains(p.IPBlock.CIDR, ":") {
					seen["ipBlock IPv6"]++
				}
				if strings.HasSuffix(p.IPBlock.CIDR, "/32") {
					seen["ipBlock /32"]++
				}
			case p.PodSelector != nil && p.NamespaceSelector != nil:
				seen["peer namespaceSelector+podSelector"]++
			case p.PodSelector != nil:
				seen["peer podSelector"]++
			default:
				seen["peer namespaceSelector"]++
			}
			sels(p.PodSelector)
			sels(p.NamespaceSelector)
		}
	}
	ports := func(ps []networkingv1.NetworkPolicyPort) {
		for _, p := range ps {
			switch {
			case p.EndPort != nil:
				seen["endPort"]++
			case p.Port != nil && p.Port.Type == intstr.String:
				seen["named port"]++
			case p.Port != nil:
				seen["port number"]++
			}
			if p.Protocol != nil && *p.Protocol == corev1.ProtocolUDP {
				seen["UDP"]++
			}
		}
	}
	for _, r := range np.Spec.Ingress {
		seen["ingress"]++
		peers(r.From)
		ports(r.Ports)
	}
	for _, r := range np.Spec.Egress {
		seen["egress"]++
		peers(r.To)
		ports(r.Ports)
	}
}

func TestWriteManifestsRoundTrip(t *testing.T) {
	objs := Cluster(Config{Pods: 300, Policies: 60, Seed: 5})
	dir := t.TempDir()
	if err := WriteManifests(dir, objs); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if !slices.Contains(files, "namespaces.yaml") || !slices.Contains(files, "namespace-kube-system.yaml") {
		t.Fatalf("files: %v", files)
	}
	got, err := load.Manifests(load.Source{Filenames: []string{dir}, Namespace: "default", Whole: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(objs) {
		t.Fatalf("read back %d objects, wrote %d", len(got), len(objs))
	}
	byID := map[string]runtime.Object{}
	id := func(o runtime.Object) string {
		m := o.(metav1.Object)
		return o.GetObjectKind().GroupVersionKind().Kind + " " + m.GetNamespace() + "/" + m.GetName()
	}
	for _, o := range objs {
		byID[id(o)] = o
	}
	for _, o := range got {
		if want := byID[id(o)]; !equality.Semantic.DeepEqual(o, want) {
			t.Errorf("%s read back differs:\n%s", id(o), cmp.Diff(want, o))
		}
	}
	snap, err := query.NewSnapshot(got, query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Pods()) != 300 {
		t.Fatalf("snapshot of the manifests has %d pods", len(snap.Pods()))
	}
	// Writing again gives the same bytes.
	dir2 := t.TempDir()
	if err := WriteManifests(dir2, Cluster(Config{Pods: 300, Policies: 60, Seed: 5})); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, err := os.ReadFile(filepath.Join(dir2, f))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs between two writes of the same cluster", f)
		}
	}
}

func TestWriteManifestsSetsKinds(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "n"}}
	dir := t.TempDir()
	if err := WriteManifests(dir, []runtime.Object{pod}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "namespace-n.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "apiVersion: v1\n") || !strings.Contains(string(data), "kind: Pod\n") {
		t.Errorf("no apiVersion or kind:\n%s", data)
	}
	if !pod.GetObjectKind().GroupVersionKind().Empty() {
		t.Error("WriteManifests changed the caller's object")
	}
}
