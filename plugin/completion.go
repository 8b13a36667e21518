package plugin

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// completionShim is the kubectl_complete-netpol script. kubectl (1.26 and
// later) completes "kubectl netpol ..." by running an executable of that
// name found on PATH with the words after "netpol"; cobra's hidden
// __complete command answers.
const completionShim = `#!/usr/bin/env sh
# kubectl_complete-netpol: shell completion of "kubectl netpol" for kubectl
# 1.26 and later. Keep it executable on PATH; see "kubectl netpol completion -h".
exec kubectl netpol __complete "$@"
`

// completionShells are the shells cobra generates scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

var (
	completionLong = templates.LongDesc(`
		Print shell completion code.

		Without an argument, print the kubectl_complete-netpol script. kubectl
		1.26 and later completes "kubectl netpol ..." by running an executable
		of that name found on PATH, for every shell kubectl completes. Krew
		installs the plugin but not this script: save it on PATH (next to the
		plugin, in Krew's bin directory, is a good place) and make it executable.
		kubectl's own completion must be set up too ("kubectl completion -h").

		With a shell (bash, zsh, fish or powershell), print the completion
		script for running the binary on its own as kubectl-netpol.

		Completion offers namespaces, workload, pod and service names (with
		NS/ and KIND/ prefixes) and the ports of the destination, read from the
		-f manifests when given, else from the cluster.

		Exit codes: 0 success, 2 error.`)

	completionExample = templates.Examples(`
		# Complete "kubectl netpol" through kubectl (1.26+), for a Krew install
		kubectl netpol completion > kubectl_complete-netpol
		chmod +x kubectl_complete-netpol
		mv kubectl_complete-netpol "${KREW_ROOT:-$HOME/.krew}/bin/"

		# The same for a kubectl-netpol binary installed elsewhere on PATH
		kubectl netpol completion | sudo tee /usr/local/bin/kubectl_complete-netpol >/dev/null
		sudo chmod +x /usr/local/bin/kubectl_complete-netpol

		# Complete the standalone kubectl-netpol binary in bash (add to ~/.bashrc)
		source <(kubectl-netpol completion bash)

		# ... in zsh (add to ~/.zshrc, after compinit)
		source <(kubectl-netpol completion zsh)

		# ... in fish
		kubectl-netpol completion fish > ~/.config/fish/completions/kubectl-netpol.fish

		# ... in PowerShell (add to $PROFILE)
		kubectl-netpol completion powershell | Out-String | Invoke-Expression`)
)

// CompletionOptions are the inputs of "kubectl netpol completion".
type CompletionOptions struct {
	*globalOptions
	Shell          string
	NoDescriptions bool
}

// NewCmdCompletion builds the "completion" command. Having one named
// "completion" also keeps cobra from adding its default.
func NewCmdCompletion(g *globalOptions) *cobra.Command {
	o := &CompletionOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:                   "completion [bash|zsh|fish|powershell]",
		Short:                 "Print the kubectl_complete-netpol script, or a shell's completion script",
		Long:                  completionLong,
		Example:               completionExample,
		Args:                  cobra.MaximumNArgs(1),
		ValidArgs:             completionShells,
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, args []string) error {
			o.Complete(args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c.Root())
		},
	}
	cmd.Flags().BoolVar(&o.NoDescriptions, "no-descriptions", false, "Leave the descriptions of completions out of shell scripts")
	return cmd
}

// Complete takes the shell from the arguments.
func (o *CompletionOptions) Complete(args []string) {
	if len(args) == 1 {
		o.Shell = args[0]
	}
}

// Validate checks the shell.
func (o *CompletionOptions) Validate() error {
	if o.Shell == "" {
		return nil
	}
	for _, s := range completionShells {
		if o.Shell == s {
			return nil
		}
	}
	return fmt.Errorf("unsupported shell %q: want one of %s", o.Shell, strings.Join(completionShells, ", "))
}

// Run prints the shim, or the script of the shell for the root command
// named kubectl-netpol (the name the standalone binary is run by).
func (o *CompletionOptions) Run(root *cobra.Command) error {
	if o.Shell == "" {
		_, err := io.WriteString(o.Out, completionShim)
		return err
	}
	use := root.Use
	root.Use = "kubectl-netpol"
	defer func() { root.Use = use }()
	desc := !o.NoDescriptions
	switch o.Shell {
	case "bash":
		return root.GenBashCompletionV2(o.Out, desc)
	case "zsh":
		if desc {
			return root.GenZshCompletion(o.Out)
		}
		return root.GenZshCompletionNoDesc(o.Out)
	case "fish":
		return root.GenFishCompletion(o.Out, desc)
	default:
		if desc {
			return root.GenPowerShellCompletionWithDesc(o.Out)
		}
		return root.GenPowerShellCompletion(o.Out)
	}
}

// registerGlobalCompletions completes the shared flags of the root command:
// -n with namespaces (from the -f manifests or the cluster), --context,
// --cluster and --user with the kubeconfig's entries, --cni with the
// profiles and --ignore-kind with the network plugins' policy kinds.
func registerGlobalCompletions(cmd *cobra.Command, g *globalOptions) {
	mustRegister(cmd.RegisterFlagCompletionFunc("namespace", completeNamespaces(g)))
	mustRegister(cmd.RegisterFlagCompletionFunc("context", completeKubeconfig(g, kubeconfigContexts)))
	mustRegister(cmd.RegisterFlagCompletionFunc("cluster", completeKubeconfig(g, kubeconfigClusters)))
	mustRegister(cmd.RegisterFlagCompletionFunc("user", completeKubeconfig(g, kubeconfigUsers)))
	registerStateCompletions(cmd)
}

// registerStateCompletions registers the completions of the flags that
// choose the state, on a command that has them (the root, and its own
// copies on each command that reads state).
func registerStateCompletions(cmd *cobra.Command) {
	mustRegister(cmd.RegisterFlagCompletionFunc("cni", cobra.FixedCompletions(query.ProfileNames(), cobra.ShellCompDirectiveNoFileComp)))
	var kinds []string
	for _, k := range query.PluginKinds {
		if !k.Evaluated {
			kinds = append(kinds, k.String())
		}
	}
	mustRegister(cmd.RegisterFlagCompletionFunc("ignore-kind", cobra.FixedCompletions(kinds, cobra.ShellCompDirectiveNoFileComp)))
}

// mustRegister fails on a flag that does not exist or is registered twice:
// a programming error the command tests catch.
func mustRegister(err error) {
	if err != nil {
		panic(err)
	}
}

// forCompletion is a copy of the options for reading state while the shell
// waits: silent (warnings would garble the command line), with nothing on
// stdin, and with a request timeout unless the user set one.
func (g *globalOptions) forCompletion(cmd *cobra.Command) *globalOptions {
	undoDoubleParse(cmd)
	c := *g
	c.IOStreams = genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	c.progress = nil
	if f := cmd.Flags().Lookup("request-timeout"); f != nil && !f.Changed {
		*c.configFlags.Timeout = completionTimeout
	}
	return &c
}

// undoDoubleParse halves the list flags cobra's __complete parsed twice:
// it parses the command line once to count arguments and once for real, so
// every value of a repeatable flag (-f a -f b) arrives twice and the
// manifests would be read twice.
func undoDoubleParse(cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok || !f.Changed {
			return
		}
		vals := sv.GetSlice()
		if n := len(vals) / 2; len(vals)%2 == 0 && n > 0 && slices.Equal(vals[:n], vals[n:]) {
			if err := sv.Replace(vals[:n]); err != nil {
				cobra.CompDebugln(fmt.Sprintf("--%s: %v", f.Name, err), true)
			}
		}
	})
}

// completionTimeout bounds each request to the cluster made for completion.
const completionTimeout = "5s"

// completeNamespaces completes namespace names: those of the -f manifests,
// else the cluster's (one list call).
func completeNamespaces(g *globalOptions) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		l, err := g.forCompletion(cmd).load(load.Scope{})
		if err != nil {
			cobra.CompDebugln(err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, ns := range l.snap.Namespaces() {
			if strings.HasPrefix(ns.Name, toComplete) {
				out = append(out, ns.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func kubeconfigContexts(c *clientcmdapi.Config) []string { return slices.Sorted(maps.Keys(c.Contexts)) }
func kubeconfigClusters(c *clientcmdapi.Config) []string { return slices.Sorted(maps.Keys(c.Clusters)) }
func kubeconfigUsers(c *clientcmdapi.Config) []string    { return slices.Sorted(maps.Keys(c.AuthInfos)) }

// completeKubeconfig completes the names the kubeconfig (as --kubeconfig
// and KUBECONFIG choose it) holds.
func completeKubeconfig(g *globalOptions, names func(*clientcmdapi.Config) []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := g.configFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			cobra.CompDebugln(err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range names(&raw) {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeEndpoints completes the endpoint arguments of a command that takes
// up to max of them ("can": 2, "explain": 1): names of workloads, bare pods
// and services, NS/ and KIND/ prefixes, then the names under them, and for
// the destination of "can" (the second endpoint) its ports after a colon.
// Names come from the -f manifests, else from the namespace of the cluster
// the word names.
func completeEndpoints(g *globalOptions, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		pos := 0
		for _, a := range args {
			if a != "to" && a != "->" {
				pos++
			}
		}
		if pos >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		word, port := toComplete, false
		if i := strings.LastIndex(toComplete, ":"); i >= 0 {
			if max < 2 || pos != 1 {
				return nil, cobra.ShellCompDirectiveNoFileComp // only a destination takes a port
			}
			word, port = toComplete[:i], true
		}
		// The namespace and kind the word is under: "prod/", "deploy/",
		// "prod/sts/" before the name being typed (or the whole word before
		// a port).
		under := word
		if !port {
			under = word[:strings.LastIndex(word, "/")+1]
		}
		var spec query.EndpointSpec
		if under != "" {
			probe := under
			if !port {
				probe += "x"
			}
			var err error
			if spec, err = query.ParseEndpoint(probe); err != nil || spec.Selector != nil || spec.Addr.IsValid() || spec.CIDR.IsValid() {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
		}
		l, err := g.forCompletion(cmd).load(load.Scope{Namespaces: []string{spec.Namespace}})
		if err != nil {
			cobra.CompDebugln(err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ns := spec.Namespace
		if ns == "" {
			ns = l.namespace
		}
		var cands []cobra.Completion
		if port {
			cands = portCandidates(l.snap, ns, word+":", spec)
		} else {
			cands = nameCandidates(l.snap, ns, under, spec.Kind)
		}
		return filterCompletions(cands, toComplete)
	}
}

// kindShortNames are the KIND/ prefixes offered, in kubectl's short forms
// (the endpoint grammar accepts the long ones too).
var kindShortNames = map[string]string{
	"Pod": "pod", "Service": "svc", "Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds",
	"ReplicaSet": "rs", "Job": "job", "CronJob": "cj", "ReplicationController": "rc",
}

// nameCandidates lists what may follow under ("", "NS/", "KIND/",
// "NS/KIND/") in namespace ns: with no kind, workloads, bare pods and
// services by name, the KIND/ prefixes of the kinds there and (at the top)
// the NS/ prefixes; with a kind, the names of that kind.
func nameCandidates(snap *query.Snapshot, ns, under, kind string) []cobra.Completion {
	kinds := map[string][]string{} // name -> kinds, in the order found
	add := func(name, k string) {
		if kind == "" || kind == k {
			if !slices.Contains(kinds[name], k) {
				kinds[name] = append(kinds[name], k)
			}
		}
	}
	present := map[string]bool{}
	for _, w := range snap.Workloads(ns) {
		add(w.Name, w.Kind)
		present[w.Kind] = true
	}
	for _, p := range snap.PodsIn(ns) {
		switch {
		case p.StandIn:
		case p.Workload == nil || kind == "Pod":
			add(p.Name, "Pod")
			present["Pod"] = true
		default:
			present["Pod"] = true
		}
	}
	for _, s := range snap.ServicesIn(ns) {
		add(s.Name, "Service")
		present["Service"] = true
	}
	var out []cobra.Completion
	for name, ks := range kinds {
		desc := make([]string, len(ks))
		for i, k := range ks {
			desc[i] = strings.ToLower(k)
		}
		out = append(out, cobra.CompletionWithDesc(under+name, strings.Join(desc, ", ")))
	}
	if kind != "" {
		return out
	}
	for k := range present {
		out = append(out, cobra.CompletionWithDesc(under+kindShortNames[k]+"/", strings.ToLower(k)+"s in "+ns))
	}
	if under == "" {
		for _, n := range snap.Namespaces() {
			out = append(out, cobra.CompletionWithDesc(n.Name+"/", "namespace"))
		}
	}
	return out
}

// portCandidates lists the ports of the destination spec names, written
// after prefix ("db:"): a service's ports, else the container ports of the
// pods it resolves to, by number and by name, with /udp or /sctp where the
// protocol is not TCP.
func portCandidates(snap *query.Snapshot, ns, prefix string, spec query.EndpointSpec) []cobra.Completion {
	ep, err := snap.Resolve(spec, ns)
	if err != nil {
		cobra.CompDebugln(err.Error(), true)
		return nil
	}
	var out []cobra.Completion
	suffix := func(p corev1.Protocol) string {
		if p == "" || p == corev1.ProtocolTCP {
			return ""
		}
		return "/" + strings.ToLower(string(p))
	}
	if ep.Kind == "Service" {
		for _, s := range snap.ServicesIn(ep.Namespace) {
			if s.Name != ep.Name {
				continue
			}
			for _, p := range s.Ports {
				desc := fmt.Sprintf("service port %s %d -> %s", cmp.Or(p.Protocol, corev1.ProtocolTCP), p.Port, p.TargetPort.String())
				out = append(out, cobra.CompletionWithDesc(fmt.Sprintf("%s%d%s", prefix, p.Port, suffix(p.Protocol)), desc))
				if p.Name != "" {
					out = append(out, cobra.CompletionWithDesc(prefix+p.Name+suffix(p.Protocol), desc))
				}
			}
		}
		return out
	}
	pods := map[string]bool{}
	for _, k := range ep.Pods {
		pods[k] = true
	}
	for _, p := range snap.PodsIn(ep.Namespace) {
		if !pods[p.Key()] {
			continue
		}
		for _, cp := range p.Ports {
			desc := fmt.Sprintf("%s %d", cp.Protocol, cp.Port)
			if cp.Name != "" {
				desc += " (" + cp.Name + ")"
				out = append(out, cobra.CompletionWithDesc(prefix+cp.Name+suffix(cp.Protocol), desc))
			}
			out = append(out, cobra.CompletionWithDesc(fmt.Sprintf("%s%d%s", prefix, cp.Port, suffix(cp.Protocol)), desc))
		}
	}
	return out
}

// filterCompletions keeps the candidates that start with toComplete, sorted
// and without repeats, and keeps the shell from adding a space after a
// NS/ or KIND/ prefix when only prefixes are left.
func filterCompletions(cands []cobra.Completion, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	onlyPrefixes := true
	for _, c := range cands {
		if !strings.HasPrefix(c, toComplete) {
			continue
		}
		out = append(out, c)
		text, _, _ := strings.Cut(c, "\t")
		onlyPrefixes = onlyPrefixes && strings.HasSuffix(text, "/")
	}
	slices.Sort(out)
	out = slices.CompactFunc(out, func(a, b cobra.Completion) bool {
		x, _, _ := strings.Cut(a, "\t")
		y, _, _ := strings.Cut(b, "\t")
		return x == y
	})
	directive := cobra.ShellCompDirectiveNoFileComp
	if len(out) > 0 && onlyPrefixes {
		directive |= cobra.ShellCompDirectiveNoSpace
	}
	return out, directive
}
