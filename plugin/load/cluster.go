package load

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/pager"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// DefaultChunkSize is the page size of list requests, kubectl's default
// for --chunk-size.
const DefaultChunkSize = 500

// Cluster reads cluster state through the API, read-only: it lists, and
// gets Cilium's cilium-config ConfigMap by name.
type Cluster struct {
	Client kubernetes.Interface
	// Progress, when set, receives a progress line after each list (meant
	// for a terminal's stderr).
	Progress io.Writer
	// ChunkSize is the page size of lists; 0 reads each list in one
	// request, as kubectl's --chunk-size 0 does.
	ChunkSize int64

	counts map[string]int
	kinds  []string
	// apis is the discovery read so far.
	apis *apiDiscovery
}

// NewClient is the clientset a Cluster reads through, for cfg (which is
// not changed).
//
// Unless cfg sets a rate limit, the client-side limit is kubectl's for
// discovery (50 requests a second, bursts of 300) rather than client-go's
// default of 5: "map -A" of a 20,000-pod cluster reads about a hundred
// pages one after the other, and took 22 s at 5 a second, 12 s at 50. The
// server's priority and fairness still queues the requests.
//
// Built-in kinds are read as protobuf, as the control plane's own clients
// read them (JSON still accepted, for servers and proxies that answer only
// that): the pages of generated pods are a third smaller than in JSON and
// cheaper for the API server to encode (the plugin's own CPU on loopback
// is the same within noise). The cluster policies and the network
// plugins' policies, served by CRDs, are read as JSON all the same
// (getList asks for it).
func NewClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.ContentType == "" {
		cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
		cfg.ContentType = runtime.ContentTypeProtobuf
	}
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		cfg.QPS, cfg.Burst = 50, 300
	}
	return kubernetes.NewForConfig(cfg)
}

// Scope says what a question needs read.
type Scope struct {
	// AllNamespaces reads pods, policies, services and workloads of every
	// namespace; otherwise only of Namespaces.
	AllNamespaces bool
	Namespaces    []string
	// PodIPs are addresses to look up as pods cluster-wide (an IP endpoint
	// may be a pod's).
	PodIPs []string
}

// Failure is an optional read that failed: the answer may still be given
// unless it depends on the kind in that namespace.
type Failure struct {
	Kind      string
	Namespace string
	Err       error
}

// Read lists what the scope needs. Namespaces, Pods, NetworkPolicies, the
// cluster policies (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy, when their CRDs are installed) and the
// network plugins' own policies (query.PluginKinds, when served)
// decide every verdict, so failing to read them is an error; Services and workloads only
// name things, and Nodes only matter to cluster policy rules that select
// nodes, so those failures are returned for the snapshot to record.
func (c *Cluster) Read(ctx context.Context, sc Scope) ([]runtime.Object, []Failure, error) {
	var objs []runtime.Object
	var failures []Failure
	nsList, err := c.list(ctx, "namespaces", "", func(o metav1.ListOptions) (runtime.Object, error) {
		return c.Client.CoreV1().Namespaces().List(ctx, o)
	})
	if err != nil {
		return nil, nil, err
	}
	objs = append(objs, nsList...)

	namespaces := slices.Clone(sc.Namespaces)
	if sc.AllNamespaces {
		namespaces = []string{metav1.NamespaceAll}
	}
	// Pods an IP endpoint may name, found by field selector cluster-wide.
	for _, ip := range sc.PodIPs {
		if sc.AllNamespaces {
			break
		}
		pods, err := c.listOpts(ctx, "pods", "", metav1.ListOptions{FieldSelector: "status.podIP=" + ip}, func(o metav1.ListOptions) (runtime.Object, error) {
			return c.Client.CoreV1().Pods("").List(ctx, o)
		})
		if err != nil {
			return nil, nil, err
		}
		for _, p := range pods {
			if ns := p.(*corev1.Pod).Namespace; !slices.Contains(namespaces, ns) {
				namespaces = append(namespaces, ns)
			}
		}
	}
	slices.Sort(namespaces)
	namespaces = slices.Compact(namespaces)

	// Cluster policies are cluster-scoped and select pods of any
	// namespace, so every question that reads pods reads all of them. A
	// scope without namespaces reads no pods (completion of -n): no policy
	// can apply. The network plugins' policies are read alike, namespaced
	// ones in the scope's namespaces.
	if len(namespaces) > 0 {
		more, fails, err := c.readClusterPoliciesAndNodes(ctx)
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, more...)
		failures = append(failures, fails...)
		plugin, err := c.readUnevaluated(ctx, namespaces)
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, plugin...)
	}

	for _, ns := range namespaces {
		required := []struct {
			kind string
			list func(metav1.ListOptions) (runtime.Object, error)
		}{
			{"pods", func(o metav1.ListOptions) (runtime.Object, error) { return c.Client.CoreV1().Pods(ns).List(ctx, o) }},
			{"networkpolicies", func(o metav1.ListOptions) (runtime.Object, error) {
				return c.Client.NetworkingV1().NetworkPolicies(ns).List(ctx, o)
			}},
		}
		for _, r := range required {
			items, err := c.list(ctx, r.kind, ns, r.list)
			if err != nil {
				return nil, nil, err
			}
			objs = append(objs, items...)
		}
		for _, r := range c.optionalReads(ctx, ns) {
			items, err := c.list(ctx, r.kind, ns, r.list)
			if err != nil {
				failures = append(failures, Failure{Kind: r.kind, Namespace: ns, Err: err})
				continue
			}
			objs = append(objs, items...)
		}
	}
	if c.Progress != nil && len(c.kinds) > 0 {
		fmt.Fprintln(c.Progress)
	}
	return objs, failures, nil
}

type listCall struct {
	kind string
	list func(metav1.ListOptions) (runtime.Object, error)
}

// optionalReads are the kinds that name workloads and services.
func (c *Cluster) optionalReads(ctx context.Context, ns string) []listCall {
	core, apps, batch := c.Client.CoreV1(), c.Client.AppsV1(), c.Client.BatchV1()
	return []listCall{
		{"services", func(o metav1.ListOptions) (runtime.Object, error) { return core.Services(ns).List(ctx, o) }},
		{"replicasets", func(o metav1.ListOptions) (runtime.Object, error) { return apps.ReplicaSets(ns).List(ctx, o) }},
		{"deployments", func(o metav1.ListOptions) (runtime.Object, error) { return apps.Deployments(ns).List(ctx, o) }},
		{"statefulsets", func(o metav1.ListOptions) (runtime.Object, error) { return apps.StatefulSets(ns).List(ctx, o) }},
		{"daemonsets", func(o metav1.ListOptions) (runtime.Object, error) { return apps.DaemonSets(ns).List(ctx, o) }},
		{"jobs", func(o metav1.ListOptions) (runtime.Object, error) { return batch.Jobs(ns).List(ctx, o) }},
		{"cronjobs", func(o metav1.ListOptions) (runtime.Object, error) { return batch.CronJobs(ns).List(ctx, o) }},
		{"replicationcontrollers", func(o metav1.ListOptions) (runtime.Object, error) {
			return core.ReplicationControllers(ns).List(ctx, o)
		}},
	}
}

func (c *Cluster) list(ctx context.Context, kind, ns string, fn func(metav1.ListOptions) (runtime.Object, error)) ([]runtime.Object, error) {
	return c.listOpts(ctx, kind, ns, metav1.ListOptions{}, fn)
}

// listOpts lists one kind in one namespace page by page (limit/continue),
// or in one request when ChunkSize is 0.
func (c *Cluster) listOpts(ctx context.Context, kind, ns string, opts metav1.ListOptions, fn func(metav1.ListOptions) (runtime.Object, error)) ([]runtime.Object, error) {
	p := pager.New(pager.SimplePageFunc(fn))
	p.PageSize = c.ChunkSize
	var out []runtime.Object
	err := p.EachListItem(ctx, opts, func(obj runtime.Object) error {
		// Of a pod or a workload, only what verdicts read is kept: the
		// page it came in can go.
		out = append(out, query.Trim(obj))
		return nil
	})
	if err != nil {
		where := "cluster-wide"
		if ns != "" {
			where = "in namespace " + ns
		}
		return nil, fmt.Errorf("cannot list %s %s: %w", kind, where, err)
	}
	if c.Progress != nil {
		// "clusternetworkpolicies.policy.networking.k8s.io" shows as
		// "clusternetworkpolicies".
		short, _, _ := strings.Cut(kind, ".")
		c.progress(short, len(out))
	}
	return out, nil
}

// progress rewrites one line with the counts read so far, per kind.
func (c *Cluster) progress(kind string, n int) {
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	if _, seen := c.counts[kind]; !seen {
		c.kinds = append(c.kinds, kind)
	}
	c.counts[kind] += n
	parts := make([]string, len(c.kinds))
	for i, k := range c.kinds {
		parts[i] = fmt.Sprintf("%d %s", c.counts[k], k)
	}
	fmt.Fprintf(c.Progress, "\rread %s", strings.Join(parts, ", "))
}

// CNI identifies the network plugin from the DaemonSets of every
// namespace and, only when none names a plugin, from the Deployments (one
// paginated list each, cluster-wide). For Cilium it also reads the
// cilium-config ConfigMap by name (one get, in the namespace of Cilium's
// DaemonSet); a ConfigMap that cannot be read leaves the settings it holds
// unknown, with a note, and is not an error.
func (c *Cluster) CNI(ctx context.Context) (query.CNI, error) {
	apps := c.Client.AppsV1()
	items, err := c.list(ctx, "daemonsets", "", func(o metav1.ListOptions) (runtime.Object, error) {
		return apps.DaemonSets(metav1.NamespaceAll).List(ctx, o)
	})
	if err != nil {
		return query.CNI{}, err
	}
	dss := itemsOf[*appsv1.DaemonSet](items)
	cni := query.DetectCNI(dss, nil)
	if cni.Name == "" {
		items, err := c.list(ctx, "deployments", "", func(o metav1.ListOptions) (runtime.Object, error) {
			return apps.Deployments(metav1.NamespaceAll).List(ctx, o)
		})
		if err != nil {
			return query.CNI{}, err
		}
		cni = query.DetectCNI(dss, itemsOf[*appsv1.Deployment](items))
	}
	if cni.ReadsCiliumConfig() {
		cni = c.ciliumConfig(ctx, cni)
	}
	return cni, nil
}

// itemsOf are the items of a list, all of type T.
func itemsOf[T runtime.Object](items []runtime.Object) []T {
	out := make([]T, 0, len(items))
	for _, it := range items {
		out = append(out, it.(T))
	}
	return out
}

// ciliumConfig applies Cilium's cilium-config ConfigMap to the finding.
func (c *Cluster) ciliumConfig(ctx context.Context, cni query.CNI) query.CNI {
	cm, err := c.Client.CoreV1().ConfigMaps(cni.Namespace).Get(ctx, query.CiliumConfigMap, metav1.GetOptions{})
	where := fmt.Sprintf("ConfigMap %s/%s", cni.Namespace, query.CiliumConfigMap)
	switch {
	case apierrors.IsNotFound(err):
		return cni.WithoutCiliumConfig(where + " was not found")
	case apierrors.IsForbidden(err):
		return cni.WithoutCiliumConfig("reading " + where + " is forbidden")
	case err != nil:
		return cni.WithoutCiliumConfig(fmt.Sprintf("cannot read %s: %v", where, err))
	}
	return cni.WithCiliumConfig(cm.Data)
}
