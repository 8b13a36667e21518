package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// seedWorkers is how many create requests are in flight while seeding a
// generated cluster: enough to keep a local kube-apiserver and etcd busy
// on two cores, few enough not to queue behind its inflight limit.
const seedWorkers = 24

// generatedCluster is a kube-apiserver of its own, holding a cluster from
// internal/gen, and the same objects as manifests on disk.
type generatedCluster struct {
	// config and kubeconfig are an admin's.
	config     *rest.Config
	kubeconfig string
	manifests  string
	pods       int
	seeded     time.Duration // creating every object, statuses included
}

// newGeneratedCluster starts a kube-apiserver and etcd of their own (the
// shared one holds the three-tier example and what other tests leave, and
// "map -A" would read those too), with the service ranges the generator
// allocates ClusterIPs from, and seeds them with gen.Cluster for pods
// pods. The objects are also written with gen.WriteManifests, so a live
// answer can be checked against one from -f.
func newGeneratedCluster(tb testing.TB, pods int) *generatedCluster {
	tb.Helper()
	e := &envtest.Environment{ControlPlaneStartTimeout: 2 * time.Minute, ControlPlaneStopTimeout: time.Minute}
	// Services get ClusterIPs from 10.96.0.0/12 and, in dual-stack
	// clusters, fd00:10:96::/112 (internal/gen's address plan).
	e.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/12,fd00:10:96::/112")
	cfg, err := e.Start()
	if err != nil {
		tb.Fatalf("start a kube-apiserver for %d pods: %v", pods, err)
	}
	tb.Cleanup(func() {
		if err := e.Stop(); err != nil {
			tb.Errorf("stop the kube-apiserver: %v", err)
		}
	})
	u, err := e.AddUser(envtest.User{Name: "gen-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	gc := &generatedCluster{config: u.Config(), kubeconfig: filepath.Join(dir, "admin.kubeconfig"), manifests: filepath.Join(dir, "manifests"), pods: pods}
	kc, err := u.KubeConfig()
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(gc.kubeconfig, kc, 0o600); err != nil {
		tb.Fatal(err)
	}
	// The seeding client is not the one measured: no client-side rate
	// limit, protobuf on the wire.
	seedCfg := rest.CopyConfig(u.Config())
	seedCfg.QPS, seedCfg.Burst = 10000, 10000
	seedCfg.ContentType = runtime.ContentTypeProtobuf
	client, err := kubernetes.NewForConfig(seedCfg)
	if err != nil {
		tb.Fatal(err)
	}

	objs := gen.Cluster(gen.Config{Pods: pods, Policies: pods / 5, Seed: 1})
	if err := gen.WriteManifests(gc.manifests, objs); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := seedGenerated(context.Background(), client, objs); err != nil {
		tb.Fatalf("seed %d pods: %v", pods, err)
	}
	gc.seeded = time.Since(start)
	tb.Logf("seeded %d objects (%d pods) in %s", len(objs), pods, gc.seeded.Round(time.Millisecond))
	return gc
}

// seedGenerated creates a generated cluster on a bare API server the way
// its controllers would have left it, in dependency order: Namespaces;
// then workloads, Services and NetworkPolicies; then ReplicaSets; then
// Pods, each marked with its generated status (Running, IPs) through the
// status subresource. Owner references are rewritten to the UIDs the
// server gave the owners. Each phase runs seedWorkers creates at a time.
func seedGenerated(ctx context.Context, c kubernetes.Interface, objs []runtime.Object) error {
	uids := &ownerUIDs{m: map[string]types.UID{}}
	phase := func(want func(runtime.Object) bool) error {
		g, ctx := errgroup.WithContext(ctx)
		g.SetLimit(seedWorkers)
		for _, obj := range objs {
			if !want(obj) {
				continue
			}
			g.Go(func() error { return createGenerated(ctx, c, obj, uids) })
		}
		return g.Wait()
	}
	isKind := func(kinds ...string) func(runtime.Object) bool {
		return func(o runtime.Object) bool {
			k := o.GetObjectKind().GroupVersionKind().Kind
			for _, want := range kinds {
				if k == want {
					return true
				}
			}
			return false
		}
	}
	for _, kinds := range [][]string{
		{"Namespace"},
		{"Deployment", "StatefulSet", "DaemonSet", "Service", "NetworkPolicy"},
		{"ReplicaSet"},
		{"Pod"},
	} {
		if err := phase(isKind(kinds...)); err != nil {
			return err
		}
	}
	var unknown []string
	for _, obj := range objs {
		if !isKind("Namespace", "Deployment", "StatefulSet", "DaemonSet", "Service", "NetworkPolicy", "ReplicaSet", "Pod")(obj) {
			unknown = append(unknown, fmt.Sprintf("%T", obj))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("seed: generated objects of kinds not seeded: %v", unknown)
	}
	return nil
}

// ownerUIDs are the UIDs the server gave workloads, by kind/namespace/name.
type ownerUIDs struct {
	mu sync.Mutex
	m  map[string]types.UID
}

func (u *ownerUIDs) set(kind string, m metav1.ObjectMeta) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.m[kind+"/"+m.Namespace+"/"+m.Name] = m.UID
}

// rewrite points owner references at the server's UIDs of their owners.
func (u *ownerUIDs) rewrite(m *metav1.ObjectMeta) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	m.UID = ""
	refs := make([]metav1.OwnerReference, len(m.OwnerReferences))
	for i, ref := range m.OwnerReferences {
		uid, ok := u.m[ref.Kind+"/"+m.Namespace+"/"+ref.Name]
		if !ok {
			return fmt.Errorf("%s/%s: owner %s %s was not created first", m.Namespace, m.Name, ref.Kind, ref.Name)
		}
		ref.UID = uid
		refs[i] = ref
	}
	m.OwnerReferences = refs
	return nil
}

// createGenerated creates one generated object (a copy: the manifests were
// written from the originals) and records its UID for its dependants.
func createGenerated(ctx context.Context, c kubernetes.Interface, obj runtime.Object, uids *ownerUIDs) error {
	obj = obj.DeepCopyObject()
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		o.UID = ""
		_, err = c.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // default, kube-system, kube-public, kube-node-lease
			_, err = c.CoreV1().Namespaces().Update(ctx, o, metav1.UpdateOptions{})
		}
	case *corev1.Service:
		o.UID = ""
		_, err = c.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *networkingv1.NetworkPolicy:
		o.UID = ""
		_, err = c.NetworkingV1().NetworkPolicies(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *appsv1.Deployment:
		if err = uids.rewrite(&o.ObjectMeta); err == nil {
			o, err = c.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err == nil {
			uids.set("Deployment", o.ObjectMeta)
		}
	case *appsv1.StatefulSet:
		if err = uids.rewrite(&o.ObjectMeta); err == nil {
			o, err = c.AppsV1().StatefulSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err == nil {
			uids.set("StatefulSet", o.ObjectMeta)
		}
	case *appsv1.DaemonSet:
		if err = uids.rewrite(&o.ObjectMeta); err == nil {
			o, err = c.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err == nil {
			uids.set("DaemonSet", o.ObjectMeta)
		}
	case *appsv1.ReplicaSet:
		if err = uids.rewrite(&o.ObjectMeta); err == nil {
			o, err = c.AppsV1().ReplicaSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err == nil {
			uids.set("ReplicaSet", o.ObjectMeta)
		}
	case *corev1.Pod:
		status := o.Status
		if err = uids.rewrite(&o.ObjectMeta); err == nil {
			o, err = c.CoreV1().Pods(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err == nil {
			o.Status = status
			_, err = c.CoreV1().Pods(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{})
		}
	default:
		err = fmt.Errorf("unexpected %T", obj)
	}
	if err != nil {
		m, _ := meta.Accessor(obj)
		return fmt.Errorf("create %s %s/%s: %w", obj.GetObjectKind().GroupVersionKind().Kind, m.GetNamespace(), m.GetName(), err)
	}
	return nil
}
