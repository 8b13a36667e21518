package output

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// chromium finds a headless browser: CI must have one, elsewhere the test
// is skipped without.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found; install it: apt-get update && apt-get install -y chromium")
	}
	t.Skip("chromium not found (apt-get install -y chromium); skipping the browser test")
	return ""
}

// dumpDOM loads the page in headless chromium and returns the DOM after its
// scripts ran.
func dumpDOM(t *testing.T, browser, pageURL string) string {
	t.Helper()
	return runChromium(t, browser, "--window-size=1400,900", "--dump-dom", pageURL)
}

// runChromium runs headless chromium with args and returns its stdout,
// failing the test on console messages of the page.
func runChromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	profile, err := os.MkdirTemp("", "netpol-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// The layout runs after load (elkjs answers through timers): the
	// virtual time budget lets the page's timers run before the dump;
	// console messages go to stderr, where none may be (consoleMessages).
	cmd := exec.CommandContext(ctx, browser, append([]string{"--headless=new", "--no-sandbox", "--disable-gpu",
		"--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile,
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=60000"}, args...)...)
	cmd.WaitDelay = 5 * time.Second // chromium is killed on timeout; do not wait for its children's pipes
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 60s; stderr:\n%s", tail(stderr.String()))
	}
	if err != nil || stdout.Len() == 0 && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--screenshot") }) {
		t.Fatalf("chromium: %v; stderr:\n%s", err, tail(stderr.String()))
	}
	if msgs := consoleMessages(stderr.String()); len(msgs) > 0 {
		t.Errorf("the page wrote to the console:\n%s", strings.Join(msgs, "\n"))
	}
	t.Logf("chromium ran in %v", time.Since(start).Round(time.Millisecond))
	return stdout.String()
}

// consoleMessages are the page's console messages chromium logged: the
// page writes none, so each is an error or a leftover.
func consoleMessages(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, ":CONSOLE") {
			out = append(out, line)
		}
	}
	return out
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}
