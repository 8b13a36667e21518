package plugin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TestOutputFlagHelpNamesTheFormats pins the help of every command's -o as
// users read it: the formats it takes, and what it prints without one.
func TestOutputFlagHelpNamesTheFormats(t *testing.T) {
	const (
		text      = "human-readable text when empty"
		templates = "jsonpath=TEMPLATE, jsonpath-file=FILE, go-template=TEMPLATE, go-template-file=FILE"
	)
	want := map[string]string{
		"can":      "Output format: one of (json, yaml), or as kubectl: name (the policies that judge the flow), " + templates + "; " + text,
		"explain":  "Output format: one of (json, yaml), or as kubectl: name (the workloads explained), " + templates + "; " + text,
		"diff":     "Output format: one of (json, yaml, markdown), or as kubectl: name (the workloads whose flows change), " + templates + "; " + text,
		"map":      "Output format: one of (json, yaml, csv, dot, mermaid, html), or as kubectl: name (the workloads), " + templates + "; an adjacency table when empty",
		"test":     "Output format: one of (json, yaml, junit, markdown), or as kubectl: name (the endpoints of failing expectations), " + templates + "; " + text,
		"audit":    "Output format: one of (json, yaml, markdown, sarif), or as kubectl: name (the objects of the findings), " + templates + "; " + text,
		"replay":   "Output format: one of (json, yaml, markdown), or as kubectl: name (the workloads of connections that change verdict or disagree), " + templates + "; " + text,
		"generate": "Output format: one of (json, yaml), or as kubectl: name (the generated policies), " + templates + "; the policies as YAML to apply, the proof on stderr, when empty",
		"version":  "Output format: one of (json, yaml), or as kubectl: " + templates + "; " + text,
	}
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	got := map[string]string{}
	for _, c := range NewCmdNetpol(streams).Commands() {
		if f := c.Flags().Lookup("output"); f != nil {
			got[c.Name()] = f.Usage
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-o help (-want +got):\n%s", diff)
	}
}

// TestUnknownOutputFormatNamesTheKnownOnes: a format a command does not
// have is an error (exit 2) that lists the ones it has.
func TestUnknownOutputFormatNamesTheKnownOnes(t *testing.T) {
	const templates = "jsonpath=TEMPLATE, jsonpath-file=FILE, go-template=TEMPLATE, go-template-file=FILE"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"can", []string{"can", "api", "db:3306"}, "json, yaml, name, " + templates},
		{"explain", []string{"explain", "prod/db"}, "json, yaml, name, " + templates},
		{"diff", []string{"diff", "--with", whatIf + "db-loose.yaml"}, "json, yaml, markdown, name, " + templates},
		{"map", []string{"map"}, "json, yaml, csv, dot, mermaid, html, name, " + templates},
		{"test", []string{"test", threeTier + "expectations.yaml"}, "json, yaml, junit, markdown, name, " + templates},
		{"audit", []string{"audit"}, "json, yaml, markdown, sarif, name, " + templates},
		{"generate", []string{"generate", "--from", threeTier + "traffic.yaml"}, "json, yaml, name, " + templates},
		{"version", []string{"version"}, "json, yaml, " + templates},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "-o", "xml")
			if tc.name != "version" {
				args = append(args, "-f", threeTier)
			}
			r := run(t, "", args...)
			want := `error: unsupported output format "xml": want one of ` + tc.want + "\n"
			if r.code != ExitError || r.stderr != want {
				t.Errorf("%s: exit %d, stderr %q; want exit 2, %q", strings.Join(args, " "), r.code, r.stderr, want)
			}
		})
	}
}

// TestEveryDeclaredFormatIsRendered: each format a command declares for -o
// (and so offers in help and completion) is one its renderer writes, each
// unlike the others and unlike the text: a declared name the renderer does
// not know fails, or falls back to another format's output.
func TestEveryDeclaredFormatIsRendered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		formats formats
		args    []string
	}{
		{"can", canFormats, []string{"can", "api", "db:3306", "-f", threeTier}},
		{"explain", explainFormats, []string{"explain", "prod/db", "-f", threeTier}},
		{"diff", diffFormats, []string{"diff", "-f", threeTier, "--with", whatIf + "db-loose.yaml"}},
		{"map", mapFormats, []string{"map", "-A", "-f", threeTier}},
		{"test", testFormats, []string{"test", threeTier + "expectations.yaml", "-f", threeTier}},
		{"audit", auditFormats, []string{"audit", "-A", "-f", threeTier}},
		{"version", versionFormats, []string{"version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]string{} // output -> the format that wrote it
			for _, format := range append([]string{""}, tc.formats.names...) {
				args := tc.args
				if format != "" {
					args = append(args[:len(args):len(args)], "-o", format)
				}
				r := run(t, "", args...)
				if r.code == ExitError || r.stdout == "" {
					t.Errorf("-o %q: exit %d, %d bytes on stdout, stderr %q", format, r.code, len(r.stdout), r.stderr)
					continue
				}
				if other, ok := seen[r.stdout]; ok {
					t.Errorf("-o %q writes what -o %q writes", format, other)
				}
				seen[r.stdout] = format
			}
		})
	}
}
