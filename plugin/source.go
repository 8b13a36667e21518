package plugin

import (
	"context"
	"fmt"
	"io"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// source is where the state an answer is judged on comes from. Each kind
// of input is one type, chosen by globalOptions.source: the next ones
// (kustomize -k, Helm charts, flow files) are one more type each.
type source interface {
	// snapshot reads what the scope needs and builds the snapshot with
	// opts. ns is the namespace unqualified names mean, and explicit
	// whether the user chose it (-n or the kubeconfig context) rather than
	// it falling back to "default".
	snapshot(scope load.Scope, ns string, explicit bool, opts query.Options) (*loaded, error)
	// String names the source in messages about what it read.
	String() string
}

// source is where the base state comes from: the -f manifests, else the
// cluster the kubeconfig flags name.
func (g *globalOptions) source() source {
	if len(g.snapshot.filenames) > 0 || g.snapshot.inputs.given() {
		return g.inputs()
	}
	return liveCluster{g}
}

// manifests are objects in files, directories or on standard input ("-"):
// the base state with -f, the what-if overlay with --with.
type manifests struct {
	// flag is the flag that named the paths, and names the source.
	flag      string
	paths     []string
	recursive bool
	// kustomize are kustomize directories and charts Helm charts, each
	// rendered with what chart says.
	kustomize, charts []string
	chart             func(path, ns string) (load.Chart, error)
	// shown names paths in messages (load.Source.Shown).
	shown func(string) string
	stdin io.Reader
	// warn receives the warnings of reading, such as skipped kinds.
	warn io.Writer
	// cniGiven is set when --cni named the plugin; overrides applies the
	// flags that override a profile's switches.
	cniGiven  bool
	overrides func(query.Profile) query.Profile
	// positions, when set, receives where each object is written.
	positions *load.Positions
}

// manifests reads the paths given to flag, recursively with -R.
func (g *globalOptions) manifests(flag string, paths []string) manifests {
	return manifests{flag: flag, paths: paths, recursive: g.snapshot.recursive, stdin: g.In, warn: g.ErrOut,
		cniGiven: g.snapshot.cni != "", overrides: g.overrides, positions: g.positions}
}

func (m manifests) String() string { return m.flag }

// objects reads the manifests; ns is given to namespaced objects that name
// none.
func (m manifests) objects(ns string) ([]runtime.Object, error) {
	src := load.Source{Filenames: m.paths, Recursive: m.recursive, Stdin: m.stdin, Namespace: ns, Positions: m.positions, Kustomizations: m.kustomize, Shown: m.shown}
	for _, path := range m.charts {
		c, err := m.chart(path, ns)
		if err != nil {
			return nil, err
		}
		src.Charts = append(src.Charts, c)
	}
	return load.Manifests(src, m.warn)
}

// snapshot reads every manifest, whatever the scope: they are all at hand.
// Unless the user chose a namespace, unqualified names mean the one the
// manifests are about.
func (m manifests) snapshot(_ load.Scope, ns string, explicit bool, opts query.Options) (*loaded, error) {
	objs, err := m.objects(ns)
	if err != nil {
		return nil, err
	}
	objs, opts.Profile = m.ciliumConfig(objs, opts.Profile)
	snap, err := query.NewSnapshot(objs, opts)
	if err != nil {
		return nil, err
	}
	if !explicit {
		ns = manifestNamespace(snap, ns)
	}
	return &loaded{snap: snap, namespace: ns}, nil
}

// ciliumConfig takes Cilium's cilium-config ConfigMap out of the
// manifests and applies its settings to the profile (CNI-DET-2): to the
// Cilium profile, or in place of the API text when no --cni was given, as
// a live Cilium cluster's would be. Under another --cni it is ignored,
// with a warning.
func (m manifests) ciliumConfig(objs []runtime.Object, p query.Profile) ([]runtime.Object, query.Profile) {
	var cm *corev1.ConfigMap
	objs = slices.DeleteFunc(objs, func(o runtime.Object) bool {
		c, ok := o.(*corev1.ConfigMap)
		if ok {
			cm = c
		}
		return ok
	})
	if cm == nil {
		return objs, p
	}
	switch {
	case p.Name == "cilium":
	case !m.cniGiven:
		cilium, err := query.ProfileNamed("cilium")
		if err != nil {
			panic(err) // a profile of the table
		}
		cilium.Why = "Cilium's settings given with " + m.flag
		p = cilium
	default:
		fmt.Fprintf(m.warn, "Warning: ConfigMap %s/%s ignored: the network plugin is %s (--cni)\n", cm.Namespace, cm.Name, p.Name)
		return objs, p
	}
	c := query.CNI{Name: "cilium", Profile: &p, Namespace: cm.Namespace, Enforces: true}.WithCiliumConfig(cm.Data)
	if m.overrides != nil {
		return objs, m.overrides(*c.Profile)
	}
	return objs, *c.Profile
}

// manifestNamespace picks the namespace unqualified names mean in manifests
// when neither -n nor the kubeconfig chose one: the one namespace that holds
// NetworkPolicies (manifests are usually about one namespace's policies),
// else the one namespace that holds pods or workloads, else the fallback.
func manifestNamespace(snap *query.Snapshot, fallback string) string {
	var withPolicies, withPods []string
	for _, ns := range snap.Namespaces() {
		if len(snap.PoliciesIn(ns.Name)) > 0 {
			withPolicies = append(withPolicies, ns.Name)
		}
		if len(snap.PodsIn(ns.Name)) > 0 {
			withPods = append(withPods, ns.Name)
		}
	}
	switch {
	case len(withPolicies) == 1:
		return withPolicies[0]
	case len(withPolicies) == 0 && len(withPods) == 1:
		return withPods[0]
	}
	return fallback
}

// liveCluster is the cluster the kubeconfig flags name, read (read-only)
// through its API.
type liveCluster struct{ g *globalOptions }

func (liveCluster) String() string { return "the cluster" }

// snapshot reads the part of the cluster the scope names, with the
// default namespace for scope namespaces left empty, and checks the
// network plugin unless --no-cni-check. Optional lists that could not be
// read are warned about and marked unreadable, so that only the answers
// that need them fail.
func (c liveCluster) snapshot(scope load.Scope, ns string, _ bool, opts query.Options) (*loaded, error) {
	g := c.g
	for i, n := range scope.Namespaces {
		if n == "" {
			scope.Namespaces[i] = ns
		}
	}
	cl, err := g.cluster()
	if err != nil {
		return nil, err
	}
	defer g.progress.end()
	ctx := context.Background()
	objs, failures, err := cl.Read(ctx, scope)
	if err != nil {
		return nil, withTimeoutHint(err, g.configFlags)
	}
	var found *query.CNI
	if g.snapshot.noCNICheck {
		// The user knows; say nothing.
	} else if cni, err := cl.CNI(ctx); err != nil {
		g.warn(query.Warning{Kind: query.WarnNetworkPlugin, Message: fmt.Sprintf("could not check the network plugin: %v", err)})
	} else {
		found = &cni
		if !cni.Enforces {
			g.warn(query.Warning{Kind: query.WarnNetworkPlugin, Object: cni.Name, Message: cni.Note})
		}
	}
	opts.Profile = g.liveProfile(opts.Profile, found)
	opts.WorkloadStandIns = false
	snap, err := query.NewSnapshot(objs, opts)
	if err != nil {
		return nil, err
	}
	for _, f := range failures {
		snap.MarkUnreadable(f.Kind, f.Namespace, f.Err)
		g.warn(query.Warning{Kind: query.WarnUnreadable, Object: f.Kind, Message: fmt.Sprintf("%v (answers that need them will fail)", f.Err)})
	}
	return &loaded{snap: snap, namespace: ns, cni: found}, nil
}

// liveProfile is the profile a cluster is judged under: --cni when given
// (given, with the overrides already applied), else the detected plugin's,
// else the API text, saying why.
func (g *globalOptions) liveProfile(given query.Profile, found *query.CNI) query.Profile {
	if g.snapshot.cni != "" {
		return given
	}
	p := query.SpecProfile()
	switch {
	case g.snapshot.noCNICheck:
		p.Why = "--no-cni-check: the network plugin was not looked for; give --cni NAME to judge as it does"
	case found == nil:
		p.Why = "the network plugin could not be checked; give --cni NAME to judge as it does"
	case found.Profile != nil:
		p = *found.Profile
	case found.Name != "":
		p.Why = fmt.Sprintf("%s has no profile here: judged by the API text; give --cni NAME to judge as another plugin", found.Name)
	default:
		p.Why = "no known network plugin was found: judged by the API text; give --cni NAME to judge as yours does"
	}
	return g.overrides(p)
}

// cluster connects to the cluster the kubeconfig flags name.
func (g *globalOptions) cluster() (*load.Cluster, error) {
	if raw, err := g.configFlags.ToRawKubeConfigLoader().RawConfig(); err == nil && raw.CurrentContext == "" && *g.configFlags.Context == "" && *g.configFlags.APIServer == "" {
		return nil, fmt.Errorf("no cluster to read: the kubeconfig has no current context (use --kubeconfig/--context, or read manifests with -f FILE|DIR|-)")
	}
	cfg, err := g.configFlags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("no cluster to read (and no -f manifests given): %w", err)
	}
	client, err := load.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	c := &load.Cluster{Client: client, ChunkSize: int64(g.snapshot.chunkSize)}
	if g.progress != nil {
		c.Progress = g.progress
	}
	return c, nil
}
