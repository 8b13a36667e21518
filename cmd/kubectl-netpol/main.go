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
	// Large clusters make large answers. Unless the user set GOMEMLIMIT,
	// the collector works harder only as the heap nears what the machine
	// (or the cgroup) has: never a constant below what the answer needs.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		if budget := memoryBudget(); budget > 0 {
			debug.SetMemoryLimit(budget)
		}
	}
	// The answer is computed at Go's default pace (GOGC=100): the heap
	// peaks near twice what the answer holds, which a large cluster's map
	// needs to stay within its budget (20k pods under 600 MiB); a slower
	// pace saves some CPU for half as much memory again. Only reading the
	// state runs slower (readPace in plugin), where the garbage dies
	// young.
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
