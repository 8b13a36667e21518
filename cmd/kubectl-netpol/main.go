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
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := plugin.NewCmdNetpol(streams).Execute()
	code := plugin.ExitCode(err)
	if code == plugin.ExitError {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
	}
	os.Exit(code)
}
