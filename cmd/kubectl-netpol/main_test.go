package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain runs main itself when a test re-executes this binary with
// KUBECTL_NETPOL_ARGS set, so that the tests see what a user would: the
// real stdout and stderr files and the exit code.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("KUBECTL_NETPOL_ARGS"); ok {
		os.Args = append([]string{"kubectl-netpol"}, strings.Split(args, "\n")...)
		main()
	}
	os.Exit(m.Run())
}

const (
	threeTier = "../../testdata/three-tier/"
	tiers     = "../../testdata/tiers/"
	whatIf    = "../../testdata/whatif/"
)

// netpol runs the command as a user would, writing to stdout and stderr,
// and returns its exit code.
func netpol(t *testing.T, stdout *os.File, stderr io.Writer, args ...string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KUBECTL_NETPOL_ARGS="+strings.Join(args, "\n"), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

// netpolToFile runs the command with stdout and stderr both written to one
// file, as "> file 2>&1" does, and returns what the file holds.
func netpolToFile(t *testing.T, args ...string) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code := netpol(t, f, f, args...)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), code
}

func TestOutputIsWrittenInFullBeforeTheExit(t *testing.T) {
	golden, err := os.ReadFile("../../testdata/golden/map/all.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     func(out string) bool
	}{
		{"a map is printed in full", []string{"map", "-A", "-f", threeTier}, 0,
			func(out string) bool { return out == string(golden) }},
		{"a denied answer is printed in full before exit 1", []string{"can", "-f", threeTier, "prod/web", "prod/db:3306"}, 1,
			func(out string) bool {
				return strings.HasPrefix(out, "DENIED") && strings.HasSuffix(out, "(default deny)\n")
			}},
		{"an answer that ends in an error is printed before the error", []string{"can", "-f", threeTier, "-f", tiers, "--with", whatIf + "cnp-same-priority.yaml", "dev/api", "prod/db:3306"}, 2,
			func(out string) bool {
				answer, err, ok := strings.Cut(out, "\nerror: the verdict is ambiguous")
				return ok && strings.HasPrefix(answer, "AMBIGUOUS") && !strings.Contains(err, "AMBIGUOUS")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := netpolToFile(t, tc.args...)
			if code != tc.wantCode || !tc.want(out) {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
		})
	}
}

func TestOutputThatCannotBeWrittenIsAnError(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	for _, args := range [][]string{
		{"map", "-A", "-f", threeTier},
		{"can", "-f", threeTier, "prod/web", "prod/db:3306"},
	} {
		var stderr strings.Builder
		code := netpol(t, full, &stderr, args...)
		if code != 2 || !strings.HasPrefix(stderr.String(), "error: write ") || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v to a full disk: exit %d, stderr %q; want exit 2 and the write error", args, code, stderr.String())
		}
	}
}

func TestErrorsShowControlCharactersOfNames(t *testing.T) {
	out, code := netpolToFile(t, "explain", "-f", threeTier, "prod/web\x1b[2J")
	if code != 2 || strings.ContainsRune(out, '\x1b') || !strings.Contains(out, `web\x1b[2J`) {
		t.Errorf("exit %d, output %q; want exit 2 and the name shown as web\\x1b[2J", code, out)
	}
}

// TestMemoryBudget: the soft limit follows the machine, three quarters of
// its memory (or of the cgroup's limit), and MemTotal is read as kB.
func TestMemoryBudget(t *testing.T) {
	if got := parseMemTotal([]byte("MemFree: 10 kB\nMemTotal:       25165824 kB\n")); got != 24<<30 {
		t.Errorf("parseMemTotal = %d, want %d", got, int64(24<<30))
	}
	if got := parseMemTotal([]byte("MemFree: 10 kB\n")); got != 0 {
		t.Errorf("parseMemTotal without MemTotal = %d", got)
	}
	m := machineMemory()
	if m == 0 {
		t.Fatal("no MemTotal in /proc/meminfo")
	}
	b := memoryBudget()
	if b <= 0 || b > m || (cgroupMemory() == 0 && b != m/4*3) {
		t.Errorf("budget %d for a machine of %d (cgroup %d)", b, m, cgroupMemory())
	}
}
