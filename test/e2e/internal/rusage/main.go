// Command rusage runs a program and reports what it cost, as JSON on file
// descriptor 3: wall time, user+system CPU and peak RSS. The e2e tests
// start the program through it because a child's peak RSS counts the
// memory of the process it was forked from (Linux carries the high-water
// mark of the pre-exec address space into ru_maxrss): started by a test
// process holding a generated cluster, kubectl-netpol would be charged
// for the test. This program is a few MiB, less than any run it measures.
//
//	rusage PROGRAM [ARG...] 3>usage.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Usage is what one process cost.
type Usage struct {
	Wall, CPU time.Duration
	MaxRSS    int64 // bytes
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rusage PROGRAM [ARG...] 3>FILE")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1:]))
}

// run runs args with this process's standard streams and returns its exit
// code.
func run(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		return 2
	}
	u := Usage{Wall: wall, CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	if err := json.NewEncoder(os.NewFile(3, "usage")).Encode(u); err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		return 2
	}
	return cmd.ProcessState.ExitCode()
}
