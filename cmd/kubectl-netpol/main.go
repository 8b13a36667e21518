// Command kubectl-netpol is the kubectl netpol plugin: it answers what-if
// questions about Kubernetes NetworkPolicy.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // exec, OIDC and other kubeconfig auth plugins

	"github.com/kubectl-netpol/kubectl-netpol/plugin"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
)

func main() {
	// Large clusters make large maps; keep the heap near 768 MiB by
	// collecting sooner, unless the user set GOMEMLIMIT. The runtime caps
	// the collector's CPU share, so a bigger live heap only runs slower.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(768 << 20)
	}
	// A run is short and its heap mostly live until the end: collect half
	// as often as Go's default (the memory limit above still applies),
	// unless the user set GOGC.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(200)
	}
	out, flush := output.Buffered(os.Stdout)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: out, ErrOut: os.Stderr}
	err := plugin.NewCmdNetpol(streams).Execute()
	// Whatever the answer, what was printed goes out before the error
	// (stderr is not buffered) and before the exit; an answer that could
	// not be written in full is an error.
	if ferr := flush(); ferr != nil && plugin.ExitCode(err) != plugin.ExitError {
		err = fmt.Errorf("write output: %w", ferr)
	}
	code := plugin.ExitCode(err)
	if code == plugin.ExitError {
		// Messages name objects from manifests: show their control
		// characters rather than send them to the terminal.
		fmt.Fprintf(os.Stderr, "error: %s\n", output.Visible(err.Error()))
	}
	os.Exit(code)
}
