package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// This file runs the composite GitHub Action of action.yml as the runner
// would, without GitHub: each run: step in bash with GitHub's flags, a
// fake GITHUB_* environment (summary, output and env files in a temporary
// directory), the ${{ }} expressions of the subset action.yml uses
// evaluated, and uses: steps recorded rather than run.

// action is action.yml as far as the runner reads it.
type action struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name             string            `yaml:"name"`
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
}

func loadAction(t *testing.T) *action {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml runs using %q, want composite", a.Runs.Using)
	}
	return &a
}

// actionRun is one run of the action: what it was given and what it did.
type actionRun struct {
	t         *testing.T
	action    *action
	inputs    map[string]string
	workspace string
	// env is the runner's environment every step gets.
	env []string
	// outputs are the steps' outputs by step ID.
	outputs map[string]map[string]string
	// summary is the job summary file.
	summary string
	// uses are the uses: steps that would have run, with their inputs.
	uses []usedAction
	// failed is the step that failed, code its exit code; the log holds
	// every step's stdout and stderr.
	failed string
	code   int
	log    strings.Builder
}

type usedAction struct {
	uses string
	with map[string]string
}

// runAction runs the action in workspace with the given inputs (the
// others take their defaults) and the runner's environment env (extra
// KEY=VALUE, e.g. PATH or RUNNER_OS).
func runAction(t *testing.T, workspace string, inputs map[string]string, env ...string) *actionRun {
	t.Helper()
	a := loadAction(t)
	r := &actionRun{t: t, action: a, inputs: map[string]string{}, workspace: workspace, outputs: map[string]map[string]string{}}
	for name, in := range a.Inputs {
		r.inputs[name] = in.Default
	}
	for name, v := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("action.yml has no input %q", name)
		}
		r.inputs[name] = v
	}
	gh := t.TempDir()
	r.summary = filepath.Join(gh, "step_summary.md")
	temp := filepath.Join(gh, "runner_temp")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	r.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + gh, "CI=true", "GITHUB_ACTIONS=true",
		"GITHUB_WORKSPACE=" + workspace, "GITHUB_ACTION_PATH=" + root,
		"GITHUB_STEP_SUMMARY=" + r.summary, "GITHUB_ENV=" + filepath.Join(gh, "env"), "GITHUB_PATH=" + filepath.Join(gh, "path"),
		"RUNNER_TEMP=" + temp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"KUBECONFIG=" + filepath.Join(gh, "no-kubeconfig"),
	}
	r.env = append(r.env, env...)
	if err := os.MkdirAll(temp, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range a.Runs.Steps {
		name := r.interpolate(s.Name)
		if name == "" {
			name = fmt.Sprintf("step %d", i+1)
		}
		if s.If != "" && !r.eval(s.If).truthy() {
			fmt.Fprintf(&r.log, "--- %s: skipped\n", name)
			continue
		}
		if s.Uses != "" {
			with := map[string]string{}
			for k, v := range s.With {
				with[k] = r.interpolate(v)
			}
			r.uses = append(r.uses, usedAction{s.Uses, with})
			fmt.Fprintf(&r.log, "--- %s: uses %s %v\n", name, s.Uses, with)
			continue
		}
		if code := r.runStep(name, s); code != 0 {
			r.failed, r.code = name, code
			break
		}
	}
	return r
}

// runStep runs one run: step as the runner does with shell: bash, and
// reads its outputs.
func (r *actionRun) runStep(name string, s actionStep) int {
	t := r.t
	if s.Shell != "bash" {
		t.Fatalf("step %q: shell %q; the steps of a composite action need one, and bash runs on every runner", name, s.Shell)
	}
	dir := t.TempDir()
	script, out := filepath.Join(dir, "step.sh"), filepath.Join(dir, "output")
	if err := os.WriteFile(script, []byte(r.interpolate(s.Run)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = r.workspace
	if s.WorkingDirectory != "" {
		cmd.Dir = filepath.Join(r.workspace, r.interpolate(s.WorkingDirectory))
	}
	cmd.Env = append(append([]string{}, r.env...), "GITHUB_OUTPUT="+out)
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+r.interpolate(s.Env[k]))
	}
	fmt.Fprintf(&r.log, "--- %s\n", name)
	cmd.Stdout, cmd.Stderr = &r.log, &r.log
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("step %q: %v", name, err)
		}
		code = ee.ExitCode()
	}
	if s.ID != "" {
		r.outputs[s.ID] = readOutputs(t, out)
	}
	return code
}

// readOutputs reads a GITHUB_OUTPUT file: NAME=VALUE lines, and
// NAME<<DELIMITER blocks.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			for sc.Scan() && sc.Text() != delim {
				value = append(value, sc.Text())
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		if name, value, ok := strings.Cut(line, "="); ok {
			out[name] = value
		} else if line != "" {
			t.Fatalf("%s: line %q is no output", path, line)
		}
	}
	return out
}

// actionOutputs are the action's outputs, as its caller sees them.
func (r *actionRun) actionOutputs() map[string]string {
	out := map[string]string{}
	for name, o := range r.action.Outputs {
		out[name] = r.interpolate(o.Value)
	}
	return out
}

var exprRE = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// interpolate replaces each ${{ expression }} with its value.
func (r *actionRun) interpolate(s string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		return r.eval(exprRE.FindStringSubmatch(m)[1]).String()
	})
}

// ghValue is a value of a GitHub expression: a string, or a boolean.
type ghValue struct {
	s      string
	isBool bool
	b      bool
}

func (v ghValue) truthy() bool {
	if v.isBool {
		return v.b
	}
	return v.s != ""
}

func (v ghValue) String() string {
	if v.isBool {
		return fmt.Sprint(v.b)
	}
	return v.s
}

var tokenRE = regexp.MustCompile(`^\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][A-Za-z0-9_.-]*)`)

// eval evaluates the part of GitHub's expression language action.yml may
// use: the contexts inputs, steps.ID.outputs, github.action_path and
// runner; 'string' literals; == and != (which compare strings ignoring
// case, as GitHub does); && and || (which yield an operand); !; and
// parentheses. Anything else fails the test, and so does a name no
// context has: a typo in action.yml is caught here, not in a user's job.
func (r *actionRun) eval(expr string) ghValue {
	var toks []string
	for rest := expr; strings.TrimSpace(rest) != ""; {
		m := tokenRE.FindStringSubmatch(rest)
		if m == nil {
			r.t.Fatalf("expression %q: cannot read %q", expr, rest)
		}
		toks, rest = append(toks, m[1]), rest[len(m[0]):]
	}
	p := &exprParser{r: r, expr: expr, toks: toks}
	v := p.or()
	if p.pos != len(toks) {
		r.t.Fatalf("expression %q: unexpected %q", expr, toks[p.pos])
	}
	return v
}

type exprParser struct {
	r    *actionRun
	expr string
	toks []string
	pos  int
}

func (p *exprParser) next(tok string) bool {
	if p.pos < len(p.toks) && p.toks[p.pos] == tok {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) or() ghValue {
	v := p.and()
	for p.next("||") {
		w := p.and()
		if !v.truthy() {
			v = w
		}
	}
	return v
}

func (p *exprParser) and() ghValue {
	v := p.cmp()
	for p.next("&&") {
		w := p.cmp()
		if v.truthy() {
			v = w
		}
	}
	return v
}

func (p *exprParser) cmp() ghValue {
	v := p.unary()
	for {
		switch {
		case p.next("=="):
			w := p.unary()
			v = ghValue{isBool: true, b: strings.EqualFold(v.String(), w.String())}
		case p.next("!="):
			w := p.unary()
			v = ghValue{isBool: true, b: !strings.EqualFold(v.String(), w.String())}
		default:
			return v
		}
	}
}

func (p *exprParser) unary() ghValue {
	if p.next("!") {
		return ghValue{isBool: true, b: !p.unary().truthy()}
	}
	if p.next("(") {
		v := p.or()
		if !p.next(")") {
			p.r.t.Fatalf("expression %q: missing )", p.expr)
		}
		return v
	}
	if p.pos >= len(p.toks) {
		p.r.t.Fatalf("expression %q: ends early", p.expr)
	}
	tok := p.toks[p.pos]
	p.pos++
	switch {
	case strings.HasPrefix(tok, "'"):
		return ghValue{s: strings.ReplaceAll(tok[1:len(tok)-1], "''", "'")}
	case tok == "true" || tok == "false":
		return ghValue{isBool: true, b: tok == "true"}
	}
	return ghValue{s: p.r.lookup(p.expr, tok)}
}

// lookup reads a context: inputs.NAME, steps.ID.outputs.NAME (empty for a
// step that did not run or set no such output), github.action_path,
// runner.temp, runner.os.
func (r *actionRun) lookup(expr, name string) string {
	parts := strings.Split(name, ".")
	switch {
	case len(parts) == 2 && parts[0] == "inputs":
		v, ok := r.inputs[parts[1]]
		if !ok {
			r.t.Fatalf("expression %q: action.yml declares no input %q", expr, parts[1])
		}
		return v
	case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
		known := false
		for _, s := range r.action.Runs.Steps {
			known = known || s.ID == parts[1]
		}
		if !known {
			r.t.Fatalf("expression %q: no step has id %q", expr, parts[1])
		}
		return r.outputs[parts[1]][parts[3]]
	case name == "github.action_path":
		return r.envValue("GITHUB_ACTION_PATH")
	case name == "runner.temp":
		return r.envValue("RUNNER_TEMP")
	case name == "runner.os":
		return r.envValue("RUNNER_OS")
	}
	r.t.Fatalf("expression %q: the test runner does not know %q", expr, name)
	return ""
}

func (r *actionRun) envValue(key string) string {
	v := ""
	for _, kv := range r.env {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v = val
		}
	}
	return v
}
