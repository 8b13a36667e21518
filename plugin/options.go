package plugin

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/kubectl/pkg/util/templates"
	"k8s.io/kubectl/pkg/util/term"
)

// Help follows kubectl's pattern (k8s.io/kubectl/pkg/cmd/options and
// templates.ActsAsRootCommand): a command's help lists its own flags and
// the flags that choose the state it answers on (-f, --with, --cni...),
// and ends with a pointer to "kubectl netpol options", which lists the
// global ones: kubectl's connection flags (--kubeconfig, --context, -n,
// --as...), -v and --chunk-size. All of them are still taken by every
// command.

// globalFlag reports whether a persistent flag of the root is a global
// option, rather than one that chooses the state (stateFlags).
func (g *globalOptions) globalFlag(f *pflag.Flag) bool {
	return !slices.Contains(g.stateFlags, f.Name)
}

// useKubectlHelp gives the root kubectl's help and usage templates, and
// each command that reads state its own copy of the flags that choose it,
// bound to the same options: its help lists them with its other flags
// (the root keeps them too, so that they may come before the command's
// name). The flag error function is set after, so that flag errors keep
// the words of usageError.
func (g *globalOptions) useKubectlHelp(root *cobra.Command, readers []*cobra.Command) {
	templates.ActsAsRootCommand(root, nil)
	for _, c := range readers {
		g.snapshot.addFlags(c.Flags())
		registerStateCompletions(c)
	}
	root.AddCommand(g.newCmdOptions(root))
	// kubectl's template names the root by its name in the tip to a
	// command's help ("netpol <command> --help"); a plugin's is "kubectl
	// netpol", as its display name says.
	usage := root.UsageFunc()
	root.SetUsageFunc(func(c *cobra.Command) error {
		w := c.OutOrStderr()
		var b bytes.Buffer
		c.SetOut(&b)
		err := usage(c)
		c.SetOut(w)
		tip := `Use "` + root.Name() + " "
		_, werr := io.WriteString(w, strings.Replace(b.String(), tip, `Use "`+root.DisplayName()+" ", 1))
		return cmp.Or(err, werr)
	})
	var noFlagsInUseLine func(*cobra.Command)
	noFlagsInUseLine = func(c *cobra.Command) {
		// kubectl's usage line says "[options]" itself.
		c.DisableFlagsInUseLine = true
		for _, sub := range c.Commands() {
			noFlagsInUseLine(sub)
		}
	}
	noFlagsInUseLine(root)
}

var optionsExample = templates.Examples(`
	# The flags every command takes
	kubectl netpol options`)

// newCmdOptions is kubectl's "options" command: it prints the global
// options, those the help of each command leaves out.
func (g *globalOptions) newCmdOptions(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:     "options",
		Short:   "Print the list of flags inherited by all commands",
		Long:    "Print the list of flags inherited by all commands: how to reach the cluster (as kubectl), the log level and the size of list requests.",
		Example: optionsExample,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprint(g.Out, "The following options can be passed to any command:\n\n")
			wrap, err := term.GetWordWrapperLimit()
			if err != nil {
				wrap = 0 // not a terminal: no wrapping
			}
			p := templates.NewHelpFlagPrinter(g.Out, wrap)
			root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && g.globalFlag(f) {
					p.PrintHelpFlag(f)
				}
			})
			return nil
		},
	}
}
