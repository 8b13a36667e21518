package output

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestCase is one expectation of "kubectl netpol test" and its result.
type TestCase struct {
	File   string        `json:"file"`
	Index  int           `json:"index"`
	Name   string        `json:"name,omitempty"`
	From   string        `json:"from"`
	To     string        `json:"to"`
	Expect string        `json:"expect"`
	Pass   bool          `json:"pass"`
	Answer *query.Answer `json:"answer"`

	Flow query.Flow `json:"-"`
}

// TestReport is the JSON/YAML form of a test run.
type TestReport struct {
	query.TypeMeta
	SchemaVersion string     `json:"schemaVersion"`
	Passed        int        `json:"passed"`
	Failed        int        `json:"failed"`
	Results       []TestCase `json:"results"`
}

// NewTestReport is the report of a test run: the cases with their
// results, counted.
func NewTestReport(cases []TestCase) *TestReport {
	rep := &TestReport{TypeMeta: query.Document(query.KindTestReport), SchemaVersion: query.SchemaVersion, Results: cases}
	for _, c := range cases {
		if c.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
	}
	return rep
}

func (c *TestCase) title() string {
	flow := fmt.Sprintf("%s -> %s", c.From, c.To)
	if c.Name != "" {
		return c.Name + ": " + flow
	}
	return flow
}

func (c *TestCase) got() string {
	if c.Answer.Allowed {
		return "allow"
	}
	return "deny"
}

// Tests prints the results: one line per expectation, the trace of each
// failure, and "N passed, N failed". Markdown is a pull-request comment.
func Tests(w io.Writer, format, suite string, cases []TestCase) error {
	rep := NewTestReport(cases)
	switch format {
	case "json", "yaml":
		return Data(w, format, rep)
	case "junit":
		return junit(w, suite, rep)
	case "markdown":
		return testsMarkdown(w, suite, rep)
	}
	p := newPainter(w)
	var b strings.Builder
	for i := range cases {
		c := &cases[i]
		if c.Pass {
			fmt.Fprintf(&b, "%s  %s (%s)\n", p.green("PASS"), c.title(), c.Expect)
			continue
		}
		fmt.Fprintf(&b, "%s  %s: expected %s, got %s\n", p.red("FAIL"), c.title(), c.Expect, c.got())
		var trace strings.Builder
		if err := Can(&trace, "", c.Answer); err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimRight(trace.String(), "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			fmt.Fprintf(&b, "      %s\n", line)
		}
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed\n", rep.Passed, rep.Failed)
	if len(cases) > 0 && cases[0].Answer != nil && cases[0].Answer.Profile != nil {
		fmt.Fprintf(&b, "judged as: %s\n", cases[0].Answer.Profile)
	}
	return p.writeText(w, b.String())
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junit writes JUnit XML, which CI systems show as test results.
func junit(w io.Writer, suite string, rep *TestReport) error {
	s := junitSuite{Name: "kubectl netpol test " + suite, Tests: len(rep.Results), Failures: rep.Failed}
	for i := range rep.Results {
		c := &rep.Results[i]
		jc := junitCase{Name: c.title() + " (" + c.Expect + ")", Classname: c.File}
		if !c.Pass {
			var trace strings.Builder
			if err := Can(&trace, "", c.Answer); err != nil {
				return err
			}
			jc.Failure = &junitFailure{Message: fmt.Sprintf("expected %s, got %s", c.Expect, c.got()), Type: "FlowMismatch", Text: trace.String()}
		}
		s.Cases = append(s.Cases, jc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
