// Command kubectl-netpol is the kubectl netpol plugin: it answers what-if
// questions about Kubernetes NetworkPolicy.
package main

import (
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // exec, OIDC and other kubeconfig auth plugins

	"github.com/kubectl-netpol/kubectl-netpol/plugin"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := plugin.NewCmdNetpol(streams).Execute()
	code := plugin.ExitCode(err)
	if code == plugin.ExitError {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
	}
	os.Exit(code)
}
