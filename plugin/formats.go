package plugin

import (
	"fmt"
	"slices"
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
	// objects is what -o name prints, as help says it ("the workloads");
	// empty when the answer names no objects and -o name is refused.
	// Every command also takes kubectl's template formats (printers.go).
	objects string
}

// addFlag adds -o/--output, bound to p, with its help and completion,
// and kubectl's printer flags; the printer prints the answer when -o
// chose one of them (printers.go).
func (f formats) addFlag(cmd *cobra.Command, p *string) *printer {
	cmd.Flags().StringVarP(p, "output", "o", "", f.help())
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(f.completions(), cobra.ShellCompDirectiveNoFileComp)))
	pr := newPrinter(cmd, p, f.objects != "")
	cmd.PreRunE = printerCheck(pr)
	return pr
}

// help is the flag's help line.
func (f formats) help() string {
	text := f.text
	if text == "" {
		text = "human-readable text"
	}
	printers := strings.Join(printerHelp, ", ")
	if f.objects != "" {
		printers = "name (" + f.objects + "), " + printers
	}
	return fmt.Sprintf("Output format: one of (%s), or as kubectl: %s; %s when empty", strings.Join(f.names, ", "), printers, text)
}

// completions are the formats completion offers: the command's own, then
// kubectl's printers by name, as kubectl completes them (the template
// follows "=").
func (f formats) completions() []string {
	out := slices.Clone(f.names)
	if f.objects != "" {
		out = append(out, "name")
	}
	return append(out, "jsonpath", "jsonpath-file", "go-template", "go-template-file")
}

// validate accepts "" (text), the formats and kubectl's printer formats,
// whose templates printer.check parses.
func (f formats) validate(format string) error {
	if isPrinterFormat(format) && (format != "name" || f.objects != "") {
		return nil
	}
	allowed := slices.Clone(f.names)
	if f.objects != "" {
		allowed = append(allowed, "name")
	}
	return output.ValidateFormat(format, append(allowed, printerHelp...)...)
}
