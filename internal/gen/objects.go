package gen

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

var (
	typeNamespace     = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
	typePod           = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	typeService       = metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
	typeDeployment    = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
	typeReplicaSet    = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"}
	typeStatefulSet   = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}
	typeDaemonSet     = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}
	typeNetworkPolicy = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
)

// objects builds the API objects: Namespaces, then per namespace (by name)
// its workloads each followed by its ReplicaSets and Pods, its Services,
// its NetworkPolicies and its CiliumNetworkPolicies, then the
// CiliumClusterwideNetworkPolicies.
func (g *generator) objects() []runtime.Object {
	nss := slices.Clone(g.namespaces)
	slices.SortFunc(nss, func(a, b *namespace) int { return cmp.Compare(a.name, b.name) })
	var out []runtime.Object
	for _, ns := range nss {
		out = append(out, &corev1.Namespace{
			TypeMeta: typeNamespace,
			ObjectMeta: metav1.ObjectMeta{
				Name: ns.name, Labels: ns.labels,
				UID: types.UID(g.uid()), CreationTimestamp: metav1.NewTime(ns.created),
			},
			Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		})
	}
	for _, ns := range nss {
		podNames := map[string]bool{}
		for _, w := range ns.workloads {
			out = append(out, g.workloadObjects(w, podNames)...)
		}
		for _, w := range ns.workloads {
			for _, s := range w.services {
				out = append(out, g.serviceObject(w, s))
			}
		}
		for _, np := range ns.policies {
			out = append(out, np)
		}
		for _, p := range ns.cnps {
			out = append(out, p)
		}
	}
	for _, p := range g.ccnps {
		out = append(out, p)
	}
	return out
}

func (g *generator) meta(ns *namespace, name string, lbls map[string]string, created time.Time) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: ns.name, Labels: lbls,
		UID:               types.UID(g.uid()),
		CreationTimestamp: metav1.NewTime(created),
	}
}

func ownerRef(kind, name string, uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: "apps/v1", Kind: kind, Name: name, UID: uid,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}}
}

func copyLabels(m map[string]string, extra ...string) map[string]string {
	out := make(map[string]string, len(m)+len(extra)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		out[extra[i]] = extra[i+1]
	}
	return out
}

func (w *workload) podSpec() corev1.PodSpec {
	spec := corev1.PodSpec{
		ServiceAccountName:            w.sa,
		RestartPolicy:                 corev1.RestartPolicyAlways,
		DNSPolicy:                     corev1.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr.To(int64(30)),
		SchedulerName:                 corev1.DefaultSchedulerName,
		SecurityContext:               &corev1.PodSecurityContext{},
	}
	for _, c := range w.containers {
		spec.Containers = append(spec.Containers, *c.DeepCopy())
	}
	for _, c := range w.sidecars {
		spec.InitContainers = append(spec.InitContainers, *c.DeepCopy())
	}
	return spec
}

// workloadObjects builds a workload, its ReplicaSets (for a Deployment: the
// current one and sometimes an old one scaled to zero) and its pods.
func (g *generator) workloadObjects(w *workload, podNames map[string]bool) []runtime.Object {
	ns := w.ns
	created := ns.created.Add(time.Duration(g.rng.IntN(30*24*60)) * time.Minute)
	replicas := int32(w.replicas)
	template := func(lbls map[string]string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls}, Spec: w.podSpec()}
	}
	var out []runtime.Object
	// pods adds the workload's pods; name gives the i-th pod's name and
	// labels its labels, node < 0 spreads them round-robin.
	pods := func(base time.Time, owner []metav1.OwnerReference, generateName string, name func(i int) string, lbls func(i int) map[string]string, daemon bool) {
		for i := range w.replicas {
			node := -1
			if daemon {
				node = i
			}
			node, ips := g.placePod(node)
			podName := name(i)
			for podNames[podName] {
				podName = name(i)
			}
			podNames[podName] = true
			started := base.Add(time.Duration(1+g.rng.IntN(14*24*60)) * time.Minute)
			m := g.meta(ns, podName, lbls(i), started)
			m.GenerateName = generateName
			m.OwnerReferences = owner
			pod := &corev1.Pod{TypeMeta: typePod, ObjectMeta: m, Spec: w.podSpec()}
			pod.Spec.NodeName = fmt.Sprintf("worker-%03d", node)
			st := &pod.Status
			st.Phase = corev1.PodRunning
			st.QOSClass = corev1.PodQOSBurstable
			st.HostIP = g.hostIP(node)
			st.HostIPs = []corev1.HostIP{{IP: st.HostIP}}
			st.PodIP = ips[0]
			for _, ip := range ips {
				st.PodIPs = append(st.PodIPs, corev1.PodIP{IP: ip})
			}
			st.StartTime = ptr.To(metav1.NewTime(started))
			for _, t := range []corev1.PodConditionType{corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
				st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(started)})
			}
			for _, c := range pod.Spec.Containers {
				st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
					Name: c.Name, Image: c.Image, Ready: true, Started: ptr.To(true),
					RestartCount: int32(g.weighted(0.8, 0.15, 0.05)),
					State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started.Add(5 * time.Second))}},
				})
			}
			out = append(out, pod)
		}
	}
	switch w.kind {
	case "Deployment":
		rev := g.between(1, 12)
		d := &appsv1.Deployment{
			TypeMeta:   typeDeployment,
			ObjectMeta: g.meta(ns, w.name, copyLabels(w.selector), created),
			Spec: appsv1.DeploymentSpec{
				Replicas:                &replicas,
				Selector:                &metav1.LabelSelector{MatchLabels: copyLabels(w.selector)},
				Template:                template(copyLabels(w.labels)),
				RevisionHistoryLimit:    ptr.To(int32(10)),
				ProgressDeadlineSeconds: ptr.To(int32(600)),
				Strategy:                appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType},
			},
			Status: appsv1.DeploymentStatus{
				ObservedGeneration: int64(rev), Replicas: replicas, UpdatedReplicas: replicas,
				ReadyReplicas: replicas, AvailableReplicas: replicas,
			},
		}
		if p := w.labels["app.kubernetes.io/part-of"]; p != "" {
			d.Labels["app.kubernetes.io/part-of"] = p
		}
		d.Annotations = map[string]string{"deployment.kubernetes.io/revision": strconv.Itoa(rev)}
		out = append(out, d)
		rs := func(hash string, revision int, replicas int32, lbls map[string]string) *appsv1.ReplicaSet {
			lbls = copyLabels(lbls, "pod-template-hash", hash)
			m := g.meta(ns, w.name+"-"+hash, lbls, created.Add(time.Duration(revision)*time.Hour))
			m.OwnerReferences = ownerRef("Deployment", d.Name, d.UID)
			m.Annotations = map[string]string{
				"deployment.kubernetes.io/revision":         strconv.Itoa(revision),
				"deployment.kubernetes.io/desired-replicas": strconv.Itoa(int(*d.Spec.Replicas)),
				"deployment.kubernetes.io/max-replicas":     strconv.Itoa(int(*d.Spec.Replicas) + 1),
			}
			return &appsv1.ReplicaSet{
				TypeMeta:   typeReplicaSet,
				ObjectMeta: m,
				Spec: appsv1.ReplicaSetSpec{
					Replicas: &replicas,
					Selector: &metav1.LabelSelector{MatchLabels: copyLabels(w.selector, "pod-template-hash", hash)},
					Template: template(copyLabels(lbls)),
				},
				Status: appsv1.ReplicaSetStatus{Replicas: replicas, FullyLabeledReplicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas},
			}
		}
		if rev > 1 && g.chance(0.3) {
			old := copyLabels(w.labels, "version", "v0."+strconv.Itoa(rev-1)+".0", "app.kubernetes.io/version", "v0."+strconv.Itoa(rev-1)+".0")
			out = append(out, rs(g.hash(10), rev-1, 0, old))
		}
		cur := rs(g.hash(10), rev, replicas, w.labels)
		out = append(out, cur)
		pods(cur.CreationTimestamp.Time, ownerRef("ReplicaSet", cur.Name, cur.UID), cur.Name+"-",
			func(int) string { return cur.Name + "-" + g.hash(5) },
			func(int) map[string]string { return copyLabels(cur.Spec.Template.Labels) }, false)
	case "StatefulSet":
		serviceName := w.name
		for _, s := range w.services {
			if s.headless {
				serviceName = s.name
			}
		}
		revision := w.name + "-" + g.hash(10)
		sts := &appsv1.StatefulSet{
			TypeMeta:   typeStatefulSet,
			ObjectMeta: g.meta(ns, w.name, copyLabels(w.selector), created),
			Spec: appsv1.StatefulSetSpec{
				Replicas:             &replicas,
				Selector:             &metav1.LabelSelector{MatchLabels: copyLabels(w.selector)},
				Template:             template(copyLabels(w.labels)),
				ServiceName:          serviceName,
				PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
				UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
				RevisionHistoryLimit: ptr.To(int32(10)),
			},
			Status: appsv1.StatefulSetStatus{
				ObservedGeneration: 1, Replicas: replicas, ReadyReplicas: replicas, CurrentReplicas: replicas,
				UpdatedReplicas: replicas, AvailableReplicas: replicas, CurrentRevision: revision, UpdateRevision: revision,
			},
		}
		out = append(out, sts)
		pods(created, ownerRef("StatefulSet", sts.Name, sts.UID), "",
			func(i int) string { return fmt.Sprintf("%s-%d", w.name, i) },
			func(i int) map[string]string {
				return copyLabels(w.labels, "controller-revision-hash", revision,
					"statefulset.kubernetes.io/pod-name", fmt.Sprintf("%s-%d", w.name, i),
					"apps.kubernetes.io/pod-index", strconv.Itoa(i))
			}, false)
	case "DaemonSet":
		n := int32(w.replicas)
		hash := g.hash(10)
		ds := &appsv1.DaemonSet{
			TypeMeta:   typeDaemonSet,
			ObjectMeta: g.meta(ns, w.name, copyLabels(w.selector), created),
			Spec: appsv1.DaemonSetSpec{
				Selector:             &metav1.LabelSelector{MatchLabels: copyLabels(w.selector)},
				Template:             template(copyLabels(w.labels)),
				UpdateStrategy:       appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType},
				RevisionHistoryLimit: ptr.To(int32(10)),
			},
			Status: appsv1.DaemonSetStatus{
				CurrentNumberScheduled: n, DesiredNumberScheduled: n, NumberReady: n,
				UpdatedNumberScheduled: n, NumberAvailable: n, ObservedGeneration: 1,
			},
		}
		out = append(out, ds)
		pods(created, ownerRef("DaemonSet", ds.Name, ds.UID), ds.Name+"-",
			func(int) string { return ds.Name + "-" + g.hash(5) },
			func(int) map[string]string {
				return copyLabels(w.labels, "controller-revision-hash", hash, "pod-template-generation", "1")
			}, true)
	}
	return out
}

func (g *generator) serviceObject(w *workload, s service) *corev1.Service {
	m := g.meta(w.ns, s.name, copyLabels(w.selector), w.ns.created.Add(time.Hour))
	svc := &corev1.Service{
		TypeMeta:   typeService,
		ObjectMeta: m,
		Spec: corev1.ServiceSpec{
			Selector:              copyLabels(w.selector),
			Type:                  cmp.Or(s.typ, corev1.ServiceTypeClusterIP),
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
		},
	}
	for _, p := range s.ports {
		svc.Spec.Ports = append(svc.Spec.Ports, *p.DeepCopy())
	}
	switch {
	case s.headless:
		svc.Spec.ClusterIP = corev1.ClusterIPNone
		svc.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		svc.Spec.PublishNotReadyAddresses = true
	default:
		svc.Spec.ClusterIPs = g.serviceIPs()
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
	}
	svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
	if g.dualStack && !s.headless {
		svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, corev1.IPv6Protocol)
		svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = int32(30080 + 363*i)
		}
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		svc.Spec.HealthCheckNodePort = 32100
		svc.Spec.AllocateLoadBalancerNodePorts = ptr.To(true)
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.80", IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)}}
	}
	return svc
}
