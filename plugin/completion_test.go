package plugin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// complete runs "__complete ARGS..." in-process as the shells do and returns
// the candidates (with their tab-separated descriptions) and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	got := run(t, "", append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if got.code != ExitOK {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, got.code, got.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	d, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		t.Fatalf("__complete %q: no directive line in\n%s", args, got.stdout)
	}
	return lines[:len(lines)-1], cobra.ShellCompDirective(d)
}

// names drops the descriptions.
func names(comps []string) []string {
	out := []string{}
	for _, c := range comps {
		name, _, _ := strings.Cut(c, "\t")
		out = append(out, name)
	}
	return out
}

const (
	noFile        = cobra.ShellCompDirectiveNoFileComp
	noFileNoSpace = cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
)

func TestCompleteEndpoints(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		want      []string
		directive cobra.ShellCompDirective
	}{
		{
			name:      "the first word offers the names of the default namespace, its kinds and every namespace",
			args:      []string{"can", "-f", threeTier, ""},
			want:      []string{"api", "db", "deploy/", "dev/", "kube-system/", "prod/", "svc/", "test/", "web"},
			directive: noFile,
		},
		{
			name:      "a prefix narrows the candidates",
			args:      []string{"can", "-f", threeTier, "d"},
			want:      []string{"db", "deploy/", "dev/"},
			directive: noFile,
		},
		{
			name:      "no space after a namespace prefix, the name follows",
			args:      []string{"can", "-f", threeTier, "pro"},
			want:      []string{"prod/"},
			directive: noFileNoSpace,
		},
		{
			name:      "NS/ offers that namespace's names and NS/KIND/ prefixes",
			args:      []string{"can", "-f", threeTier, "kube-system/"},
			want:      []string{"kube-system/coredns", "kube-system/deploy/"},
			directive: noFile,
		},
		{
			name:      "KIND/ offers the names of that kind",
			args:      []string{"can", "-f", threeTier, "svc/"},
			want:      []string{"svc/api", "svc/db", "svc/web"},
			directive: noFile,
		},
		{
			name:      "a long kind name is kept as written",
			args:      []string{"can", "-f", threeTier, "dev/deployment/a"},
			want:      []string{"dev/deployment/api"},
			directive: noFile,
		},
		{
			name:      "-n chooses the default namespace",
			args:      []string{"can", "-f", threeTier, "-n", "kube-system", ""},
			want:      []string{"coredns", "deploy/", "dev/", "kube-system/", "prod/", "test/"},
			directive: noFile,
		},
		{
			name:      "the destination completes after the source and after 'to'",
			args:      []string{"can", "-f", threeTier, "web", "to", "a"},
			want:      []string{"api"},
			directive: noFile,
		},
		{
			name:      "the destination's container ports, by number and by name",
			args:      []string{"can", "-f", threeTier, "api", "db:"},
			want:      []string{"db:3306", "db:mysql"},
			directive: noFile,
		},
		{
			name:      "ports other than TCP carry their protocol",
			args:      []string{"can", "-f", threeTier, "api", "kube-system/coredns:d"},
			want:      []string{"kube-system/coredns:dns-tcp", "kube-system/coredns:dns/udp"},
			directive: noFile,
		},
		{
			name:      "a service's own ports",
			args:      []string{"can", "-f", threeTier, "web", "svc/api:"},
			want:      []string{"svc/api:80", "svc/api:http"},
			directive: noFile,
		},
		{
			name:      "a source takes no port",
			args:      []string{"can", "-f", threeTier, "db:"},
			want:      []string{},
			directive: noFile,
		},
		{
			name:      "nothing after the destination",
			args:      []string{"can", "-f", threeTier, "web", "api", ""},
			want:      []string{},
			directive: noFile,
		},
		{
			name:      "explain takes one target",
			args:      []string{"explain", "-f", threeTier, "prod/w"},
			want:      []string{"prod/web"},
			directive: noFile,
		},
		{
			name:      "nothing after explain's target",
			args:      []string{"explain", "-f", threeTier, "web", ""},
			want:      []string{},
			directive: noFile,
		},
		{
			name:      "selectors and addresses are not completed",
			args:      []string{"can", "-f", threeTier, "role=a"},
			want:      []string{},
			directive: noFile,
		},
		{
			name:      "without -f and without a cluster there is nothing to offer, and no error",
			args:      []string{"can", ""},
			want:      []string{},
			directive: noFile,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("__complete %q (-want +got):\n%s", tt.args, diff)
			}
			if directive != tt.directive {
				t.Errorf("__complete %q: directive %d, want %d", tt.args, directive, tt.directive)
			}
		})
	}
}

func TestCompleteEndpointsDescribeWhatANameIs(t *testing.T) {
	got, _ := complete(t, "can", "-f", threeTier, "d")
	want := []string{"db\tdeployment, service", "deploy/\tdeployments in prod", "dev/\tnamespace"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCompleteReadsManifestsOnce(t *testing.T) {
	// __complete parses the flags twice; a repeated -f must not turn into
	// objects defined twice.
	got, _ := complete(t, "can", "-f", "../testdata/three-tier/app-prod.yaml", "-f", "../testdata/three-tier/kube-system.yaml", "kube-system/")
	if diff := cmp.Diff([]string{"kube-system/coredns", "kube-system/deploy/"}, names(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCompleteFlags(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: admin
contexts:
- name: staging
  context: {cluster: lab, user: admin}
- name: prod
  context: {cluster: lab, user: admin}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"-n offers the namespaces of the manifests", []string{"can", "-f", threeTier, "-n", ""}, []string{"dev", "kube-system", "prod", "test"}},
		{"-n narrows by prefix", []string{"explain", "-f", threeTier, "--namespace", "d"}, []string{"dev"}},
		{"--context offers the kubeconfig's contexts, sorted", []string{"can", "--kubeconfig", kubeconfig, "--context", ""}, []string{"prod", "staging"}},
		{"--cluster offers its clusters", []string{"can", "--kubeconfig", kubeconfig, "--cluster", ""}, []string{"lab"}},
		{"--user offers its users", []string{"can", "--kubeconfig", kubeconfig, "--user", ""}, []string{"admin"}},
		{"-o of can", []string{"can", "-o", ""}, []string{"json", "yaml", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"-o of explain", []string{"explain", "-o", ""}, []string{"json", "yaml", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"-o of version", []string{"version", "-o", ""}, []string{"json", "yaml", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"-o of diff", []string{"diff", "-o", ""}, []string{"json", "yaml", "markdown", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"-o of audit", []string{"audit", "-o", ""}, []string{"json", "yaml", "markdown", "sarif", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"-o of test", []string{"test", "-o", ""}, []string{"json", "yaml", "junit", "markdown", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"-o of map", []string{"map", "-o", ""}, []string{"json", "yaml", "csv", "dot", "mermaid", "html", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file"}},
		{"--severity of audit", []string{"audit", "--severity", ""}, []string{"low", "medium", "high"}},
		{"--focus of map takes an endpoint", []string{"map", "-f", threeTier, "--focus", "prod/d"}, []string{"prod/db", "prod/deploy/"}},
		{"the shells of completion", []string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
		{"the commands", []string{"c"}, []string{"can", "completion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("__complete %q (-want +got):\n%s", tt.args, diff)
			}
			if directive&cobra.ShellCompDirectiveNoFileComp == 0 {
				t.Errorf("__complete %q: directive %d offers files", tt.args, directive)
			}
		})
	}
}

func TestCompletionShim(t *testing.T) {
	got := run(t, "", "completion")
	if got.code != ExitOK || !strings.HasPrefix(got.stdout, "#!/usr/bin/env sh\n") || !strings.Contains(got.stdout, `kubectl netpol __complete "$@"`) {
		t.Fatalf("exit %d, stdout:\n%s", got.code, got.stdout)
	}
	if runtime.GOOS == "windows" {
		return
	}
	// kubectl runs the shim with the words after "netpol"; the shim must
	// pass them on to "kubectl netpol __complete" untouched.
	dir := t.TempDir()
	shim := filepath.Join(dir, "kubectl_complete-netpol")
	fake := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(shim, []byte(got.stdout), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := exec.Command(shim, "can", "web", "prod/ap p").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "[netpol]\n[__complete]\n[can]\n[web]\n[prod/ap p]\n"; string(out) != want {
		t.Errorf("the shim ran kubectl with\n%s\nwant\n%s", out, want)
	}
}

func TestCompletionScriptsAreForTheStandaloneBinary(t *testing.T) {
	tests := []struct {
		shell, want string
	}{
		{"bash", "complete -o default -F __start_kubectl-netpol kubectl-netpol"},
		{"zsh", "#compdef kubectl-netpol"},
		{"fish", "complete -c kubectl-netpol "},
		{"powershell", "Register-ArgumentCompleter -CommandName 'kubectl-netpol'"},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			got := run(t, "", "completion", tt.shell)
			if got.code != ExitOK || !strings.Contains(got.stdout, tt.want) {
				t.Errorf("exit %d, stderr %q; script lacks %q", got.code, got.stderr, tt.want)
			}
		})
	}
}

func TestCompletionRestoresTheRootName(t *testing.T) {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	cmd := NewCmdNetpol(streams)
	cmd.SetArgs([]string{"completion", "zsh"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if cmd.Name() != "netpol" {
		t.Errorf("root command is named %q after completion zsh, want netpol", cmd.Name())
	}
}

func TestCompletionErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"completion", "tcsh"},
		{"completion", "bash", "zsh"},
	} {
		got := run(t, "", args...)
		if got.code != ExitError || got.stdout != "" || !strings.HasPrefix(got.stderr, "error: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one error on stderr", args, got.code, got.stdout, got.stderr)
		}
	}
}

// TestProfileFlagsComplete: --cni completes the profiles, --ignore-kind
// the network plugins' policy kinds, without files.
func TestProfileFlagsComplete(t *testing.T) {
	got, d := complete(t, "can", "--cni", "")
	if diff := cmp.Diff(query.ProfileNames(), names(got)); diff != "" || d != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("--cni completions (-want +got):\n%s directive %d", diff, d)
	}
	got, _ = complete(t, "map", "--ignore-kind", "")
	// Cilium's kinds are evaluated: --ignore-kind does not take them.
	if !slices.Contains(names(got), "GlobalNetworkPolicy.projectcalico.org") || slices.Contains(names(got), "CiliumNetworkPolicy.cilium.io") {
		t.Errorf("--ignore-kind completions: %v", names(got))
	}
}
