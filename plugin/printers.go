package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// templateFormats are kubectl's template formats, as -o takes them:
// "jsonpath={.x}", or the bare name with --template. The first of each
// pair is the one help names; the others are kubectl's aliases.
var templateFormats = []string{"jsonpath", "jsonpath-file", "go-template", "go-template-file", "jsonpath-as-json", "template", "templatefile"}

// printerHelp are the template formats as help and the error for an
// unknown format name them.
var printerHelp = []string{"jsonpath=TEMPLATE", "jsonpath-file=FILE", "go-template=TEMPLATE", "go-template-file=FILE"}

// isPrinterFormat reports whether -o names one of kubectl's printers:
// name, or a template format with or without its template.
func isPrinterFormat(format string) bool {
	if format == "name" {
		return true
	}
	name, _, _ := strings.Cut(format, "=")
	return slices.Contains(templateFormats, name)
}

// printer prints an answer document through kubectl's printers from
// cli-runtime (-o name, -o jsonpath=..., -o go-template=...), bound to
// one command's -o, --template and --allow-missing-template-keys.
type printer struct {
	output *string
	flags  *genericclioptions.PrintFlags
	// p is the printer the flags chose (check), nil for the command's
	// own formats.
	p printers.ResourcePrinter
}

// newPrinter adds --template and --allow-missing-template-keys, as kubectl
// has them, to a command whose -o is bound to output. withName offers -o
// name.
func newPrinter(cmd *cobra.Command, output *string, withName bool) *printer {
	flags := genericclioptions.NewPrintFlags("")
	flags.JSONYamlPrintFlags = nil // -o json and -o yaml are the commands' own
	if !withName {
		flags.NamePrintFlags = nil
	}
	flags.OutputFormat = output
	flags.OutputFlagSpecified = func() bool { return cmd.Flags().Changed("output") }
	flags.TemplatePrinterFlags.AddFlags(cmd)
	return &printer{output: output, flags: flags}
}

// active reports whether -o (or --template alone, as in kubectl) chose one
// of kubectl's printers.
func (p *printer) active() bool {
	return p != nil && (isPrinterFormat(*p.output) || *p.output == "" && *p.flags.TemplatePrinterFlags.TemplateArgument != "")
}

// check builds the printer -o chose, so that a template that does not
// parse fails before anything is read.
func (p *printer) check() error {
	if !p.active() {
		return nil
	}
	if *p.output == "name" && p.flags.NamePrintFlags == nil {
		return fmt.Errorf("-o name: this command's answer names no objects; use -o jsonpath=TEMPLATE or -o json")
	}
	pr, err := p.flags.ToPrinter()
	if err != nil {
		return p.oneLine(err)
	}
	p.p = pr
	return nil
}

// print writes doc through the printer, all or nothing: a template that
// fails on the document writes nothing to w (kubectl's printers write
// their debugging dump there) and is one line of error.
func (p *printer) print(w io.Writer, doc any) error {
	if p.p == nil {
		if err := p.check(); err != nil {
			return err
		}
	}
	obj, err := printable(doc, *p.output == "name")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.p.PrintObj(obj, &buf); err != nil {
		return p.oneLine(err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// printable is doc as the printers take it: the document -o json writes,
// unstructured, or for -o name the list of the objects it names.
func printable(doc any, names bool) (runtime.Object, error) {
	if names {
		return namedList(doc), nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the answer: %w", err)
	}
	u := &unstructured.Unstructured{}
	if err := runtime.DecodeInto(unstructured.UnstructuredJSONScheme, b, u); err != nil {
		return nil, fmt.Errorf("decode the answer: %w", err)
	}
	return u, nil
}

// oneLine is an error of kubectl's printers in one line, after the -o
// that chose them: they end their messages with a newline, repeat the
// template, and add to a failed template a dump of the whole document
// meant for a terminal.
func (p *printer) oneLine(err error) error {
	s := err.Error()
	s, _, _ = strings.Cut(s, ". Printing more information for debugging the template:")
	if t := p.template(); t != "" {
		for _, prefix := range []string{
			"error parsing jsonpath " + t + ", ",
			"error parsing template " + t + ", ",
			"error executing jsonpath " + strconv.Quote(t) + ": Error executing template: ",
			"error executing template " + strconv.Quote(t) + ": ",
		} {
			s = strings.TrimPrefix(s, prefix)
		}
	}
	return fmt.Errorf("-o %s: %s", *p.output, strings.Join(strings.Fields(s), " "))
}

// template is the template the printer's messages quote: given after "=",
// with --template, or read from the file either names.
func (p *printer) template() string {
	format, t, ok := strings.Cut(*p.output, "=")
	if !ok {
		t = *p.flags.TemplatePrinterFlags.TemplateArgument
	}
	if strings.HasSuffix(format, "file") {
		b, err := os.ReadFile(t)
		if err != nil {
			return ""
		}
		t = string(b)
	}
	return t
}

// printerCheck returns the check that a command's printer flags make
// sense, for PreRunE.
func printerCheck(p *printer) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error { return p.check() }
}

// or prints doc through the printer when -o chose one, else renders the
// command's own format.
func (p *printer) or(w io.Writer, doc any, render func() error) error {
	if p.active() {
		return p.print(w, doc)
	}
	return render()
}
