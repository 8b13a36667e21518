package query_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Random "hidden applications" for the generation properties
// (generate_prop_test.go): a few namespaces of Deployments,
// StatefulSets, DaemonSets and Jobs, as manifests (stand-in pods) or as
// the pods their controllers run (with the labels controllers write),
// some mid-rollout, some whose selector is wider than their pods' labels,
// some twins that no stable label tells apart, bare pods (some copying a
// workload's labels), named and unnamed container ports, sometimes
// existing policies, and CoreDNS in kube-system or not; and the flows a
// team needs of it, and some it wants denied.

// propControllerKeys are the label keys this file's controllers write on
// pods: the test's own account of what no generated selector may use.
var propControllerKeys = map[string]bool{
	"pod-template-hash":                  true,
	"controller-revision-hash":           true,
	"statefulset.kubernetes.io/pod-name": true,
	"apps.kubernetes.io/pod-index":       true,
	"pod-template-generation":            true,
	"controller-uid":                     true,
	"batch.kubernetes.io/controller-uid": true,
	"job-name":                           true,
	"batch.kubernetes.io/job-name":       true,
}

// propApp is a random application: its objects, and the namespaces its
// units run in (kube-system apart).
type propApp struct {
	objs []runtime.Object
	nss  []string
	// policies are the existing policy objects, also in objs.
	policies []runtime.Object
}

// propTemplate is a workload as the builder plans it.
type propTemplate struct {
	ns, kind, name string
	selector       map[string]string
	labels         map[string]string
	ports          []corev1.ContainerPort
}

type appBuilder struct {
	r    *rand.Rand
	app  propApp
	ips  map[string]int // per namespace, the last pod address used
	nsIx map[string]int
}

func (b *appBuilder) chance(p float64) bool { return b.r.Float64() < p }

func pickOne[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// propPorts are the container ports workloads declare, by name or not.
var propPorts = []corev1.ContainerPort{
	{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
	{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
	{Name: "postgres", ContainerPort: 5432, Protocol: corev1.ProtocolTCP},
	{Name: "redis", ContainerPort: 6379, Protocol: corev1.ProtocolTCP},
	{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
	{Name: "statsd", ContainerPort: 8125, Protocol: corev1.ProtocolUDP},
	{Name: "grpc", ContainerPort: 9000, Protocol: corev1.ProtocolTCP},
}

// randomApp builds the application of one seed.
func randomApp(seed uint64) propApp {
	b := &appBuilder{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), ips: map[string]int{}, nsIx: map[string]int{}}
	all := []string{"shop", "billing", "ops", "data"}
	n := 1 + b.r.IntN(3)
	perm := b.r.Perm(len(all))
	for i := range n {
		b.app.nss = append(b.app.nss, all[perm[i]])
	}
	slices.Sort(b.app.nss)
	var tmpls []*propTemplate
	for i, ns := range b.app.nss {
		b.nsIx[ns] = i + 1
		if !b.chance(0.2) { // else the namespace is only named by its objects
			b.add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{query.NamespaceNameLabel: ns, "env": pickOne(b.r, []string{"prod", "dev"})}}})
		}
		tmpls = append(tmpls, b.workloads(ns)...)
	}
	for _, t := range tmpls {
		b.workload(t)
	}
	for _, ns := range b.app.nss {
		if b.chance(0.35) {
			b.barePod(ns, tmpls)
		}
	}
	if b.chance(0.75) {
		b.coreDNS()
	}
	if b.chance(0.5) {
		b.existingPolicies(tmpls)
	}
	return b.app
}

func (b *appBuilder) add(objs ...runtime.Object) { b.app.objs = append(b.app.objs, objs...) }

// workloads plans the workloads of a namespace: distinct ones, ones of
// one application told apart by a role label, ones whose selector is
// wider than their labels, and twins.
func (b *appBuilder) workloads(ns string) []*propTemplate {
	names := []string{"web", "api", "db", "cache", "worker", "auth"}
	if b.chance(0.08) {
		names[b.r.IntN(len(names))] = pickOne(b.r, []string{"default-deny", "allow-dns"})
	}
	b.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var out []*propTemplate
	for _, name := range names[:1+b.r.IntN(4)] {
		t := &propTemplate{ns: ns, kind: "Deployment", name: name}
		switch k := b.r.IntN(20); {
		case k < 5:
			t.kind = "StatefulSet"
		case k < 7:
			t.kind = "DaemonSet"
		case k < 8:
			t.kind = "Job"
		}
		switch mode := b.r.IntN(10); {
		case mode < 4:
			t.selector = map[string]string{"app": name}
			t.labels = map[string]string{"app": name}
		case mode < 7:
			t.selector = map[string]string{"app": "shop", "role": name}
			t.labels = map[string]string{"app": "shop", "role": name}
		case mode < 9:
			// spec.selector wider than the pods' labels: it also
			// selects the other workloads of app=shop.
			t.selector = map[string]string{"app": "shop"}
			t.labels = map[string]string{"app": "shop", "role": name}
		default:
			if len(out) == 0 {
				t.selector = map[string]string{"app": name}
				t.labels = map[string]string{"app": name}
				break
			}
			// A twin: another workload's selector and labels.
			twin := pickOne(b.r, out)
			t.selector = cloneLabels(twin.selector)
			t.labels = cloneLabels(twin.labels)
		}
		if b.chance(0.3) {
			t.labels["tier"] = pickOne(b.r, []string{"front", "back"})
		}
		if b.chance(0.2) {
			t.labels["app.kubernetes.io/name"] = name
		}
		if b.chance(0.3) {
			t.labels["version"] = "v1"
		}
		for _, i := range b.r.Perm(len(propPorts))[:b.r.IntN(3)] {
			p := propPorts[i]
			if slices.ContainsFunc(t.ports, func(q corev1.ContainerPort) bool { return q.Name == p.Name }) {
				continue
			}
			if b.chance(0.3) {
				p.Name = ""
			}
			t.ports = append(t.ports, p)
		}
		out = append(out, t)
	}
	return out
}

func cloneLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (b *appBuilder) podIP(ns string) string {
	b.ips[ns]++
	return fmt.Sprintf("10.0.%d.%d", b.nsIx[ns], b.ips[ns])
}

func podSpec(ports []corev1.ContainerPort) corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example/app", Ports: slices.Clone(ports)}}}
}

func (b *appBuilder) pod(ns, name string, lbls map[string]string, ports []corev1.ContainerPort, owner *metav1.OwnerReference) *corev1.Pod {
	ip := b.podIP(ns)
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls},
		Spec:       podSpec(ports),
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return p
}

func ownerRef(kind, name string) *metav1.OwnerReference {
	api := "apps/v1"
	return &metav1.OwnerReference{APIVersion: api, Kind: kind, Name: name, UID: types.UID("uid-" + name), Controller: ptr.To(true)}
}

func (b *appBuilder) hash() string {
	const chars = "bcdfghjklmnpqrstvwxz2456789"
	s := make([]byte, 10)
	for i := range s {
		s[i] = chars[b.r.IntN(len(chars))]
	}
	return string(s)
}

// workload writes a planned workload: as a manifest alone (a stand-in
// pod), or with the ReplicaSets and pods or the pods its controller runs.
func (b *appBuilder) workload(t *propTemplate) {
	meta := metav1.ObjectMeta{Namespace: t.ns, Name: t.name}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: t.labels}, Spec: podSpec(t.ports)}
	sel := &metav1.LabelSelector{MatchLabels: t.selector}
	running := b.chance(0.5)
	switch t.kind {
	case "Deployment":
		b.add(&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{Selector: sel, Template: tmpl}})
		if !running {
			return
		}
		sets := 1
		if b.chance(0.25) {
			sets = 2 // mid-rollout: the old ReplicaSet's pods still run
		}
		for i := range sets {
			h := b.hash()
			rs := t.name + "-" + h
			lbls := cloneLabels(t.labels)
			ports := t.ports
			if i == 1 {
				if _, ok := lbls["version"]; ok {
					lbls["version"] = "v0"
				}
				if len(ports) > 0 && b.chance(0.5) {
					ports = slices.Clone(ports)
					ports[0].Name = "" // the old template did not name it
				}
			}
			lbls["pod-template-hash"] = h
			b.add(&appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
				ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: rs, OwnerReferences: []metav1.OwnerReference{*ownerRef("Deployment", t.name)}},
				Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: withKey(t.selector, "pod-template-hash", h)},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls}, Spec: podSpec(ports)}}})
			for range 1 + b.r.IntN(2) {
				b.add(b.pod(t.ns, rs+"-"+b.hash()[:5], cloneLabels(lbls), ports, ownerRef("ReplicaSet", rs)))
			}
		}
	case "StatefulSet":
		b.add(&appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: meta,
			Spec: appsv1.StatefulSetSpec{Selector: sel, Template: tmpl}})
		if !running {
			return
		}
		rev := t.name + "-" + b.hash()
		for i := range 1 + b.r.IntN(3) {
			name := t.name + "-" + strconv.Itoa(i)
			lbls := cloneLabels(t.labels)
			lbls["controller-revision-hash"] = rev
			lbls["statefulset.kubernetes.io/pod-name"] = name
			lbls["apps.kubernetes.io/pod-index"] = strconv.Itoa(i)
			b.add(b.pod(t.ns, name, lbls, t.ports, ownerRef("StatefulSet", t.name)))
		}
	case "DaemonSet":
		b.add(&appsv1.DaemonSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}, ObjectMeta: meta,
			Spec: appsv1.DaemonSetSpec{Selector: sel, Template: tmpl}})
		if !running {
			return
		}
		rev := t.name + "-" + b.hash()
		for range 1 + b.r.IntN(3) {
			lbls := cloneLabels(t.labels)
			lbls["controller-revision-hash"] = rev
			lbls["pod-template-generation"] = "1"
			b.add(b.pod(t.ns, t.name+"-"+b.hash()[:5], lbls, t.ports, ownerRef("DaemonSet", t.name)))
		}
	case "Job":
		// The API writes a Job's selector, on the uid it gives the Job.
		b.add(&batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: meta,
			Spec: batchv1.JobSpec{Template: tmpl}})
		if !running {
			return
		}
		uid := b.hash()
		lbls := cloneLabels(t.labels)
		for _, k := range []string{"controller-uid", "batch.kubernetes.io/controller-uid"} {
			lbls[k] = uid
		}
		for _, k := range []string{"job-name", "batch.kubernetes.io/job-name"} {
			lbls[k] = t.name
		}
		owner := ownerRef("Job", t.name)
		owner.APIVersion = "batch/v1"
		b.add(b.pod(t.ns, t.name+"-"+b.hash()[:5], lbls, t.ports, owner))
	}
}

func withKey(m map[string]string, k, v string) map[string]string {
	out := cloneLabels(m)
	out[k] = v
	return out
}

// barePod adds a pod no controller owns: a debug pod of its own labels,
// or one that copies a workload's labels (and so its selector's pods).
func (b *appBuilder) barePod(ns string, tmpls []*propTemplate) {
	lbls := map[string]string{"run": "debug"}
	name := "debug"
	var here []*propTemplate
	for _, t := range tmpls {
		if t.ns == ns {
			here = append(here, t)
		}
	}
	if b.chance(0.5) && len(here) > 0 {
		lbls = cloneLabels(pickOne(b.r, here).labels)
		name = "toolbox"
	}
	var ports []corev1.ContainerPort
	if b.chance(0.5) {
		ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8000, Protocol: corev1.ProtocolTCP}}
	}
	b.add(b.pod(ns, name, lbls, ports, nil))
}

// coreDNS adds the cluster DNS: CoreDNS in kube-system, as a manifest or
// with its pods.
func (b *appBuilder) coreDNS() {
	b.nsIx["kube-system"] = 99
	lbls := map[string]string{"k8s-app": "kube-dns"}
	ports := []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP}}
	b.add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system", Labels: map[string]string{query.NamespaceNameLabel: "kube-system"}}},
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: lbls}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls}, Spec: podSpec(ports)}}})
	if b.chance(0.5) {
		h := b.hash()
		rs := "coredns-" + h
		pl := withKey(lbls, "pod-template-hash", h)
		b.add(&appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: rs, OwnerReferences: []metav1.OwnerReference{*ownerRef("Deployment", "coredns")}},
			Spec:       appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: pl}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: pl}, Spec: podSpec(ports)}}},
			b.pod("kube-system", rs+"-"+b.hash()[:5], pl, ports, ownerRef("ReplicaSet", rs)))
	}
}

// existingPolicies adds the policies teams had written: a default deny
// of ingress, allow-lists named after their workloads (the names the
// generated policies want), open egress, a namespace peer, and now and
// then a CiliumNetworkPolicy.
func (b *appBuilder) existingPolicies(tmpls []*propTemplate) {
	np := func(ns, name string, spec networkingv1.NetworkPolicySpec) {
		p := &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
		b.app.policies = append(b.app.policies, p)
		b.add(p)
	}
	used := map[string]bool{}
	for range 1 + b.r.IntN(3) {
		ns := pickOne(b.r, b.app.nss)
		t := pickOne(b.r, tmpls)
		kind := b.r.IntN(6)
		name := []string{"default-deny", t.name, "allow-egress", "from-" + pickOne(b.r, b.app.nss), "allow-same-namespace", "cilium-allow"}[kind]
		if kind == 1 {
			ns = t.ns
		}
		if used[ns+"/"+name] {
			continue
		}
		used[ns+"/"+name] = true
		switch kind {
		case 0:
			np(ns, name, networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}})
		case 1:
			from := pickOne(b.r, tmpls)
			peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: from.labels}}
			if from.ns != t.ns {
				peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{query.NamespaceNameLabel: from.ns}}
			}
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}}
			if len(t.ports) > 0 {
				p := t.ports[b.r.IntN(len(t.ports))]
				port := intstr.FromInt32(p.ContainerPort)
				if p.Name != "" && b.chance(0.5) {
					port = intstr.FromString(p.Name)
				}
				rule.Ports = []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(p.Protocol), Port: &port}}
			}
			np(ns, name, networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: t.selector},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, Ingress: []networkingv1.NetworkPolicyIngressRule{rule}})
		case 2:
			np(ns, name, networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
				Egress: []networkingv1.NetworkPolicyEgressRule{{}}})
		case 3:
			other := name[len("from-"):]
			np(ns, name, networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{query.NamespaceNameLabel: other}}}}}}})
		case 4:
			np(ns, name, networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}})
		case 5:
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
				"metadata": map[string]any{"namespace": ns, "name": name},
				"spec": map[string]any{
					"endpointSelector": map[string]any{"matchLabels": map[string]any{"app": t.labels["app"]}},
					"ingress":          []any{map[string]any{"fromEndpoints": []any{map[string]any{}}}},
				},
			}}
			b.app.policies = append(b.app.policies, u)
			b.add(u)
		}
	}
}

// propExternal are the addresses and ranges outside the cluster flows
// name; none holds a pod address (10.0.0.0/16).
var propExternal = []string{"192.0.2.10", "192.0.2.11", "203.0.113.4", "203.0.113.5", "198.51.100.64/26", "198.51.100.128/26", "198.51.100.0/24", "2001:db8::5", "2001:db8:1::/64"}

func mustPrefix(s string) netip.Prefix {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p
	}
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen())
}
