package plugin

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
)

// formats are the values a command's -o/--output takes, written once per
// command: the flag's help, its completion, the error for any other value
// and the tests all read them here.
type formats struct {
	// names are the formats, in the order help and completion offer them.
	names []string
	// text is what the command prints without -o, as its help says it;
	// "human-readable text" when empty.
	text string
}

// addFlag adds -o/--output, bound to p, with its help and completion.
func (f formats) addFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", "", f.help())
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(f.names, cobra.ShellCompDirectiveNoFileComp)))
}

// help is the flag's help line.
func (f formats) help() string {
	text := f.text
	if text == "" {
		text = "human-readable text"
	}
	return fmt.Sprintf("Output format: one of (%s); %s when empty", strings.Join(f.names, ", "), text)
}

// validate accepts "" (text) and the formats.
func (f formats) validate(format string) error {
	return output.ValidateFormat(format, f.names...)
}
