package plugin

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/flows"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	generateLong = templates.LongDesc(`
		Write least-privilege policies for the flows a team needs, and prove
		them with the engine.

		--from takes "kubectl netpol test" files (their allow expectations are
		the required flows, their deny ones must stay denied) or flow files that
		"replay" reads (Hubble, generic CSV or JSON lines: connections seen or
		forwarded are required, those dropped by policy stay denied).

		Writes, as YAML for kubectl apply: per namespace in scope a default deny
		for ingress and egress, DNS egress to the cluster DNS pods, and per
		workload the rules its required flows need. Workloads are selected by
		their own spec.selector when it selects exactly their pods, else by the
		stable labels all their pods share (never pod-template-hash or other
		labels controllers write); other namespaces by
		kubernetes.io/metadata.name; ingress ports by the container port's name
		where the workload declares one, else by number; addresses outside the
		cluster by /32 (/128), or by wider prefixes with --ipv4-prefix and
		--ipv6-prefix. A comment on each policy and rule says why.

		The scope is -n NS, -A (every namespace with pods), or by default the
		namespaces of the required flows' pods; the system namespaces
		(kube-system, kube-public, kube-node-lease) only with -n, as a default
		deny there cuts the cluster DNS and the node agents. With the cluster
		DNS's namespace in scope, its DNS pods take DNS queries from every pod. Existing policies are kept;
		--replace proposes the generated ones instead of those of the namespaces
		in scope.

		The proof follows on stderr (in -o json, as data): every required flow
		allowed and every deny flow denied by the state with the generated
		policies, with the rules that decide; the flows the generated policies
		also allow beyond the required ones, grouped by rule; and the flows
		allowed now that they deny. A required flow that a cluster policy (an
		Admin-tier deny), a deny rule or a namespace out of scope still blocks is
		named.

		Exit codes: 0 the proof holds, 1 some flow of the request does not hold
		with the generated policies, 2 error (bad input, or a verdict that
		depends on what the tool cannot know).`)

	generateExample = templates.Examples(`
		# Policies for the example shop's traffic, proved against its manifests
		kubectl netpol generate --from testdata/three-tier/traffic.yaml -f testdata/three-tier/ > policies.yaml

		# From a day of Hubble flows, for one namespace, as CiliumNetworkPolicies
		kubectl netpol generate --from hubble-day.json -n prod --format ciliumnetworkpolicy

		# Propose replacing the namespace's policies; the proof as JSON
		kubectl netpol generate --from expectations.yaml -n prod --replace -o json`)
)

// generateFormats are the -o formats of "kubectl netpol generate": YAML
// manifests by default, or the whole answer as data.
var generateFormats = formats{names: []string{"json", "yaml"}, text: "the policies as YAML to apply, the proof on stderr,", objects: "the generated policies"}

// GenerateOptions are the inputs of "kubectl netpol generate".
type GenerateOptions struct {
	*globalOptions
	From          []string
	Format        string
	Replace       bool
	AllNamespaces bool
	IPv4Prefix    int
	IPv6Prefix    int
	Output        string
	Quiet         bool
	SkipBad       bool

	printer *printer
}

// NewCmdGenerate builds the "generate" command.
func NewCmdGenerate(g *globalOptions) *cobra.Command {
	o := &GenerateOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "generate --from FILE... [-n NS | -A] [--format networkpolicy|ciliumnetworkpolicy]",
		Short:   "Write least-privilege policies for required flows, with the proof",
		Long:    generateLong,
		Example: generateExample,
		Args:    cobra.NoArgs,
		RunE:    runSteps(o),
	}
	fs := cmd.Flags()
	pathsVarP(fs, &o.From, "from", "", "Expectations file (kubectl netpol test) or flow file (as replay reads) of the required flows; repeatable")
	fs.StringVar(&o.Format, "format", "networkpolicy", "Kind of policies to write: networkpolicy or ciliumnetworkpolicy")
	fs.BoolVar(&o.Replace, "replace", false, "Propose the generated policies instead of the existing ones of the namespaces in scope")
	fs.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Write policies for every namespace with pods but kube-system, kube-public and kube-node-lease")
	fs.IntVar(&o.IPv4Prefix, "ipv4-prefix", 32, "Widen IPv4 addresses outside the cluster to prefixes of this length")
	fs.IntVar(&o.IPv6Prefix, "ipv6-prefix", 128, "Widen IPv6 addresses outside the cluster to prefixes of this length")
	fs.BoolVar(&o.SkipBad, "skip-bad-records", false, "Count bad records of flow files instead of failing on the first")
	o.printer = generateFormats.addFlag(cmd, &o.Output)
	addQuietFlag(cmd, &o.Quiet)
	return cmd
}

// Complete has nothing to derive: the inputs are read in Run, where the
// flow files' ends are placed on the snapshot.
func (o *GenerateOptions) Complete([]string) error { return nil }

// Validate checks the flags.
func (o *GenerateOptions) Validate() error {
	if len(o.From) == 0 {
		return fmt.Errorf("--from is required: an expectations file or a flow file of the required flows")
	}
	if o.Format != "networkpolicy" && o.Format != "ciliumnetworkpolicy" {
		return fmt.Errorf("--format %q: want networkpolicy or ciliumnetworkpolicy", o.Format)
	}
	if o.IPv4Prefix < 1 || o.IPv4Prefix > 32 {
		return fmt.Errorf("--ipv4-prefix %d: want 1 to 32", o.IPv4Prefix)
	}
	if o.IPv6Prefix < 1 || o.IPv6Prefix > 128 {
		return fmt.Errorf("--ipv6-prefix %d: want 1 to 128", o.IPv6Prefix)
	}
	if o.AllNamespaces && *o.configFlags.Namespace != "" {
		return fmt.Errorf("-A and -n exclude each other")
	}
	return generateFormats.validate(o.Output)
}

// Run reads the required flows, generates and proves the policies, writes
// them, and returns ErrNo when the proof does not hold.
func (o *GenerateOptions) Run() error {
	l, err := o.loadMany(load.Scope{AllNamespaces: true}, true)
	if err != nil {
		return err
	}
	req, err := o.readFlows(l.snap)
	if err != nil {
		return err
	}
	opts := query.GenerateOptions{DefaultNamespace: l.namespace, Cilium: o.Format == "ciliumnetworkpolicy", Replace: o.Replace,
		IPv4Prefix: o.IPv4Prefix, IPv6Prefix: o.IPv6Prefix}
	switch {
	case o.AllNamespaces:
		for _, ns := range l.snap.Namespaces() {
			if len(l.snap.PodsIn(ns.Name)) > 0 && !slices.Contains(query.SystemNamespaces, ns.Name) {
				opts.Namespaces = append(opts.Namespaces, ns.Name)
			}
		}
	case *o.configFlags.Namespace != "":
		opts.Namespaces = []string{*o.configFlags.Namespace}
	}
	g, err := l.snap.Generate(req, opts)
	if err != nil {
		return err
	}
	o.warn(g.Proof.Warnings...)
	if !o.Quiet {
		switch {
		case o.printer.active():
			if err := o.printer.print(o.Out, g); err != nil {
				return err
			}
		case o.Output == "":
			if err := output.GeneratedYAML(o.Out, g, o.header(req, g)); err != nil {
				return err
			}
			if err := output.Proof(o.ErrOut, g.Proof, 10); err != nil {
				return err
			}
		default:
			if err := output.Data(o.Out, o.Output, g); err != nil {
				return err
			}
		}
	}
	if g.Proof.Undecided {
		return fmt.Errorf("the proof is not complete: some verdicts depend on what the tool cannot know (see dependsOn)")
	}
	if !g.Proof.Holds {
		return ErrNo
	}
	return nil
}

// header is the comment at the top of the YAML: where the flows came
// from, the scope, and where the proof is.
func (o *GenerateOptions) header(req []query.GenerateFlow, g *query.Generated) []string {
	allow := 0
	for _, f := range req {
		if f.Allow {
			allow++
		}
	}
	return []string{
		fmt.Sprintf("Generated by kubectl netpol generate --from %s: %d required flows, %d to stay denied.", strings.Join(o.From, " "), allow, len(req)-allow),
		fmt.Sprintf("Namespaces in scope: %s. The proof is printed on stderr; kubectl netpol generate -o json has it as data.", strings.Join(g.Namespaces, ", ")),
	}
}

// readFlows reads every --from file: an expectations file (a YAML list),
// or flow files replay reads, whose connections are placed on the
// snapshot and taken as expectations.
func (o *GenerateOptions) readFlows(snap *query.Snapshot) ([]query.GenerateFlow, error) {
	var out []query.GenerateFlow
	var flowPaths []string
	for _, f := range o.From {
		b, ok := expectationsFile(f)
		if !ok {
			flowPaths = append(flowPaths, f)
			continue
		}
		list, err := parseExpectations(f, b)
		if err != nil {
			return nil, err
		}
		got, err := generateFlows(list)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	if len(flowPaths) > 0 {
		conns, _, err := flows.Read(flowPaths, o.In, flows.Options{SkipBadRecords: o.SkipBad})
		if err != nil {
			return nil, err
		}
		res, err := snap.Replay(conns, nil)
		if err != nil {
			return nil, err
		}
		list, left := observedExpectations(res, true)
		for _, l := range left {
			fmt.Fprintf(o.ErrOut, "Warning: left out of the required flows: %s\n", l)
		}
		for i := range list {
			list[i].File, list[i].Index = strings.Join(flowPaths, ","), i
		}
		got, err := generateFlows(list)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// generateFlows parses expectations into the flows of a request.
func generateFlows(list []Expectation) ([]query.GenerateFlow, error) {
	var out []query.GenerateFlow
	for _, e := range list {
		flow, err := query.ParseFlow([]string{e.From, e.To})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.where(), err)
		}
		where := fmt.Sprintf("%s:%d", e.File, e.Line)
		if e.Line == 0 {
			where = fmt.Sprintf("%s: connection %d", e.File, e.Index+1)
		}
		out = append(out, query.GenerateFlow{Name: e.Name, Where: where, From: e.From, To: e.To, Allow: e.Expect == "allow", Flow: flow})
	}
	return out, nil
}

// expectationsFile reads an expectations file (a YAML list), told from
// a flow file by its name and its first line that is not blank or a
// comment; ok is false for anything else (standard input, directories,
// flow files, unreadable paths: the flow reader names their errors).
func expectationsFile(path string) (data []byte, ok bool) {
	if path == "-" || !slices.Contains([]string{".yaml", ".yml"}, strings.ToLower(filepath.Ext(path))) {
		return nil, false
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return nil, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || bytes.Equal(t, []byte("---")) {
			continue
		}
		return b, t[0] == '-' || t[0] == '['
	}
	return b, true
}
