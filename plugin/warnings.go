package plugin

import (
	"fmt"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// warnings is the one way every command tells the user a warning: on
// stderr, "Warning: MESSAGE", each message once per command run, in the
// order given. A warning the base and the what-if state share, that the
// snapshot and an answer both carry, or that several answers of one run
// carry (test) is read once.
type warnings struct {
	printed map[string]bool
	// quiet is set by -q: nothing is printed. The loader's warnings about
	// skipped input are not these: they are printed even with -q, since
	// input is never skipped silently.
	quiet bool
}

// silenceWarnings stops every warning of this run (-q).
func (g *globalOptions) silenceWarnings() { g.warned.quiet = true }

// warn prints the warnings not printed yet in this run.
func (g *globalOptions) warn(ws ...query.Warning) {
	if g.warned.quiet {
		return
	}
	if g.warned.printed == nil {
		g.warned.printed = map[string]bool{}
	}
	for _, w := range ws {
		if g.warned.printed[w.Message] {
			continue
		}
		g.warned.printed[w.Message] = true
		fmt.Fprintf(g.ErrOut, "Warning: %s\n", w.Message)
	}
}

// warnings are the warnings of the state an answer over the whole
// snapshot (map, diff, audit) was judged on, base then what-if: owner
// cycles, host-network pods, cluster policies that fail closed.
func (l *loaded) warnings() []query.Warning {
	return append(append([]query.Warning(nil), l.base.Warnings...), l.snap.Warnings...)
}
