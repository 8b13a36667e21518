package plugin

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	canLong = templates.LongDesc(`
		Tell whether traffic from SRC may reach DST, on which ports, and which
		NetworkPolicy rule decides it. Both halves are checked: the egress
		policies of the source and the ingress policies of the destination.

		Endpoints: NAME (a pod, then a workload, then a service), NS/NAME,
		KIND/NAME or NS/KIND/NAME (pod, deploy, sts, ds, rs, job, cj, rc, svc),
		a label selector (role=api or prod/role=api,tier!=x), or an IP address
		or CIDR outside the cluster. The destination may carry a port number or
		name and a protocol: db:3306, db:mysql, 10.0.0.5:53/udp, [2001:db8::1]:443.
		Without a port, the answer is the set of allowed ports.

		Write the arrow quoted ('web -> db:3306' or web '->' db:3306) or not at
		all: an unquoted -> is a shell redirection.

		Exit codes: 0 allowed (every pod pair; without a port, at least one
		port), 1 denied, 2 error.`)

	canExample = templates.Examples(`
		# May the api pods reach the database on its MySQL port?
		kubectl netpol can api db:3306 -n prod

		# The same, through the named container port, from manifests on disk
		kubectl netpol can api db:mysql -f testdata/three-tier/

		# Which ports may web use to reach the api service?
		kubectl netpol can web svc/api

		# May the database reach the backup server? (quote the arrow)
		kubectl netpol can 'prod/db -> 192.168.5.10:80'

		# Only the exit code, for scripts
		kubectl netpol can dev/api prod/db:3306 -q || echo "blocked"`)
)

// canFormats are the -o formats of "kubectl netpol can".
var canFormats = formats{names: []string{"json", "yaml"}, objects: "the policies that judge the flow"}

// CanOptions are the inputs of "kubectl netpol can".
type CanOptions struct {
	*globalOptions
	Output string
	Quiet  bool

	printer *printer
	flow    query.Flow
	arrow   *arrowArg
}

// NewCmdCan builds the "can" command.
func NewCmdCan(g *globalOptions) *cobra.Command {
	o := &CanOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "can SRC DST[:PORT][/PROTO]",
		Short:   "Tell whether SRC may reach DST, and which policy rule decides it",
		Long:    canLong,
		Example: canExample,
		Args:    cobra.ArbitraryArgs,
		RunE:    runSteps(o),
	}
	o.printer = canFormats.addFlag(cmd, &o.Output)
	cmd.ValidArgsFunction = completeEndpoints(g, 2)
	addQuietFlag(cmd, &o.Quiet)
	o.arrow = addArrowArg(cmd.Flags())
	return cmd
}

// Complete parses the question.
func (o *CanOptions) Complete(args []string) error {
	flow, err := query.ParseFlow(o.arrow.insert(args))
	if err != nil {
		return err
	}
	o.flow = flow
	return nil
}

// Validate checks the flags.
func (o *CanOptions) Validate() error {
	return canFormats.validate(o.Output)
}

// Run answers the question and returns ErrNo when the flow is denied.
func (o *CanOptions) Run() error {
	l, err := o.load(scopeOf(o.flow.Source, o.flow.Destination))
	if err != nil {
		return err
	}
	ans, err := l.snap.Can(o.flow, l.namespace)
	if err != nil {
		return err
	}
	if !o.Quiet {
		o.warn(ans.Warnings...)
		if err := o.printer.or(o.Out, ans, func() error { return output.Can(o.Out, o.Output, ans) }); err != nil {
			return err
		}
	}
	if len(ans.Ambiguities) > 0 {
		return fmt.Errorf("the verdict is ambiguous: %s", ans.Ambiguities[0])
	}
	if !ans.Decided {
		return fmt.Errorf("undecided: depends on %s", strings.Join(ans.DependsOn, "; "))
	}
	if !ans.Allowed {
		return ErrNo
	}
	return nil
}

// scopeOf is what a live read needs for questions about these endpoints:
// their namespaces ("" for the default one), and cluster-wide pod lookups
// for addresses that may be pods'.
func scopeOf(eps ...query.EndpointSpec) load.Scope {
	var sc load.Scope
	for _, e := range eps {
		switch {
		case e.CIDR.IsValid():
			// An address range is judged as outside the cluster.
		case e.Addr.IsValid():
			sc.PodIPs = append(sc.PodIPs, e.Addr.String())
		default:
			sc.Namespaces = append(sc.Namespaces, e.Namespace)
		}
	}
	return sc
}
