package plugin

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	// testLong keeps the file example out of LongDesc, whose markdown
	// rendering flattens the indentation YAML depends on: pasted from the
	// help, the example must parse.
	testLong = templates.LongDesc(`
		Check that expected flows hold: each expectation names a source, a
		destination (with the full endpoint grammar of "can") and whether the
		flow must be allowed or denied. Prints PASS or FAIL per expectation,
		the trace of each failure, and a summary.

		The file is a YAML list:`) + "\n\n" + testFileExample + "\n\n" + templates.LongDesc(`
		An expectation whose endpoint does not exist is an error, not a pass.

		Exit codes: 0 every expectation holds, 1 some fail, 2 error.`)

	// testFileExample is an expectations file, indented as a block.
	testFileExample = `    - name: only the API reaches the database   # optional
      from: prod/api
      to: prod/db:3306
      expect: allow                             # or deny`

	testExample = templates.Examples(`
		# Check the example's guarantees against its manifests
		kubectl netpol test testdata/three-tier/expectations.yaml -f testdata/three-tier/

		# Check them against the cluster as if a change were applied
		kubectl netpol test expectations.yaml --with new-policy.yaml

		# For CI systems
		kubectl netpol test expectations.yaml -o junit > netpol-junit.xml

		# The failures as a pull-request comment
		kubectl netpol test expectations.yaml -f manifests/ -o markdown > comment.md`)
)

// testFormats are the -o formats of "kubectl netpol test".
var testFormats = formats{names: []string{"json", "yaml", "junit", "markdown"}, objects: "the endpoints of failing expectations"}

// TestOptions are the inputs of "kubectl netpol test".
type TestOptions struct {
	*globalOptions
	Output string
	Quiet  bool

	printer *printer
	files   []string
	// expectations and cases are in the same order: what was asked and
	// where, and the results.
	expectations []Expectation
	cases        []output.TestCase
}

// NewCmdTest builds the "test" command.
func NewCmdTest(g *globalOptions) *cobra.Command {
	o := &TestOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "test FILE...",
		Short:   "Check that expected flows are allowed or denied",
		Long:    testLong,
		Example: testExample,
		Args:    cobra.MinimumNArgs(1),
		RunE:    runSteps(o),
	}
	o.printer = testFormats.addFlag(cmd, &o.Output)
	addQuietFlag(cmd, &o.Quiet)
	return cmd
}

// Complete reads and parses the expectation files.
func (o *TestOptions) Complete(files []string) error {
	o.files = files
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read expectations: %w", err)
		}
		list, err := parseExpectations(f, b)
		if err != nil {
			return err
		}
		for _, e := range list {
			flow, err := query.ParseFlow([]string{e.From, e.To})
			if err != nil {
				return fmt.Errorf("%s: %w", e.where(), err)
			}
			o.expectations = append(o.expectations, e)
			o.cases = append(o.cases, output.TestCase{File: f, Index: e.Index, Name: e.Name, From: e.From, To: e.To, Expect: e.Expect, Flow: flow})
		}
	}
	return nil
}

// Validate checks the flags.
func (o *TestOptions) Validate() error {
	return testFormats.validate(o.Output)
}

// Run checks every expectation and returns ErrNo when any fails.
func (o *TestOptions) Run() error {
	var eps []query.EndpointSpec
	for _, c := range o.cases {
		eps = append(eps, c.Flow.Source, c.Flow.Destination)
	}
	l, err := o.load(scopeOf(eps...))
	if err != nil {
		return err
	}
	failed := 0
	for i := range o.cases {
		c := &o.cases[i]
		ans, err := l.snap.Can(c.Flow, l.namespace)
		if err == nil && len(ans.Ambiguities) > 0 {
			// Implementations may enforce either verdict: neither holds.
			err = fmt.Errorf("the verdict is ambiguous: %s", ans.Ambiguities[0])
		}
		if err == nil && !ans.Decided {
			// Neither verdict is known to hold: an error, not a pass or
			// a failure.
			err = fmt.Errorf("undecided: depends on %s", strings.Join(ans.DependsOn, "; "))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", o.expectations[i].where(), err)
		}
		c.Answer = ans
		c.Pass = ans.Allowed == (c.Expect == "allow")
		if !c.Pass {
			failed++
		}
	}
	if !o.Quiet {
		// As "can" does, once every expectation has an answer; a warning
		// several of them carry is printed once.
		for _, c := range o.cases {
			o.warn(c.Answer.Warnings...)
		}
		render := func() error { return output.Tests(o.Out, o.Output, strings.Join(o.files, " "), o.cases) }
		if err := o.printer.or(o.Out, output.NewTestReport(o.cases), render); err != nil {
			return err
		}
	}
	if failed > 0 {
		return ErrNo
	}
	return nil
}
