package plugin

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// snapshotFlags choose where cluster state comes from and the CNI-dependent
// evaluation choices.
type snapshotFlags struct {
	filenames     []string
	recursive     bool
	ipBlockPodIPs bool
	chunkSize     chunkSize
	with          []string
	without       []string
	noCNICheck    bool
}

func (f *snapshotFlags) addFlags(fs *pflag.FlagSet) {
	pathsVarP(fs, &f.filenames, "filename", "f", "Read manifests from these files or directories instead of a cluster ('-' for stdin)")
	fs.BoolVarP(&f.recursive, "recursive", "R", false, "Process the directories given with -f recursively")
	fs.BoolVar(&f.ipBlockPodIPs, "ipblock-pod-ips", true, "Let ipBlock peers match pod IPs (as kube-network-policies and Calico do); false for CNIs that apply ipBlock only to cluster-external addresses")
	f.chunkSize = load.DefaultChunkSize
	fs.Var(&f.chunkSize, "chunk-size", "Return large lists from the cluster in chunks of this size; 0 reads each list in one request")
	pathsVarP(fs, &f.with, "with", "", "Answer as if these manifests (files, directories or '-') were applied: objects replace those of the same kind, namespace and name")
	fs.BoolVar(&f.noCNICheck, "no-cni-check", false, "Do not look at kube-system for a network plugin that enforces NetworkPolicy")
	fs.StringSliceVar(&f.without, "without", nil, "Answer as if these objects were deleted: KIND/NAMESPACE/NAME, e.g. networkpolicy/prod/db (namespace/NAME for namespaces)")
}

// pathsVarP defines a flag of paths, repeatable and comma-separated as a
// StringSlice, that refuses an empty path: StringSlice drops an empty value, and
// "-f $UNSET" (an unset variable in CI) would silently read the live
// cluster instead of the manifests, or --with $UNSET change nothing.
func pathsVarP(fs *pflag.FlagSet, p *[]string, name, shorthand, usage string) {
	fs.StringSliceVarP(p, name, shorthand, nil, usage)
	f := fs.Lookup(name)
	f.Value = nonEmptyPaths{f.Value.(sliceValue)}
	f.DefValue = "" // no "(default [])" in help: pflag knows only its own types
}

// sliceValue is pflag's StringSlice value.
type sliceValue interface {
	pflag.Value
	pflag.SliceValue
}

// nonEmptyPaths is a StringSlice value that refuses empty paths.
type nonEmptyPaths struct{ sliceValue }

// Set adds the comma-separated paths of one flag, refusing empty ones.
func (v nonEmptyPaths) Set(s string) error {
	err := fmt.Errorf(`an empty path: give a file, a directory or "-" (is a variable unset?)`)
	if s == "" {
		return err
	}
	if e := v.sliceValue.Set(s); e != nil {
		return e
	}
	if slices.Contains(v.GetSlice(), "") {
		return err // "a,,b" or "a,"
	}
	return nil
}

// loaded is cluster state ready to be asked, with the namespace unqualified
// names resolve in. snap has the what-if overlay applied; base has not.
type loaded struct {
	snap      *query.Snapshot
	base      *query.Snapshot
	namespace string
	// cni is the cluster's network plugin; nil for manifests or when it
	// could not be read.
	cni *query.CNI
}

// offline reports whether state comes from manifests.
func (g *globalOptions) offline() bool { return len(g.snapshot.filenames) > 0 }

// load reads the snapshot: manifests with -f, else the part of the cluster
// the scope names. Scope namespaces left empty mean the default namespace.
func (g *globalOptions) load(scope load.Scope) (*loaded, error) {
	if slices.Contains(g.snapshot.filenames, "-") && slices.Contains(g.snapshot.with, "-") {
		return nil, fmt.Errorf("standard input can feed -f - or --with -, not both")
	}
	l, err := g.loadBase(scope)
	if err != nil {
		return nil, err
	}
	l.base = l.snap
	if len(g.snapshot.with) > 0 {
		objs, err := load.Manifests(load.Source{Filenames: g.snapshot.with, Recursive: g.snapshot.recursive, Stdin: g.In, Namespace: l.namespace}, g.ErrOut)
		if err != nil {
			return nil, fmt.Errorf("--with: %w", err)
		}
		if l.snap, err = l.snap.With(objs...); err != nil {
			return nil, fmt.Errorf("--with: %w", err)
		}
	}
	if len(g.snapshot.without) > 0 {
		var refs []query.ObjectRef
		for _, w := range g.snapshot.without {
			ref, err := query.ParseObjectRef(w)
			if err != nil {
				return nil, fmt.Errorf("--without %w", err)
			}
			refs = append(refs, ref)
		}
		if l.snap, err = l.snap.Without(refs...); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// whatIf reports whether --with or --without was given.
func (g *globalOptions) whatIf() bool {
	return len(g.snapshot.with) > 0 || len(g.snapshot.without) > 0
}

// loadBase reads the snapshot without the what-if overlay.
func (g *globalOptions) loadBase(scope load.Scope) (*loaded, error) {
	ns, explicit := g.contextNamespace()
	opts := query.DefaultOptions()
	opts.IPBlockMatchesPods = g.snapshot.ipBlockPodIPs
	if g.offline() {
		objs, err := load.Manifests(load.Source{
			Filenames: g.snapshot.filenames,
			Recursive: g.snapshot.recursive,
			Stdin:     g.In,
			Namespace: ns,
		}, g.ErrOut)
		if err != nil {
			return nil, err
		}
		snap, err := query.NewSnapshot(objs, opts)
		if err != nil {
			return nil, err
		}
		if !explicit {
			ns = manifestNamespace(snap, ns)
		}
		return &loaded{snap: snap, namespace: ns}, nil
	}

	for i, n := range scope.Namespaces {
		if n == "" {
			scope.Namespaces[i] = ns
		}
	}
	c, err := g.cluster()
	if err != nil {
		return nil, err
	}
	defer g.progress.end()
	ctx := context.Background()
	objs, failures, err := c.Read(ctx, scope)
	if err != nil {
		return nil, withTimeoutHint(err, g.configFlags)
	}
	var found *query.CNI
	if g.snapshot.noCNICheck {
		// The user knows; say nothing.
	} else if cni, err := c.CNI(ctx); err != nil {
		g.warn(query.Warning{Kind: query.WarnNetworkPlugin, Message: fmt.Sprintf("could not check the network plugin: %v", err)})
	} else {
		found = &cni
		if !cni.Enforces {
			g.warn(query.Warning{Kind: query.WarnNetworkPlugin, Object: cni.Name, Message: cni.Note})
		}
	}
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

// cluster connects to the cluster the kubeconfig flags name.
func (g *globalOptions) cluster() (*load.Cluster, error) {
	if raw, err := g.configFlags.ToRawKubeConfigLoader().RawConfig(); err == nil && raw.CurrentContext == "" && *g.configFlags.Context == "" && *g.configFlags.APIServer == "" {
		return nil, fmt.Errorf("no cluster to read: the kubeconfig has no current context (use --kubeconfig/--context, or read manifests with -f FILE|DIR|-)")
	}
	cfg, err := g.configFlags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("no cluster to read (and no -f manifests given): %w", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	c := &load.Cluster{Client: client, ChunkSize: int64(g.snapshot.chunkSize)}
	if g.progress != nil {
		c.Progress = g.progress
	}
	return c, nil
}

// contextNamespace is the namespace from -n or the kubeconfig context, and
// whether the user chose it (rather than it falling back to "default").
func (g *globalOptions) contextNamespace() (string, bool) {
	if ns := *g.configFlags.Namespace; ns != "" {
		return ns, true
	}
	raw, err := g.configFlags.ToRawKubeConfigLoader().RawConfig()
	if err == nil {
		name := raw.CurrentContext
		if c := *g.configFlags.Context; c != "" {
			name = c
		}
		if ctx, ok := raw.Contexts[name]; ok && ctx.Namespace != "" {
			return ctx.Namespace, true
		}
	}
	return "default", false
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

// manyFlows fails answers that judge many flows at once (map, diff,
// explain, audit) when they would depend on Nodes that could not be read:
// such answers always judge addresses a cluster policy's nodes peer may
// match. "can" and "test" check per question instead.
func (l *loaded) manyFlows() error {
	for _, s := range []*query.Snapshot{l.base, l.snap} {
		if err := s.NodesUnknown(); err != nil {
			return fmt.Errorf("this answer judges addresses that may be nodes': %w", err)
		}
	}
	return nil
}
