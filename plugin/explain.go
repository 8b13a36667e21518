package plugin

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	explainLong = templates.LongDesc(`
		Show everything that decides a workload's traffic: for ingress and
		egress, whether it is isolated and by which policies, every rule of
		those policies in plain words with its field path, and the effect —
		which workloads and external addresses may reach it, and which it may
		reach, on which ports (both halves of every flow considered).

		TARGET takes the endpoint grammar of "can": a pod, workload, service or
		label selector. Without a target, every workload of the namespace (of
		every namespace with -A) is summarised in a table. With -l, each
		workload of the namespace (of every namespace with -A) that has a pod
		the selector matches is explained in full.

		Exit codes: 0 success, 2 error.`)

	explainExample = templates.Examples(`
		# What protects the database?
		kubectl netpol explain db -n prod

		# The same from manifests on disk, as JSON
		kubectl netpol explain prod/db -f testdata/three-tier/ -o json

		# Every workload of a namespace at a glance
		kubectl netpol explain -n dev

		# Every database of the cluster, in full
		kubectl netpol explain -A -l tier=db`)
)

// explainFormats are the -o formats of "kubectl netpol explain".
var explainFormats = formats{names: []string{"json", "yaml"}, objects: "the workloads explained"}

// ExplainOptions are the inputs of "kubectl netpol explain".
type ExplainOptions struct {
	*globalOptions
	Output        string
	Quiet         bool
	AllNamespaces bool
	tableFlags
	selectorFlag

	printer *printer
	target  *query.EndpointSpec
}

// NewCmdExplain builds the "explain" command.
func NewCmdExplain(g *globalOptions) *cobra.Command {
	o := &ExplainOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "explain [TARGET | [-n NS | -A] [-l SELECTOR]]",
		Short:   "Show what isolates a workload, what may reach it and what it may reach",
		Long:    explainLong,
		Example: explainExample,
		Args:    cobra.MaximumNArgs(1),
		RunE:    runSteps(o),
	}
	o.printer = explainFormats.addFlag(cmd, &o.Output)
	cmd.ValidArgsFunction = completeEndpoints(g, 1)
	o.tableFlags.addFlags(cmd, "the table of workloads")
	o.selectorFlag.addFlag(cmd, "the workloads")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Explain the workloads of every namespace")
	addQuietFlag(cmd, &o.Quiet)
	return cmd
}

// Complete parses the target, if any, and -l.
func (o *ExplainOptions) Complete(args []string) error {
	if err := o.selectorFlag.complete(); err != nil {
		return err
	}
	if len(args) == 0 {
		return nil
	}
	if args[0] == "-" {
		return query.ErrShellArrow
	}
	e, err := query.ParseEndpoint(args[0])
	if err != nil {
		return err
	}
	o.target = &e
	return nil
}

// Validate checks the flags: a target names its workloads, -A and -l
// choose them.
func (o *ExplainOptions) Validate() error {
	switch {
	case o.target != nil && o.selector != nil:
		return fmt.Errorf("give a TARGET or -l SELECTOR, not both (a TARGET may be a selector: explain 'app=db')")
	case o.target != nil && o.AllNamespaces:
		return fmt.Errorf("-A explains the workloads of every namespace: give it without a TARGET (or -l SELECTOR to choose them)")
	}
	return explainFormats.validate(o.Output)
}

// Run explains the target, or the namespace.
func (o *ExplainOptions) Run() error {
	// Peers of the target's rules may live anywhere, so explain reads every
	// namespace of a live cluster.
	l, err := o.loadMany(load.Scope{AllNamespaces: true}, false)
	if err != nil {
		return err
	}
	var namespaces []string
	if !o.AllNamespaces {
		namespaces = []string{l.namespace}
	}
	var ex *query.Explanation
	switch {
	case o.target != nil:
		ex, err = l.snap.Explain(*o.target, l.namespace)
	case o.selector != nil:
		if l.snap.Namespace(l.namespace) == nil && !o.AllNamespaces {
			return errNamespace(l.namespace)
		}
		if _, err := o.matching(l.snap, namespaces); err != nil {
			return err
		}
		ex, err = l.snap.ExplainWorkloads(namespaces, o.selector)
	default:
		ex, err = l.snap.ExplainWorkloads(namespaces, nil)
	}
	if err != nil {
		return err
	}
	if o.Quiet {
		return nil
	}
	o.warn(ex.Warnings...)
	return o.printer.or(o.Out, ex, func() error { return output.Explain(o.Out, o.Output, ex, o.table()) })
}
