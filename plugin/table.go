package plugin

import (
	"github.com/spf13/cobra"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
)

// tableFlags are the flags of a command whose text output is a table, as
// kubectl get has them.
type tableFlags struct {
	NoHeaders bool
}

// addFlags adds --no-headers; what the table is, help says in what.
func (f *tableFlags) addFlags(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&f.NoHeaders, "no-headers", false, "Print "+what+" without its header row")
}

// table is how the output package prints the tables.
func (f *tableFlags) table() output.Table { return output.Table{NoHeaders: f.NoHeaders} }
