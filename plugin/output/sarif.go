package output

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// SARIF 2.1.0 (OASIS), the format code-scanning tools read: GitHub's
// upload-sarif, GitLab's and Azure DevOps' SARIF viewers. Only the parts
// "audit" fills are typed here; TestAuditSARIFIsValid checks the output
// against the standard's JSON schema.

// sarifSchema is the schema a SARIF 2.1.0 log names.
const sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// auditHelpURI is the README section listing the checks.
const auditHelpURI = "https://github.com/kubectl-netpol/kubectl-netpol#audit--best-practice"

// fingerprintKey names the partial fingerprint findings carry: the
// object, the check and the field, so that an alert keeps its identity
// when the object moves within or between files.
const fingerprintKey = "kubectlNetpolFinding/v1"

// Location is where a finding is written: File (slash-separated, relative
// to the working directory the command ran in where it is under it) and
// Line and Column, 0 when only the file is known.
type Location struct {
	File         string
	Line, Column int
}

// Locator finds where a finding's object or field is written; ok is false
// when it is in no file (a live cluster, standard input), and the finding
// then carries only its logical location, the object's kind, namespace and
// name.
type Locator func(f *query.Finding) (loc Location, ok bool)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// Properties hold what the audit was judged under.
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifMultiformat  `json:"help"`
	HelpURI              string            `json:"helpUri"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

// sarifRuleProperty are the rule properties GitHub reads: tags, and the
// security severity (0-10) it ranks security alerts by.
type sarifRuleProperty struct {
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
	SecuritySeverity string   `json:"security-severity"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMultiformat  `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	Severity string `json:"severity"`
	Object   string `json:"object"`
	Field    string `json:"field,omitempty"`
	Fix      string `json:"fix,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// AuditSARIF writes the audit as a SARIF 2.1.0 log: one rule per check
// (every check, so that a finding that goes away closes its alert), one
// result per finding, located by locate. version is the tool's.
func AuditSARIF(w io.Writer, a *query.Audit, locate Locator, version string) error {
	checks := query.AuditChecks()
	index := map[string]int{}
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "kubectl-netpol", Version: version, InformationURI: "https://github.com/kubectl-netpol/kubectl-netpol"}}, Results: []sarifResult{}}
	for i, c := range checks {
		index[c.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(c))
	}
	for i := range a.Findings {
		f := &a.Findings[i]
		ri, ok := index[f.Check]
		if !ok {
			return fmt.Errorf("finding of unknown check %q", f.Check)
		}
		run.Results = append(run.Results, sarifResultOf(f, ri, locate))
	}
	if a.Profile != nil {
		run.Properties = map[string]any{"namespaces": a.Namespaces, "judgedAs": a.Profile.String()}
	}
	b, err := json.MarshalIndent(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sarif: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// sarifRuleOf describes a check as a rule: its description is the title,
// its help why it matters and how to fix it.
func sarifRuleOf(c query.AuditCheck) sarifRule {
	short := sentence(c.Description)
	return sarifRule{
		ID:               c.ID,
		Name:             ruleName(c.ID),
		ShortDescription: sarifText{short},
		FullDescription:  sarifText{short + " " + c.Help()},
		Help: sarifMultiformat{
			Text:     c.Help(),
			Markdown: fmt.Sprintf("%s\n\nDefault severity: %s. See [the audit checks](%s).", mdText(c.Help()), c.Severity, auditHelpURI),
		},
		HelpURI:              auditHelpURI,
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(c.Severity)},
		Properties:           sarifRuleProperty{Tags: []string{"security", "kubernetes", "networkpolicy"}, Precision: "very-high", SecuritySeverity: securitySeverity(c.Severity)},
	}
}

// sarifResultOf is one finding: its message is why it matters and the fix,
// its location the file and line of its object or field where it is in a
// file, and always the object as a logical location.
func sarifResultOf(f *query.Finding, ruleIndex int, locate Locator) sarifResult {
	msg := f.Why
	md := mdText(f.Why)
	if f.Fix != "" {
		msg += "\n\nFix: " + f.Fix
		md += "\n\nFix:\n\n" + mdFenced(f.Fix)
	}
	loc := sarifLocation{LogicalLocations: []sarifLogicalLocation{logicalLocation(f.Object)}}
	if locate != nil {
		if l, ok := locate(f); ok {
			loc.PhysicalLocation = &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: fileURI(l.File)}}
			if l.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line, StartColumn: l.Column}
			}
		}
	}
	return sarifResult{
		RuleID:              f.Check,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifMultiformat{Text: msg, Markdown: md},
		Locations:           []sarifLocation{loc},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f)},
		Properties:          sarifResultProps{Severity: string(f.Severity), Object: f.Object, Field: f.Field, Fix: f.Fix},
	}
}

// sarifLevel maps severities to SARIF's levels.
func sarifLevel(s query.Severity) string {
	switch s {
	case query.High:
		return "error"
	case query.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the score GitHub turns into its high, medium and
// low security severities (7.0-8.9, 4.0-6.9, 0.1-3.9).
func securitySeverity(s query.Severity) string {
	switch s {
	case query.High:
		return "8.0"
	case query.Medium:
		return "5.5"
	}
	return "3.0"
}

// fingerprint identifies a finding by what it is about, not where: the
// object (kind, namespace, name), the check and the field.
func fingerprint(f *query.Finding) string {
	kind, ns, name := SplitObject(f.Object)
	sum := sha256.Sum256([]byte(strings.Join([]string{kind, ns, name, f.Check, f.Field}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// SplitObject splits an object as findings name it ("networkpolicy
// prod/db", "namespace dev", "adminnetworkpolicy guardrails") into its
// kind, namespace and name. What has no such form ("cluster", "2
// CiliumNetworkPolicies in prod") is returned whole as the name.
func SplitObject(object string) (kind, namespace, name string) {
	kind, rest, ok := strings.Cut(object, " ")
	if !ok || rest == "" || strings.ContainsAny(rest, " ") || strings.ContainsFunc(kind, func(r rune) bool { return !unicode.IsLower(r) }) {
		return "", "", object
	}
	if ns, n, ok := strings.Cut(rest, "/"); ok {
		return kind, ns, n
	}
	return kind, "", rest
}

// logicalLocation is the object as a logical location: kind/namespace/name.
func logicalLocation(object string) sarifLogicalLocation {
	kind, ns, name := SplitObject(object)
	if kind == "" {
		return sarifLogicalLocation{Name: name, FullyQualifiedName: name, Kind: "resource"}
	}
	fqn := kind + "/" + name
	if ns != "" {
		fqn = kind + "/" + ns + "/" + name
	}
	return sarifLogicalLocation{Name: name, FullyQualifiedName: fqn, Kind: "resource"}
}

// fileURI is a slash-separated path as a URI reference, with the
// characters a URI may not hold escaped: relative as given, or a file: URI
// for an absolute path.
func fileURI(path string) string {
	var b strings.Builder
	switch {
	case strings.HasPrefix(path, "/"):
		b.WriteString("file://")
	case len(path) > 2 && path[1] == ':' && path[2] == '/': // C:/...
		b.WriteString("file:///")
	}
	for _, c := range []byte(path) {
		if c < 0x80 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("-._~/!$&'()*+,;=:@", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// ruleName is a check's ID in the PascalCase SARIF viewers expect of a
// rule's name: "no-default-deny-ingress" is NoDefaultDenyIngress.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// sentence makes a description a sentence: capitalised, with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
