package plugin

import (
	"slices"

	"github.com/spf13/pflag"
)

// arrowArg lets "->" be an argument of its own, as in can api '->' db:3306.
// pflag reads an argument that starts with "-" as flags, "->" as the
// shorthand flag '>', and cobra offers no hook before it parses; so '>' is
// a hidden flag whose value records how many arguments came before each
// arrow, and insert puts the arrows back where they were written, for the
// question's parser to judge.
type arrowArg struct {
	flags *pflag.FlagSet
	// at holds, per arrow, the number of arguments before it.
	at []int
}

// addArrowArg registers the '>' flag on the command's flags.
func addArrowArg(flags *pflag.FlagSet) *arrowArg {
	a := &arrowArg{flags: flags}
	f := flags.VarPF(a, "arrow", ">", "an unquoted -> between SRC and DST")
	f.NoOptDefVal = "true"
	f.Hidden = true
	return a
}

func (a *arrowArg) String() string { return "" }
func (a *arrowArg) Type() string   { return "bool" }

// Set is called by pflag on each "->", while the arguments before it are
// already in the flag set's Args.
func (a *arrowArg) Set(string) error {
	a.at = append(a.at, len(a.flags.Args()))
	return nil
}

// insert returns args with the arrows back in place.
func (a *arrowArg) insert(args []string) []string {
	out := slices.Clone(args)
	for i, at := range a.at {
		out = slices.Insert(out, min(at+i, len(out)), "->")
	}
	return out
}
