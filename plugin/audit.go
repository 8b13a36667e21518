package plugin

import (
	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	auditLong = templates.LongDesc(`
		Check the policies of a namespace (or, with -A, of every namespace)
		against production practice: a default deny for ingress and egress,
		every workload protected (above all stateful ones and databases), no
		database open to every pod or namespace, no peer that reaches other
		environments for want of a namespaceSelector, no unrestricted egress,
		no egress isolation that blocks DNS, no policy that selects nothing,
		no peer that matches nothing, no named port that no pod declares, and
		(against a cluster) a network plugin that enforces NetworkPolicy.

		Each finding has a severity, the object and field it concerns, why it
		matters and a suggested fix. -o markdown is a pull-request comment;
		-o sarif a SARIF 2.1.0 log for code scanning, each finding at the file
		and line of its object or field in the manifests.

		With -l, only what concerns the workloads with a pod the selector
		matches is checked: those workloads, the namespaces that hold them
		(default deny) and the policies that select them; the network plugin
		check stays, as it concerns every workload.

		Exit codes: 0 no finding at or above --severity, 1 findings, 2 error.`)

	auditExample = templates.Examples(`
		# Audit the current namespace
		kubectl netpol audit

		# Only what matters most, across the cluster, for a CI gate
		kubectl netpol audit -A --severity high -q

		# Audit manifests before they are applied
		kubectl netpol audit -f manifests/ -A -o json

		# Findings for code scanning, at the file and line of each
		kubectl netpol audit -f manifests/ -A -o sarif > netpol.sarif

		# Only what concerns the databases, everywhere
		kubectl netpol audit -A -l tier=db`)
)

// auditFormats are the -o formats of "kubectl netpol audit".
var auditFormats = formats{names: []string{"json", "yaml", "markdown", "sarif"}, objects: "the objects of the findings"}

// AuditOptions are the inputs of "kubectl netpol audit".
type AuditOptions struct {
	*globalOptions
	Output        string
	Quiet         bool
	AllNamespaces bool
	Severity      string
	selectorFlag

	printer   *printer
	threshold query.Severity
}

// NewCmdAudit builds the "audit" command.
func NewCmdAudit(g *globalOptions) *cobra.Command {
	o := &AuditOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "audit [-n NS | -A] [-l SELECTOR]",
		Short:   "Report policy gaps: missing default deny, open databases, DNS blocked, and more",
		Long:    auditLong,
		Example: auditExample,
		Args:    cobra.NoArgs,
		RunE:    runSteps(o),
	}
	o.printer = auditFormats.addFlag(cmd, &o.Output)
	addQuietFlag(cmd, &o.Quiet)
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Audit every namespace")
	o.selectorFlag.addFlag(cmd, "what concerns the workloads")
	cmd.Flags().StringVar(&o.Severity, "severity", "low", "Report findings of this severity and above: low, medium or high")
	mustRegister(cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions([]string{"low", "medium", "high"}, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

// Complete parses --severity and -l.
func (o *AuditOptions) Complete([]string) error {
	if err := o.selectorFlag.complete(); err != nil {
		return err
	}
	sev, err := query.ParseSeverity(o.Severity)
	if err != nil {
		return err
	}
	o.threshold = sev
	return nil
}

// Validate checks the flags.
func (o *AuditOptions) Validate() error {
	return auditFormats.validate(o.Output)
}

// Run audits and returns ErrNo when there are findings at the threshold.
func (o *AuditOptions) Run() error {
	if o.Output == "sarif" {
		o.positions = &load.Positions{}
	}
	l, err := o.loadMany(load.Scope{AllNamespaces: true}, true)
	if err != nil {
		return err
	}
	var namespaces []string
	if !o.AllNamespaces {
		if l.snap.Namespace(l.namespace) == nil {
			return errNamespace(l.namespace)
		}
		namespaces = []string{l.namespace}
	}
	if o.selector != nil {
		if _, err := o.matching(l.snap, namespaces); err != nil {
			return err
		}
	}
	a := l.snap.Audit(query.AuditOptions{Namespaces: namespaces, MinSeverity: o.threshold, Selector: o.selector, CNI: l.cni})
	if !o.Quiet {
		print := func() error { return output.Audit(o.Out, o.Output, a) }
		if o.Output == "sarif" {
			print = func() error { return output.AuditSARIF(o.Out, a, sarifLocator(o.positions), Version().Version) }
		}
		if err := o.printer.or(o.Out, a, print); err != nil {
			return err
		}
	}
	if len(a.Findings) > 0 {
		return ErrNo
	}
	return nil
}
