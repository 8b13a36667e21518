package plugin

import (
	"cmp"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

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
	chunkSize     chunkSize
	with          []string
	without       []string
	noCNICheck    bool
	cni           string
	ipBlockSet    bool // --ipblock-pod-ips was given
	// ignoreKinds are network plugins' policy kinds to judge without.
	ignoreKinds []string
	inputs      inputFlags
	// base is diff's --base: the state the change starts from.
	base []string
}

func (f *snapshotFlags) addFlags(fs *pflag.FlagSet) {
	pathsVarP(fs, &f.filenames, "filename", "f", "Read manifests from these files, directories or URLs instead of a cluster ('-' for stdin; -k for kustomize directories, --helm for charts)")
	fs.BoolVarP(&f.recursive, "recursive", "R", false, "Process the directories given with -f recursively")
	f.inputs.addFlags(fs)
	f.ipBlockPodIPs = true
	fs.Var(&setBool{v: &f.ipBlockPodIPs, set: &f.ipBlockSet}, "ipblock-pod-ips", "Let ipBlock peers match pod IPs (as kube-network-policies and Calico do); false for CNIs that apply ipBlock only to cluster-external addresses. Overrides the --cni profile")
	fs.StringVar(&f.cni, "cni", "", "Judge as this network plugin does where the API leaves a choice ("+strings.Join(query.ProfileNames(), ", ")+"); overrides detection, works offline. Default: detected on a cluster, the API text (spec) for manifests")
	pathsVarP(fs, &f.with, "with", "", "Answer as if these manifests (files, directories, URLs or '-'; kustomize directories and Helm charts are rendered) were applied: objects replace those of the same kind, namespace and name")
	fs.BoolVar(&f.noCNICheck, "no-cni-check", false, "Do not look at kube-system for a network plugin that enforces NetworkPolicy")
	fs.StringSliceVar(&f.without, "without", nil, "Answer as if these objects were deleted: KIND/NAMESPACE/NAME, e.g. networkpolicy/prod/db (namespace/NAME for namespaces)")
	fs.StringSliceVar(&f.ignoreKinds, "ignore-kind", nil, "Judge without the network plugin's policies of this kind (repeatable), e.g. GlobalNetworkPolicy.projectcalico.org or MultiNetworkPolicy, which are otherwise not evaluated and leave the verdicts they may change undecided")
	ik := fs.Lookup("ignore-kind")
	ik.Value = policyKinds{ik.Value.(sliceValue)}
	ik.DefValue = ""
}

// addReadFlags adds the flags of how the cluster is read, global options
// as kubectl's connection flags are (options.go).
func (f *snapshotFlags) addReadFlags(fs *pflag.FlagSet) {
	f.chunkSize = load.DefaultChunkSize
	fs.Var(&f.chunkSize, "chunk-size", "Return large lists from the cluster in chunks of this size; 0 reads each list in one request")
}

// policyKinds is a StringSlice value of network plugins' policy kinds, each
// checked as it is given.
type policyKinds struct{ sliceValue }

// Set adds the comma-separated kinds of one flag, refusing those that are
// not a network plugin's policy kind.
func (v policyKinds) Set(s string) error {
	for _, k := range strings.Split(s, ",") {
		if _, err := query.IgnorableKindsNamed(k); err != nil {
			return err
		}
	}
	return v.sliceValue.Set(s)
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

// setBool is a boolean flag that records whether it was given.
type setBool struct {
	v, set *bool
}

func (b *setBool) String() string {
	if b.v == nil {
		return "false"
	}
	return strconv.FormatBool(*b.v)
}

func (b *setBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.v, *b.set = v, true
	return nil
}

func (b *setBool) Type() string     { return "bool" }
func (b *setBool) IsBoolFlag() bool { return true }

// profile is the network plugin profile --cni names (the API text when
// none is given), with --ipblock-pod-ips applied over it. On a cluster a
// detected profile replaces the default (source.go).
func (g *globalOptions) profile() (query.Profile, error) {
	p := query.SpecProfile()
	p.Why = "the default for manifests; give --cni NAME to judge as your network plugin does"
	if g.snapshot.cni != "" {
		var err error
		if p, err = query.ProfileNamed(g.snapshot.cni); err != nil {
			return p, fmt.Errorf("--cni: %w", err)
		}
		p.Why = "given with --cni"
	}
	return g.overrides(p), nil
}

// overrides applies the flags that override a profile's switches.
func (g *globalOptions) overrides(p query.Profile) query.Profile {
	if g.snapshot.ipBlockSet {
		v := query.No
		if g.snapshot.ipBlockPodIPs {
			v = query.Yes
		}
		p = p.With(query.BehaviourIPBlockPodIPs, v, fmt.Sprintf("--ipblock-pod-ips=%v", g.snapshot.ipBlockPodIPs))
	}
	return p
}

// load reads the snapshot from its source (the -f manifests, else the part
// of the cluster the scope names) and applies the what-if overlay. Scope
// namespaces left empty mean the default namespace.
func (g *globalOptions) load(scope load.Scope) (*loaded, error) {
	defer readPace()()
	if slices.Contains(g.snapshot.filenames, "-") && slices.Contains(g.snapshot.with, "-") {
		return nil, fmt.Errorf("standard input can feed -f - or --with -, not both")
	}
	if err := g.checkChartFlags(); err != nil {
		return nil, err
	}
	ns, explicit := g.contextNamespace()
	opts := query.DefaultOptions()
	profile, err := g.profile()
	if err != nil {
		return nil, err
	}
	opts.Profile = profile
	opts.IgnoreKinds = g.snapshot.ignoreKinds
	var base *query.Snapshot // diff --base, read first: its errors are the quicker
	if len(g.snapshot.base) > 0 {
		if base, err = g.baseSnapshot(ns, explicit, opts); err != nil {
			return nil, err
		}
	}
	src := g.source()
	l, err := src.snapshot(scope, ns, explicit, opts)
	if err != nil {
		return nil, err
	}
	l.base = cmp.Or(base, l.snap)
	if len(g.snapshot.with) > 0 {
		_, live := src.(liveCluster)
		with := g.detected("--with", g.snapshot.with, live)
		objs, err := with.objects(l.namespace)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", with, err)
		}
		if l.snap, err = l.snap.With(objs...); err != nil {
			return nil, fmt.Errorf("%s: %w", with, err)
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

// readPace sets the collector's pace while the state is read, and returns
// the function that sets it back. Reading makes garbage that dies at once
// (each document's JSON, and its objects before they are cut to what
// verdicts read): collecting when the heap has tripled since the last
// collection, not doubled, saves a tenth to a fifth of a large cluster's
// CPU (50k pods: diff 21 s to 17, can 12 s to 10.5). The peak stays where
// the answer holds more than the state read (the map, diff of 50k pods,
// about 1.4 GB) and rises by a tenth to a third where it holds less (can
// of 50k pods 1.04 to 1.2 GB, diff of 20k 450 to 600 MB). A GOGC the user
// set is kept.
func readPace() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(200)
	return func() { debug.SetGCPercent(old) }
}

// whatIf reports whether --with or --without was given.
func (g *globalOptions) whatIf() bool {
	return len(g.snapshot.with) > 0 || len(g.snapshot.without) > 0
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

// manyFlows fails answers that judge many flows at once (map, diff,
// explain, audit) when they would depend on Nodes that could not be read:
// such answers always judge addresses a cluster policy's nodes peer may
// match. "can" and "test" check per question instead.
// loadMany loads the state an answer over many flows judges (map, explain,
// diff, audit): it must not need Nodes that could not be read. warn prints
// the state's warnings (explain prints only those that concern its target).
func (g *globalOptions) loadMany(scope load.Scope, warn bool) (*loaded, error) {
	l, err := g.load(scope)
	if err != nil {
		return nil, err
	}
	if err := l.manyFlows(); err != nil {
		return nil, err
	}
	if warn {
		g.warn(l.warnings()...)
	}
	return l, nil
}

func (l *loaded) manyFlows() error {
	for _, s := range []*query.Snapshot{l.base, l.snap} {
		if err := s.NodesUnknown(); err != nil {
			return fmt.Errorf("this answer judges addresses that may be nodes': %w", err)
		}
	}
	// Under a profile that leaves too much unknown, as for "can".
	return query.ProfileErr(l.base, l.snap)
}
