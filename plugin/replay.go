package plugin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/flows"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var (
	replayLong = templates.LongDesc(`
		Replay observed traffic against the policies: each connection a
		dataplane recorded (Cilium Hubble's "hubble observe -o json" lines,
		or the generic CSV or JSON lines format of the README) is placed on
		the cluster or manifests and judged as "can" judges it.

		With --with/--without: which observed connections the change would
		newly deny or newly allow, with the rule that now decides them.
		Without: each connection's verdict, and the connections where model
		and dataplane disagree (forwarded but denied by the model, dropped by
		policy but allowed by it), which reveal a wrong model or a policy
		the tool does not see.

		Only connection-initiating records count (TCP SYN, not replies),
		each connection once though seen at both ends; they are aggregated by
		source, destination, protocol and port. An end that cannot be placed
		(by pod, workload, address or labels) is reported, never judged.

		Exit codes: 0 no observed connection changes verdict (or, without a
		change, model and dataplane agree), 1 some do, 2 error.`)

	replayExample = templates.Examples(`
		# Which of yesterday's connections would the new policy break?
		hubble observe --since 24h -o json > flows.json
		kubectl netpol replay flows.json --with new-policy.yaml

		# Offline, on the bundled example: a change that forgets DNS
		kubectl netpol replay testdata/three-tier-replay/hubble-day.json -f testdata/three-tier/ --without networkpolicy/prod/allow-dns

		# Where do model and dataplane disagree?
		hubble observe -o json --last 100000 | kubectl netpol replay -

		# Turn the traffic a team relies on into a regression test
		kubectl netpol replay flows.json --emit-expectations > expectations.yaml`)
)

// replayFormats are the -o formats of "kubectl netpol replay".
var replayFormats = formats{names: []string{"json", "yaml", "markdown"}, objects: "the workloads of connections that change verdict or disagree"}

// ReplayOptions are the inputs of "kubectl netpol replay".
type ReplayOptions struct {
	*globalOptions
	Output           string
	Quiet            bool
	EmitExpectations bool
	SkipBadRecords   bool

	printer *printer
	paths   []string
}

// NewCmdReplay builds the "replay" command.
func NewCmdReplay(g *globalOptions) *cobra.Command {
	o := &ReplayOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "replay FLOWS... [--with FILE...] [--without KIND/NS/NAME...]",
		Short:   "Judge recorded flows (Hubble, CSV) against the policies, or against a change",
		Long:    replayLong,
		Example: replayExample,
		Args:    cobra.MinimumNArgs(1),
		RunE:    runSteps(o),
	}
	o.printer = replayFormats.addFlag(cmd, &o.Output)
	addQuietFlag(cmd, &o.Quiet)
	cmd.Flags().BoolVar(&o.EmitExpectations, "emit-expectations", false, "Write a \"kubectl netpol test\" file of the observed connections instead: forwarded ones expected allow, ones dropped by policy expected deny")
	cmd.Flags().BoolVar(&o.SkipBadRecords, "skip-bad-records", false, "Count records that cannot be read instead of failing on the first")
	return cmd
}

// Complete takes the flow files.
func (o *ReplayOptions) Complete(args []string) error {
	o.paths = args
	return nil
}

// Validate checks the output format and that standard input feeds one
// reader.
func (o *ReplayOptions) Validate() error {
	if strings.Contains(strings.Join(o.paths, "\x00"), "-") {
		for _, p := range o.paths {
			if p == "-" && (containsDash(o.snapshot.filenames) || containsDash(o.snapshot.with)) {
				return fmt.Errorf("standard input can feed the flows or -f -/--with -, not both")
			}
		}
	}
	if o.EmitExpectations && (o.Output != "" || o.printer.active()) {
		return fmt.Errorf("--emit-expectations writes YAML of its own: leave out -o")
	}
	return replayFormats.validate(o.Output)
}

func containsDash(paths []string) bool {
	for _, p := range paths {
		if p == "-" {
			return true
		}
	}
	return false
}

// Run reads the flows, judges them and returns ErrNo when some observed
// connection changes verdict (or model and dataplane disagree).
func (o *ReplayOptions) Run() error {
	conns, stats, err := flows.Read(o.paths, o.In, flows.Options{SkipBadRecords: o.SkipBadRecords})
	if err != nil {
		return err
	}
	l, err := o.loadMany(load.Scope{AllNamespaces: true}, true)
	if err != nil {
		return err
	}
	var res *query.ReplayResult
	if o.whatIf() {
		res, err = l.base.Replay(conns, l.snap)
	} else {
		res, err = l.snap.Replay(conns, nil)
	}
	if err != nil {
		return err
	}
	res.Input = stats
	if o.EmitExpectations {
		return o.emitExpectations(res)
	}
	o.warn(res.Warnings...)
	if !o.Quiet {
		if err := o.printer.or(o.Out, res, func() error { return output.Replay(o.Out, o.Output, res, inputSummary(stats)) }); err != nil {
			return err
		}
	}
	if res.Changed() {
		return ErrNo
	}
	return nil
}

// inputSummary says in one line what the reader read and left out.
func inputSummary(st flows.Stats) string {
	parts := []string{fmt.Sprintf("%d records read, %d flows", st.Records, st.Flows)}
	if st.NotInitiating > 0 {
		parts = append(parts, fmt.Sprintf("%d not starting a connection (replies, established)", st.NotInitiating))
	}
	if st.Duplicates > 0 {
		parts = append(parts, fmt.Sprintf("%d seen again at the other end", st.Duplicates))
	}
	kinds := make([]string, 0, len(st.NonFlow))
	for k := range st.NonFlow {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", st.NonFlow[k], k))
	}
	if st.LostEvents > 0 {
		parts = append(parts, fmt.Sprintf("%d events lost by the recorder", st.LostEvents))
	}
	if st.Bad > 0 {
		parts = append(parts, fmt.Sprintf("%d bad records skipped (first: %s)", st.Bad, st.FirstBad))
	}
	return strings.Join(parts, "; ")
}

// emitExpectations writes the observed connections as expectations:
// forwarded ones allow, ones dropped by policy deny; connections recorded
// both ways, not recorded, or not placed are left out, with a comment.
func (o *ReplayOptions) emitExpectations(res *query.ReplayResult) error {
	list, left := observedExpectations(res, false)
	var b strings.Builder
	b.WriteString("# Expectations from observed traffic (kubectl netpol replay --emit-expectations).\n")
	for _, l := range left {
		b.WriteString("# left out: " + l + "\n")
	}
	if len(list) == 0 {
		b.WriteString("[]\n")
	}
	for _, e := range list {
		// Each value double-quoted, which YAML reads as written.
		q := strconv.Quote
		fmt.Fprintf(&b, "- name: %s\n  from: %s\n  to: %s\n  expect: %s\n", q(e.Name), q(e.From), q(e.To), e.Expect)
	}
	var err error
	_, err = fmt.Fprint(o.Out, b.String())
	return err
}

// observedExpectations turns observed connections into expectations:
// forwarded ones allow, ones dropped by policy deny. Connections recorded
// both ways or not placed are left out, with why; so are those with no
// recorded verdict, unless unrecordedAllow takes them as allow (what
// "generate" needs: a connection seen is one the team makes).
func observedExpectations(res *query.ReplayResult, unrecordedAllow bool) (list []Expectation, left []string) {
	for _, rc := range res.Connections {
		fwd, denied := rc.Recorded[query.RecordedForwarded], rc.Recorded[query.RecordedDenied]
		switch {
		case rc.Unplaced != "":
			left = append(left, fmt.Sprintf("%s -> %s %s/%d: %s", rc.From, rc.To, rc.Protocol, rc.Port, rc.Unplaced))
			continue
		case fwd > 0 && denied > 0:
			left = append(left, fmt.Sprintf("%s -> %s %s/%d: recorded both forwarded (%d) and dropped by policy (%d)", rc.From, rc.To, rc.Protocol, rc.Port, fwd, denied))
			continue
		case fwd == 0 && denied == 0 && !unrecordedAllow:
			left = append(left, fmt.Sprintf("%s -> %s %s/%d: no verdict recorded", rc.From, rc.To, rc.Protocol, rc.Port))
			continue
		}
		expect, how := "allow", "forwarded"
		switch {
		case denied > 0:
			expect, how = "deny", "dropped by policy"
		case fwd == 0:
			how = "no verdict recorded"
		}
		list = append(list, Expectation{
			Name:   fmt.Sprintf("%s -> %s %s %d, observed %s", rc.From, rc.To, rc.Protocol, rc.Port, plural(rc.Count, "time ("+how+")", "times ("+how+")")),
			From:   expectationEnd(rc.From),
			To:     fmt.Sprintf("%s:%d/%s", expectationEnd(rc.To), rc.Port, strings.ToLower(rc.Protocol)),
			Expect: expect,
		})
	}
	return list, left
}

// plural counts n things in words.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// expectationEnd names a placed end as an expectation's endpoint: a
// workload "deployment prod/web" as prod/deployment/web (the workload
// stays while its pods come and go), a pod "pod prod/debug" as
// prod/debug, an address as it is.
func expectationEnd(placed string) string {
	kind, name, ok := strings.Cut(placed, " ")
	if !ok {
		return placed // an address
	}
	ns, n, _ := strings.Cut(name, "/")
	if kind == "pod" {
		return ns + "/" + n
	}
	return ns + "/" + kind + "/" + n
}
