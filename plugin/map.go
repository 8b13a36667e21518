package plugin

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	mapLong = templates.LongDesc(`
		Draw the reachability map: which workloads may reach which, on which
		ports (both halves of every flow considered), plus the address ranges
		outside the cluster that policies name. Workloads no policy isolates
		are marked. Pods are grouped by workload; reachability is computed
		on equivalence classes of pods, never pod pair by pod pair.

		Formats: text (an adjacency table), json, yaml, csv, dot (Graphviz),
		mermaid (renders on GitHub) and html (one self-contained page that
		works offline: click a workload for who reaches it and the rules that
		decide, filter by namespace or port). The pictures draw namespaces as
		boxes, an open namespace as one end of its edges, and a legend; a map
		of hundreds of workloads opens on its namespaces.

		Exit codes: 0 success, 2 error.`)

	mapExample = templates.Examples(`
		# Everything in the current namespace, and what talks to it
		kubectl netpol map

		# The whole cluster as a Graphviz drawing
		kubectl netpol map -A -o dot | dot -Tsvg > map.svg

		# Only what touches the database, as a page to open in a browser
		kubectl netpol map --focus prod/db -o html > db.html

		# Which flows may use port 5432?
		kubectl netpol map -A --port 5432

		# Only the flows of the databases, everywhere, as rows for a script
		kubectl netpol map -A -l tier=db -o csv --no-headers`)
)

// mapFormats are the -o formats of "kubectl netpol map".
var mapFormats = formats{names: output.GraphFormats, text: "an adjacency table", objects: "the workloads"}

// MapOptions are the inputs of "kubectl netpol map".
type MapOptions struct {
	*globalOptions
	Output        string
	Quiet         bool
	AllNamespaces bool
	Focus         string
	Port          string
	Expand        bool
	tableFlags
	selectorFlag

	printer *printer
	focus   *query.EndpointSpec
	// portNumber is the --port filter, 0 for none.
	portProtocol corev1.Protocol
	portNumber   int32
}

// NewCmdMap builds the "map" command.
func NewCmdMap(g *globalOptions) *cobra.Command {
	o := &MapOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "map [-n NS | -A] [-l SELECTOR] [--focus TARGET] [--port PORT[/PROTO]]",
		Short:   "Draw the reachability map of workloads",
		Long:    mapLong,
		Example: mapExample,
		Args:    cobra.NoArgs,
		RunE:    runSteps(o),
	}
	o.printer = mapFormats.addFlag(cmd, &o.Output)
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Map every namespace")
	cmd.Flags().StringVar(&o.Focus, "focus", "", "Only flows to or from this endpoint (pod, workload, service or selector)")
	cmd.Flags().BoolVar(&o.Expand, "expand", false, "List every workload pair: no groups of the workloads that nothing judges in a direction (in every format, pictures too)")
	cmd.Flags().StringVar(&o.Port, "port", "", "Only flows that may use this port, e.g. 5432 or 53/udp; their ports then show only it")
	o.tableFlags.addFlags(cmd, "the adjacency table (and the CSV rows)")
	o.selectorFlag.addFlag(cmd, "flows to or from the workloads")
	addQuietFlag(cmd, &o.Quiet)
	mustRegister(cmd.RegisterFlagCompletionFunc("focus", completeEndpoints(g, 1)))
	return cmd
}

// Complete parses --focus, --port and -l.
func (o *MapOptions) Complete([]string) error {
	if err := o.selectorFlag.complete(); err != nil {
		return err
	}
	if o.Focus != "" {
		e, err := query.ParseEndpoint(o.Focus)
		if err != nil {
			return fmt.Errorf("--focus %w", err)
		}
		o.focus = &e
	}
	if o.Port != "" {
		proto, n, err := parsePortFlag(o.Port)
		if err != nil {
			return err
		}
		o.portProtocol, o.portNumber = proto, n
	}
	return nil
}

// Validate checks the flags.
func (o *MapOptions) Validate() error {
	return mapFormats.validate(o.Output)
}

// Run draws the map.
func (o *MapOptions) Run() error {
	scope := load.Scope{AllNamespaces: true}
	l, err := o.loadMany(scope, true)
	if err != nil {
		return err
	}
	opts := query.GraphOptions{Aggregate: !o.Expand}
	if !o.AllNamespaces {
		opts.Namespace = l.namespace
		if l.snap.Namespace(l.namespace) == nil {
			return errNamespace(l.namespace)
		}
	}
	if o.focus != nil {
		target, err := l.snap.Resolve(*o.focus, l.namespace)
		if err != nil {
			return fmt.Errorf("--focus %w", err)
		}
		opts.Focus = target.PodList()
	}
	if o.selector != nil {
		if opts.Focus, err = o.selected(l, opts.Focus); err != nil {
			return err
		}
	}
	g := l.snap.Graph(opts)
	if o.portNumber != 0 {
		g = onPort(g.WithPort(o.portProtocol, o.portNumber), o.portProtocol, o.portNumber)
	}
	o.warn(g.Warnings...)
	if o.Quiet {
		return nil
	}
	return o.printer.or(o.Out, g, func() error {
		if output.IsPicture(o.Output) {
			var rules []*query.UnitExplanation
			if ids := workloadIDs(g); len(ids) <= maxRuleWorkloads {
				rules = l.snap.ExplainRules(ids)
			}
			return output.GraphPicture(o.Out, o.Output, g, rules)
		}
		return output.Graph(o.Out, o.Output, g, o.table())
	})
}

// maxRuleWorkloads is how many workloads a picture names the rules of at
// most: the rules cost about a millisecond a workload on a cluster of a
// few thousand pods, and a map of more is drawn by namespace anyway
// (explain names them, workload by workload).
const maxRuleWorkloads = 1000

// workloadIDs are the map's workloads, whose rules the pictures name.
func workloadIDs(g *query.Graph) []string {
	var ids []string
	for _, n := range g.Nodes {
		if n.Kind != "External" && n.Kind != query.KindGroup {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// selected are the pods -l matches in the namespace mapped (every
// namespace with -A), of the focus when --focus is given.
func (o *MapOptions) selected(l *loaded, focus []*query.Pod) ([]*query.Pod, error) {
	var namespaces []string
	if !o.AllNamespaces {
		namespaces = []string{l.namespace}
	}
	if focus != nil {
		namespaces = nil // the focus names its namespaces
	}
	pods, err := o.matching(l.snap, namespaces)
	if err != nil || focus == nil {
		return pods, err
	}
	var both []*query.Pod
	for _, p := range pods {
		if slices.Contains(focus, p) {
			both = append(both, p)
		}
	}
	if len(both) == 0 {
		return nil, fmt.Errorf("no pod of --focus %s matches -l %s", o.Focus, o.selector)
	}
	return both, nil
}

// onPort narrows the ports of every edge WithPort kept to that port: the
// map answers which flows may use it, and an edge open on all ports would
// otherwise read as if the filter had not applied. On that one port every
// pod pair agrees, so no edge is partial. An edge kept because the port is
// ambiguous there keeps the ports it has on it: none, if name order denies
// it.
func onPort(g *query.Graph, proto corev1.Protocol, port int32) *query.Graph {
	asked := query.SinglePort(proto, port)
	for i := range g.Edges {
		e := &g.Edges[i]
		narrowed := e.Ports.Intersect(asked)
		e.Ports, e.Partial = &narrowed, false
		if e.Ambiguous != nil {
			amb := e.Ambiguous.Intersect(asked)
			e.Ambiguous = &amb
		}
		if e.Undecided != nil {
			und := e.Undecided.Intersect(asked)
			e.Undecided = &und
		}
	}
	return g
}
