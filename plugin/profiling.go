package plugin

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// profileNames are the profiles --profile captures, as in kubectl.
var profileNames = []string{"none", "cpu", "heap", "allocs", "goroutine", "threadcreate", "block", "mutex"}

// profiling is kubectl's --profile and --profile-output: a Go profile of
// one run, for reports of a slow or large answer ("go tool pprof
// profile.pprof").
type profiling struct {
	name, output string
	cpu          *os.File
}

func (p *profiling) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&p.name, "profile", "none", "Name of profile to capture. One of ("+strings.Join(profileNames, "|")+")")
	fs.StringVar(&p.output, "profile-output", "profile.pprof", "Name of the file to write the profile to")
}

// around profiles the run of every command under root, whatever its
// answer: a command that answers "denied" returns an error, after which
// cobra runs no post-run hook.
func (p *profiling) around(root *cobra.Command) {
	for _, c := range root.Commands() {
		p.around(c)
	}
	run := root.RunE
	if run == nil {
		return
	}
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if err := p.start(); err != nil {
			return err
		}
		err := run(cmd, args)
		// A profile that cannot be written is an error, whatever the
		// answer was.
		if ferr := p.flush(); ferr != nil && ExitCode(err) != ExitError {
			err = ferr
		}
		return err
	}
}

// start begins a CPU profile, or readies the others, before the command
// runs.
func (p *profiling) start() error {
	switch p.name {
	case "none":
		return nil
	case "cpu":
		f, err := os.Create(p.output)
		if err != nil {
			return fmt.Errorf("--profile-output: %w", err)
		}
		p.cpu = f
		return pprof.StartCPUProfile(f)
	case "block":
		runtime.SetBlockProfileRate(1)
	case "mutex":
		runtime.SetMutexProfileFraction(1)
	default:
		if pprof.Lookup(p.name) == nil {
			return fmt.Errorf("--profile: unknown profile %q (one of %s)", p.name, strings.Join(profileNames, ", "))
		}
	}
	return nil
}

// flush writes the profile once the command has run.
func (p *profiling) flush() error {
	switch p.name {
	case "none":
		return nil
	case "cpu":
		pprof.StopCPUProfile()
		return p.cpu.Close()
	case "heap":
		runtime.GC()
	}
	f, err := os.Create(p.output)
	if err != nil {
		return fmt.Errorf("--profile-output: %w", err)
	}
	if err := pprof.Lookup(p.name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	return f.Close()
}
