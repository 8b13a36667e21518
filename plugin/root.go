// Package plugin holds the cobra commands of kubectl netpol: one Options
// struct per command (Complete, Validate, Run), loading the snapshot the
// engine answers against, and printing the answers.
package plugin

import (
	"errors"
	"flag"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
)

// Exit codes shared by every command. 1 carries meaning (denied, changes,
// failures), so errors are never 1.
const (
	ExitOK    = 0
	ExitNo    = 1
	ExitError = 2
)

// ErrNo is returned by a command whose answer is "no" (denied, changed,
// failed): main exits 1 without printing an error.
var ErrNo = errors.New("answer is no")

// ExitCode maps a command's result to the process exit code, in one place.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrNo):
		return ExitNo
	default:
		return ExitError
	}
}

// NewCmdNetpol builds the root command with every subcommand.
func NewCmdNetpol(streams genericiooptions.IOStreams) *cobra.Command {
	return NewCmdNetpolWithConfig(streams, genericclioptions.NewConfigFlags(true))
}

// NewCmdNetpolWithConfig builds the root command around the given kubectl
// connection flags, so callers (and tests) can wrap the REST config.
func NewCmdNetpolWithConfig(streams genericiooptions.IOStreams, configFlags *genericclioptions.ConfigFlags) *cobra.Command {
	g := &globalOptions{IOStreams: streams, configFlags: configFlags}
	if g.progress = newProgressLine(streams.ErrOut); g.progress != nil {
		g.ErrOut = afterProgress{g.progress}
	}
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Answer what-if questions about Kubernetes NetworkPolicy",
		Long: templates.LongDesc(`
			Answer what-if questions about Kubernetes NetworkPolicy before anything is
			deployed: can this pod reach that one, on which port, and which policy
			rule decides it. Reads a cluster (read-only) or manifests: files,
			directories and URLs (-f), kustomize directories (-k), a Helm chart
			(--helm).

			Exit codes: 0 yes/success, 1 no (denied), 2 error.`),
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl netpol"},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.addFlags(cmd)
	g.profiling.addFlags(cmd.PersistentFlags())
	readers := []*cobra.Command{NewCmdCan(g), NewCmdExplain(g), NewCmdDiff(g), NewCmdMap(g), NewCmdTest(g), NewCmdAudit(g), NewCmdReplay(g), NewCmdGenerate(g)}
	cmd.AddCommand(readers...)
	cmd.AddCommand(NewCmdVersion(g), NewCmdCompletion(g))
	g.profiling.around(cmd)
	g.useKubectlHelp(cmd, readers)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(c, err)
	})
	cmd.Version = Version().Version
	cmd.SetOut(streams.Out)
	cmd.SetErr(g.ErrOut)
	registerGlobalCompletions(cmd, g)
	return cmd
}

// usageError wraps a flag or argument error with a pointer to help; such
// errors exit 2 like every other error.
func usageError(c *cobra.Command, err error) error {
	return fmt.Errorf("%w\nSee '%s -h' for help and examples", err, c.CommandPath())
}

// addQuietFlag adds -q/--quiet, the same on every command: nothing is
// printed but an error, and the exit code is the answer.
func addQuietFlag(cmd *cobra.Command, quiet *bool) {
	cmd.Flags().BoolVarP(quiet, "quiet", "q", false, "Print nothing; the exit code is the answer")
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	genericiooptions.IOStreams
	configFlags *genericclioptions.ConfigFlags
	snapshot    snapshotFlags
	// progress is the live progress line on a terminal's stderr, nil when
	// stderr is not one; ErrOut then ends the line before each write.
	progress *progressLine
	// warned are the warnings printed so far (warn).
	warned warnings
	// positions, when set before loading, receives where each object
	// read from manifests is written (audit -o sarif).
	positions *load.Positions
	// stateFlags name the persistent flags that choose the state answers
	// are judged on, which the help of each command lists (options.go).
	stateFlags []string
	// profiling is --profile and --profile-output.
	profiling profiling
}

func (g *globalOptions) addFlags(cmd *cobra.Command) {
	defaultTimeout(g.configFlags)
	g.configFlags.AddFlags(cmd.PersistentFlags())
	describeRequestTimeout(cmd.PersistentFlags())
	state := pflag.NewFlagSet("state", pflag.ContinueOnError)
	g.snapshot.addFlags(state)
	state.VisitAll(func(f *pflag.Flag) { g.stateFlags = append(g.stateFlags, f.Name) })
	cmd.PersistentFlags().AddFlagSet(state)
	g.snapshot.addReadFlags(cmd.PersistentFlags())
	// -v, as in kubectl: 6 logs every request, 8 their bodies.
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	cmd.PersistentFlags().AddGoFlag(klogFlags.Lookup("v"))
}

// errNamespace is the error for a namespace the snapshot does not hold.
func errNamespace(ns string) error {
	return fmt.Errorf("namespace %s does not exist (use -A for every namespace)", ns)
}

// steps are what the options of every command do, in this order.
type steps interface {
	Complete(args []string) error
	Validate() error
	Run() error
}

// runSteps is the RunE of a command: Complete, Validate, then Run.
func runSteps(o steps) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		// -q prints nothing but an error: no warnings either.
		if q, err := cmd.Flags().GetBool("quiet"); err == nil && q {
			if w, ok := o.(interface{ silenceWarnings() }); ok {
				w.silenceWarnings()
			}
		}
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run()
	}
}
