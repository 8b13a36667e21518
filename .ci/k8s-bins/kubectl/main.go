// Command kubectl is the stock kubectl v1.37 command, built from the
// published k8s.io/kubectl module. It mirrors k8s.io/kubernetes/cmd/kubectl
// and is only used by the end-to-end tests (plugin discovery).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Initialize client auth plugins, as upstream kubectl does.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) //nolint:errcheck
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
