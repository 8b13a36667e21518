package plugin

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// snapshotFlags choose where cluster state comes from and the CNI-dependent
// evaluation choices.
type snapshotFlags struct {
	filenames     []string
	recursive     bool
	ipBlockPodIPs bool
}

func (f *snapshotFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&f.filenames, "filename", "f", nil, "Read manifests from these files or directories instead of a cluster ('-' for stdin)")
	fs.BoolVarP(&f.recursive, "recursive", "R", false, "Process the directories given with -f recursively")
	fs.BoolVar(&f.ipBlockPodIPs, "ipblock-pod-ips", true, "Let ipBlock peers match pod IPs (as kube-network-policies and Calico do); false for CNIs that apply ipBlock only to cluster-external addresses")
}

// loaded is cluster state ready to be asked, with the namespace unqualified
// names resolve in.
type loaded struct {
	snap      *query.Snapshot
	namespace string
}

// load reads the snapshot: manifests with -f, else the cluster.
func (g *globalOptions) load() (*loaded, error) {
	if len(g.snapshot.filenames) == 0 {
		return nil, fmt.Errorf("reading a live cluster is not supported yet; pass manifests with -f FILE|DIR|-")
	}
	ns, explicit := g.contextNamespace()
	objs, err := load.Manifests(load.Source{
		Filenames: g.snapshot.filenames,
		Recursive: g.snapshot.recursive,
		Stdin:     g.In,
		Namespace: ns,
	}, g.ErrOut)
	if err != nil {
		return nil, err
	}
	opts := query.DefaultOptions()
	opts.IPBlockMatchesPods = g.snapshot.ipBlockPodIPs
	snap, err := query.NewSnapshot(objs, opts)
	if err != nil {
		return nil, err
	}
	if !explicit {
		ns = manifestNamespace(snap, ns)
	}
	return &loaded{snap: snap, namespace: ns}, nil
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
