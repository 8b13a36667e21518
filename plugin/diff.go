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
	diffLong = templates.LongDesc(`
		Show which flows change verdict if the --with manifests were applied
		and the --without objects deleted: for every pair of workloads, and
		every workload with the address ranges policies name, the ports that
		become allowed and the ports that become denied, with the rule that
		now allows them or the reason they are now denied. Nothing is written
		to the cluster.

		With --base SRC, compare two complete states instead: SRC, the state
		the change starts from (files, directories, URLs, kustomize
		directories and Helm charts, or git:REF for the -f, -k and --helm
		inputs at that git revision), and the -f, -k and --helm inputs, the
		state after. Objects only in the base are deletions.

		Exit codes: 0 no change, 1 changes, 2 error.`)

	diffExample = templates.Examples(`
		# Which flows break if this default-deny policy is applied to dev?
		kubectl netpol diff --with deny-all-dev.yaml

		# Which flows open up if the old database policy is deleted?
		kubectl netpol diff --without networkpolicy/prod/db

		# Gate a policy change in CI, offline
		kubectl netpol diff -f manifests/ --with new-policy.yaml -q || echo "reachability changes"

		# The same as a pull-request comment
		kubectl netpol diff -f manifests/ --with new-policy.yaml -o markdown > comment.md

		# Gate a pull request: the prod overlay against the branch it goes into
		kubectl netpol diff --base git:origin/main -k overlays/prod

		# The same for a Helm chart and its prod values
		kubectl netpol diff --base git:origin/main --helm charts/shop --values values-prod.yaml -n shop`)
)

// diffFormats are the -o formats of "kubectl netpol diff".
var diffFormats = formats{names: []string{"json", "yaml", "markdown"}, objects: "the workloads whose flows change"}

// DiffOptions are the inputs of "kubectl netpol diff".
type DiffOptions struct {
	*globalOptions
	Output string
	Quiet  bool

	printer *printer
}

// NewCmdDiff builds the "diff" command.
func NewCmdDiff(g *globalOptions) *cobra.Command {
	o := &DiffOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "diff --with FILE... | --without KIND/NS/NAME... | --base SRC...",
		Short:   "Show which flows change verdict if manifests were applied or objects deleted",
		Long:    diffLong,
		Example: diffExample,
		Args:    cobra.NoArgs,
		RunE:    runSteps(o),
	}
	addBaseFlag(cmd, &g.snapshot.base)
	o.printer = diffFormats.addFlag(cmd, &o.Output)
	addQuietFlag(cmd, &o.Quiet)
	return cmd
}

// Complete has nothing to parse: diff takes no arguments.
func (o *DiffOptions) Complete([]string) error { return nil }

// Validate checks that there is something to compare.
func (o *DiffOptions) Validate() error {
	if !o.whatIf() && len(o.snapshot.base) == 0 {
		return fmt.Errorf("diff needs --with FILE or --without KIND/NAMESPACE/NAME, or --base SRC")
	}
	return diffFormats.validate(o.Output)
}

// Run compares the base with the overlay and returns ErrNo on changes.
func (o *DiffOptions) Run() error {
	l, err := o.loadMany(load.Scope{AllNamespaces: true}, true)
	if err != nil {
		return err
	}
	res := query.Diff(l.base, l.snap)
	o.warn(res.Warnings...)
	if !o.Quiet {
		if err := o.printer.or(o.Out, res, func() error { return output.Diff(o.Out, o.Output, res) }); err != nil {
			return err
		}
	}
	if res.Changed {
		return ErrNo
	}
	return nil
}
