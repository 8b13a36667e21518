package query

import (
	"cmp"
	"fmt"
	"net/netip"
	"path"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// NamespaceNameLabel is the immutable label the API server puts on every
// namespace; namespaceSelectors often use it.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// Options are the choices Kubernetes leaves to the CNI.
type Options struct {
	// Profile is what the network plugin does where the API leaves a
	// choice (profile.go); the zero Profile leaves every behaviour unknown.
	Profile Profile
	// WorkloadStandIns turns each workload that owns none of the given pods
	// into a stand-in pod built from its template: right for manifests, wrong
	// for a live cluster, where a workload without pods runs nothing.
	WorkloadStandIns bool
	// IgnoreKinds are policy kinds of network plugins (PluginKinds,
	// as PluginKindsNamed reads a name) to judge without: their
	// objects are kept apart (Ignored) instead of making verdicts about
	// the pods they select undecided.
	IgnoreKinds []string

	// standIns names workloads ("ns/Kind/name") that get a stand-in pod
	// whatever WorkloadStandIns says: workloads an overlay brings in.
	standIns map[string]bool
	// assume decides unknown behaviours of the profile: a variant of the
	// snapshot (Variants).
	assume map[Behaviour]bool
}

// DefaultOptions judge by the API text (SpecProfile), for manifests.
func DefaultOptions() Options {
	return Options{Profile: SpecProfile(), WorkloadStandIns: true}
}

// Namespace is a namespace and its labels.
type Namespace struct {
	Name   string
	Labels labels.Set
	// Synthesized is true when no Namespace object was given and the
	// namespace was only named by other objects.
	Synthesized bool
}

// ContainerPort is a port a pod's container declares.
type ContainerPort struct {
	Name     string          `json:"name,omitempty"`
	Port     int32           `json:"port"`
	Protocol corev1.Protocol `json:"protocol"`
}

// WorkloadRef names the workload that owns a pod.
type WorkloadRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Pod is what policy evaluation needs of a pod: a real one, or a stand-in
// built from a workload's pod template.
type Pod struct {
	Namespace string
	Name      string
	Labels    labels.Set
	// IPs are the pod's addresses, primary first; empty when unknown.
	IPs   []netip.Addr
	Ports []ContainerPort
	// Workload is the owning workload, nil for a bare pod.
	Workload *WorkloadRef
	// StandIn is true for a pod built from a workload template.
	StandIn     bool
	HostNetwork bool
	// NodeName is the node the pod is scheduled on, when known.
	NodeName string
	// ServiceAccount is the pod's service account ("default" when not
	// written, as the API server sets it).
	ServiceAccount string

	// source is the Pod object the pod was read from; nil for stand-ins.
	source runtime.Object
}

// Key is "namespace/name".
func (p *Pod) Key() string { return p.Namespace + "/" + p.Name }

// Service is what queries need of a Service: its selector and ports.
type Service struct {
	Namespace string
	Name      string
	Labels    map[string]string
	Selector  map[string]string
	Ports     []corev1.ServicePort
}

// Snapshot is the cluster state a question is answered against, with the
// indexes built once.
type Snapshot struct {
	opts Options
	// sem is the concrete behaviour of the network plugin this snapshot
	// judges under.
	sem semantics
	// nodeAddrs are the addresses of the nodes given.
	nodeAddrs map[netip.Addr]bool
	// varied are the snapshot's variants (variants.go).
	varied *variantSet
	// nodeLocal are the network plugin's node-to-pod policies, one per
	// node pods are known to run on (BehaviourNodeToPod).
	nodeLocal []*Policy
	// ignoredCluster are the cluster policies the network plugin does not
	// enforce (BehaviourClusterPolicies), kept to say so.
	ignoredCluster []*Policy
	// objects are the objects the snapshot was built from, for overlays.
	objects    []runtime.Object
	namespaces map[string]*Namespace
	pods       []*Pod
	podsByNS   map[string][]*Pod
	// podsByIP lists the pods holding each address: usually one, several
	// for host-network pods of one node or a stale pod.
	podsByIP map[netip.Addr][]*Pod
	// terminated are pods (by "namespace/name") that have finished, with
	// their phase: no traffic, but a name a user may ask about.
	terminated map[string]corev1.PodPhase
	services   map[string][]*Service
	policies   map[string][]*Policy
	// cluster are the cluster-scoped policies in evaluation order;
	// clusterCilium the CiliumClusterwideNetworkPolicies' rules, which
	// judge in the NetworkPolicy stage.
	cluster       []*Policy
	clusterCilium []*Policy
	nodes         []*clusterNode
	workloads     map[string][]WorkloadRef // namespace -> workloads
	// workloadSelectors are the top-level workloads' matchLabels
	// selectors, by "namespace/Kind/name".
	workloadSelectors map[string]labels.Set
	// unreadable records reads that failed, by "kind namespace", so that
	// answers that depend on them fail instead of guessing.
	unreadable map[string]error
	// classes and classOf are built on first use by Classes.
	classes []*Class
	classOf map[*Pod]*Class
	bare    map[*Class]int
	// dns is the snapshot DNS checks judge against (standardDNS).
	dns *dnsProbe
	// unevaluated are the policy objects of network plugins' own APIs,
	// and ignored those of Options.IgnoreKinds (ignoreKinds).
	unevaluated, ignored []*Unevaluated
	ignoreKinds          map[*PluginKind]bool
	// ciliumIDs are the Cilium identities of the pods (cilium_identity.go),
	// built by index when Cilium policies are read; ciliumGroups the
	// CiliumCIDRGroups read.
	ciliumIDs    map[*Pod]ciliumIdentity
	ciliumGroups []*ciliumCIDRGroup
	// visibleLabels are the pods' labels Cilium's identities keep, for
	// NetworkPolicy selectors under the Cilium profile.
	visibleLabels map[*Pod]labels.Set
	// runTime is set when some rule has a peer only the dataplane knows
	// the members of: the answers are also judged under its other reading.
	runTime bool
	// nodeRelative is set when some rule has a peer whose answer depends
	// on the subject's node: classes then split by node.
	nodeRelative bool
	// ties is set when two cluster policies share a tier and priority, so
	// that some verdicts may be ambiguous.
	ties bool
	// Warnings are things the caller should tell the user, e.g. hostNetwork
	// pods policy cannot govern, sorted by message. Answers carry those
	// that concern them.
	Warnings []Warning
}

// NewSnapshot builds a snapshot from typed API objects: Namespaces, Pods,
// Services, NetworkPolicies and workloads (Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job, CronJob, ReplicationController), and as
// *unstructured.Unstructured the policy kinds of PluginKinds. Objects
// must carry their namespace. Workloads that own none of the given pods become
// stand-in pods. Other kinds are an error; the loader filters them first.
func NewSnapshot(objs []runtime.Object, opts Options) (*Snapshot, error) {
	s := &Snapshot{
		opts:              opts,
		sem:               semanticsOf(opts.Profile, opts.assume),
		varied:            &variantSet{},
		objects:           objs,
		namespaces:        map[string]*Namespace{},
		podsByNS:          map[string][]*Pod{},
		podsByIP:          map[netip.Addr][]*Pod{},
		terminated:        map[string]corev1.PodPhase{},
		dns:               &dnsProbe{},
		services:          map[string][]*Service{},
		policies:          map[string][]*Policy{},
		workloads:         map[string][]WorkloadRef{},
		workloadSelectors: map[string]labels.Set{},
		unreadable:        map[string]error{},
	}
	var err error
	if s.ignoreKinds, err = ignoredKinds(opts.IgnoreKinds); err != nil {
		return nil, err
	}
	// NetworkPolicies compile on every core first (CompilePolicy reads
	// only its object); the loop below takes them in order, errors too.
	type compiled struct {
		p   *Policy
		err error
	}
	policies := make([]compiled, len(objs))
	parallelFor(len(objs), func(i int) {
		if o, ok := objs[i].(*networkingv1.NetworkPolicy); ok {
			policies[i].p, policies[i].err = CompilePolicy(o)
		}
	})
	var workloads []runtime.Object
	var cilium []*unstructured.Unstructured
	for i, obj := range objs {
		switch o := obj.(type) {
		case *corev1.Namespace:
			lbls := labels.Set{}
			for k, v := range o.Labels {
				lbls[k] = v
			}
			lbls[NamespaceNameLabel] = o.Name
			s.namespaces[o.Name] = &Namespace{Name: o.Name, Labels: lbls}
		case *corev1.Pod:
			if err := checkOwnerRefs(o.OwnerReferences); err != nil {
				return nil, fmt.Errorf("pod %s/%s: %w", o.Namespace, o.Name, err)
			}
			if o.Status.Phase == corev1.PodSucceeded || o.Status.Phase == corev1.PodFailed {
				// A terminated pod sends and receives nothing; it is kept
				// by name only, to say so when asked about.
				s.terminated[o.Namespace+"/"+o.Name] = o.Status.Phase
				continue
			}
			pod, err := podFromObject(o)
			if err != nil {
				return nil, fmt.Errorf("pod %s/%s: %w", o.Namespace, o.Name, err)
			}
			pod.source = o
			s.addPod(pod)
		case *corev1.Service:
			s.services[o.Namespace] = append(s.services[o.Namespace], &Service{
				Namespace: o.Namespace, Name: o.Name, Labels: o.Labels, Selector: o.Spec.Selector, Ports: o.Spec.Ports,
			})
		case *networkingv1.NetworkPolicy:
			p, err := policies[i].p, policies[i].err
			if err != nil {
				return nil, fmt.Errorf("networkpolicy %s/%s: %w", o.Namespace, o.Name, err)
			}
			p.adapt(s.sem)
			s.policies[o.Namespace] = append(s.policies[o.Namespace], p)
		case *corev1.Node:
			n, err := nodeFromObject(o)
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", o.Name, err)
			}
			s.nodes = append(s.nodes, n)
		case *unstructured.Unstructured:
			if isCiliumKind(o) {
				cilium = append(cilium, o)
				continue
			}
			if err := s.addUnevaluated(o); err != nil {
				return nil, err
			}
		default:
			if isClusterPolicy(obj) {
				c, err := CompileClusterPolicy(obj)
				if err != nil {
					ref, _ := refOf(obj)
					return nil, fmt.Errorf("%s: %w", strings.ToLower(ref.Kind)+" "+ref.Name, err)
				}
				for _, fc := range c.failClosed {
					s.Warnings = append(s.Warnings, failClosedWarning(c, fc))
				}
				if !s.sem.clusterPolicies {
					s.ignoredCluster = append(s.ignoredCluster, c)
					continue
				}
				s.cluster = append(s.cluster, c)
				continue
			}
			if _, ok := workloadKind(obj); !ok {
				return nil, unsupported(obj)
			}
			if m, ok := obj.(metav1.Object); ok {
				if err := checkOwnerRefs(m.GetOwnerReferences()); err != nil {
					w, _ := workloadKind(obj)
					return nil, fmt.Errorf("%s %s/%s: %w", strings.ToLower(w.ref.Kind), w.namespace, w.ref.Name, err)
				}
			}
			workloads = append(workloads, obj)
		}
	}
	if err := s.addWorkloads(workloads); err != nil {
		return nil, err
	}
	if err := s.addCilium(cilium); err != nil {
		return nil, err
	}
	s.index()
	return s, nil
}

// unsupported is the error for an object of a kind or version the engine
// does not read, named by kind, version and name as far as they are known.
func unsupported(obj runtime.Object) error {
	t := reflect.TypeOf(obj)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	what := t.Name()
	if v := path.Base(t.PkgPath()); v != "." {
		what = path.Base(path.Dir(t.PkgPath())) + "/" + v + " " + what
	}
	if m, err := meta.Accessor(obj); err == nil {
		what += " " + strings.TrimPrefix(m.GetNamespace()+"/"+m.GetName(), "/")
	}
	return fmt.Errorf("%s: kind or version not supported", what)
}

func (s *Snapshot) addPod(p *Pod) {
	s.pods = append(s.pods, p)
}

// warnHostNetwork warns once per workload (or bare pod) whose pods use
// the node's network, which most network plugins do not police.
func (s *Snapshot) warnHostNetwork() {
	seen := map[string]bool{}
	for _, p := range s.pods {
		if !p.HostNetwork {
			continue
		}
		if p.Workload != nil && !p.StandIn {
			if seen[p.Namespace+"/"+p.Workload.Kind+"/"+p.Workload.Name] {
				continue
			}
			seen[p.Namespace+"/"+p.Workload.Kind+"/"+p.Workload.Name] = true
		}
		s.Warnings = append(s.Warnings, hostNetworkWarning(p))
	}
}

// index sorts everything and builds the lookup tables, synthesising
// namespaces that objects name but no Namespace object defines.
func (s *Snapshot) index() {
	slices.SortFunc(s.pods, func(a, b *Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, p := range s.pods {
		s.ensureNamespace(p.Namespace)
		s.podsByNS[p.Namespace] = append(s.podsByNS[p.Namespace], p)
		for _, ip := range p.IPs {
			s.podsByIP[ip] = append(s.podsByIP[ip], p)
		}
	}
	if s.sem.isolateAll {
		for name := range s.namespaces {
			s.policies[name] = append(s.policies[name], isolateAllPolicy(name, s.sem))
		}
	}
	s.nodeAddrs = map[netip.Addr]bool{}
	for _, n := range s.nodes {
		for _, a := range n.addrs {
			s.nodeAddrs[a] = true
		}
	}
	if s.sem.nodeToPod {
		s.nodeLocal = nodeLocalPolicies(s.pods, s.nodes, s.sem)
	}
	for ns, ps := range s.policies {
		s.ensureNamespace(ns)
		slices.SortStableFunc(ps, func(a, b *Policy) int { return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.kind, b.kind)) })
	}
	slices.SortStableFunc(s.clusterCilium, func(a, b *Policy) int { return cmp.Compare(a.name, b.name) })
	s.indexCilium()
	for ns, svcs := range s.services {
		s.ensureNamespace(ns)
		slices.SortFunc(svcs, func(a, b *Service) int { return cmp.Compare(a.Name, b.Name) })
	}
	s.warnHostNetwork()
	sortClusterPolicies(s.cluster)
	s.ties = s.hasTies()
	sortUnevaluated(s.unevaluated)
	sortUnevaluated(s.ignored)
	slices.SortFunc(s.nodes, func(a, b *clusterNode) int { return cmp.Compare(a.name, b.name) })
	if n := len(s.ignoredCluster); n > 0 {
		names := make([]string, n)
		for i, c := range s.ignoredCluster {
			names[i] = c.key()
		}
		s.Warnings = append(s.Warnings, Warning{Kind: WarnNetworkPlugin, Message: fmt.Sprintf("judged without %s: the network plugin does not enforce cluster policies (profile %s)", strings.Join(names, ", "), s.opts.Profile.Name)})
	}
	if hasKind(s.cluster, "ClusterNetworkPolicy") && (hasKind(s.cluster, "AdminNetworkPolicy") || hasKind(s.cluster, "BaselineAdminNetworkPolicy")) {
		s.Warnings = append(s.Warnings, mixedClusterKindsWarning)
	}
	sortWarnings(s.Warnings)
}

func hasKind(ps []*Policy, kind string) bool {
	return slices.ContainsFunc(ps, func(c *Policy) bool { return c.kind == kind })
}

func (s *Snapshot) ensureNamespace(name string) {
	if _, ok := s.namespaces[name]; !ok {
		s.namespaces[name] = &Namespace{Name: name, Labels: labels.Set{NamespaceNameLabel: name}, Synthesized: true}
	}
}

// MarkUnreadable records that a kind could not be read in a namespace ("" for
// cluster-wide), so that answers that depend on it are errors, not guesses.
func (s *Snapshot) MarkUnreadable(kind, namespace string, err error) {
	s.unreadable[kind+" "+namespace] = err
}

// readErr returns the error of a failed read of kind in namespace, if any.
func (s *Snapshot) readErr(kind, namespace string) error {
	if err, ok := s.unreadable[kind+" "+namespace]; ok && namespace == "" {
		return fmt.Errorf("%s could not be read: %w", kind, err)
	} else if ok {
		return fmt.Errorf("%s in namespace %s could not be read: %w", kind, namespace, err)
	}
	return nil
}

// Namespace returns a namespace by name, or nil.
func (s *Snapshot) Namespace(name string) *Namespace { return s.namespaces[name] }

// Namespaces returns every namespace, sorted by name.
func (s *Snapshot) Namespaces() []*Namespace {
	out := make([]*Namespace, 0, len(s.namespaces))
	for _, ns := range s.namespaces {
		out = append(out, ns)
	}
	slices.SortFunc(out, func(a, b *Namespace) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Pods returns every pod, sorted by namespace and name.
func (s *Snapshot) Pods() []*Pod { return s.pods }

// PodsIn returns the pods of one namespace, sorted by name.
func (s *Snapshot) PodsIn(ns string) []*Pod { return s.podsByNS[ns] }

// PoliciesIn returns the NetworkPolicies of one namespace, sorted by name.
func (s *Snapshot) PoliciesIn(ns string) []*Policy { return s.policies[ns] }

// ServicesIn returns the Services of one namespace, sorted by name.
func (s *Snapshot) ServicesIn(ns string) []*Service { return s.services[ns] }

// podFromObject copies what evaluation needs from a Pod.
func podFromObject(o *corev1.Pod) (*Pod, error) {
	p := podFromSpec(o.Namespace, o.Name, o.Labels, &o.Spec)
	ips := o.Status.PodIPs
	if len(ips) == 0 && o.Status.PodIP != "" {
		ips = []corev1.PodIP{{IP: o.Status.PodIP}}
	}
	for i, ip := range ips {
		addr, err := parseIP(ip.IP)
		if err != nil {
			path := fmt.Sprintf("status.podIPs[%d]", i)
			if len(o.Status.PodIPs) == 0 {
				path = "status.podIP"
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		p.IPs = append(p.IPs, addr)
	}
	if ref := controllerOf(o.OwnerReferences); ref != nil {
		p.Workload = ref
	}
	return p, nil
}

// podFromSpec builds a pod from labels and a pod spec: containers and
// restartable init containers (sidecars) contribute their declared ports.
func podFromSpec(ns, name string, lbls map[string]string, spec *corev1.PodSpec) *Pod {
	// The labels are the object's own map, shared, never written: a copy
	// per pod is a large part of a large cluster's snapshot.
	p := &Pod{Namespace: ns, Name: name, Labels: labels.Set(lbls), HostNetwork: spec.HostNetwork, NodeName: spec.NodeName,
		ServiceAccount: cmp.Or(spec.ServiceAccountName, spec.DeprecatedServiceAccount, "default")}
	if p.Labels == nil {
		p.Labels = labels.Set{}
	}
	addPorts := func(cs []corev1.Container) {
		for _, c := range cs {
			for _, cp := range c.Ports {
				proto := cp.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				p.Ports = append(p.Ports, ContainerPort{Name: cp.Name, Port: cp.ContainerPort, Protocol: proto})
			}
		}
	}
	addPorts(spec.Containers)
	var sidecars []corev1.Container
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars = append(sidecars, c)
		}
	}
	addPorts(sidecars)
	return p
}
