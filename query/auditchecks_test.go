package query

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAuditCheckTableListsEachCheckOnce: every check has an ID, a
// severity and a one-line description, and no ID is listed twice.
func TestAuditCheckTableListsEachCheckOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range auditChecks {
		if c.ID == "" || c.Severity.Rank() == 0 || c.Description == "" || strings.Contains(c.Description, "\n") {
			t.Errorf("check %+v: want an ID, a severity and a one-line description", c)
		}
		if seen[c.ID] {
			t.Errorf("check %q is listed twice", c.ID)
		}
		seen[c.ID] = true
	}
}

// TestAuditFindingsNameTheirCheckByConstant reads the engine's source:
// every Check a finding is given is one of the check constants (no string
// typed by hand), every constant is in the table, and every constant is
// used, so a check cannot be added or dropped without the table knowing.
func TestAuditFindingsNameTheirCheckByConstant(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}

	// The check constants: the string constants whose names start with
	// "check", wherever they are declared.
	consts := map[string]string{} // name -> ID
	for _, f := range parsed {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "check") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: check constant %s is not a string literal", fset.Position(n.Pos()), n.Name)
						continue
					}
					consts[n.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	inTable := map[string]bool{}
	for _, c := range auditChecks {
		inTable[c.ID] = true
	}
	for name, id := range consts {
		if !inTable[id] {
			t.Errorf("check constant %s (%q) is not in auditChecks", name, id)
		}
	}
	if len(consts) != len(auditChecks) {
		t.Errorf("%d check constants, %d checks in auditChecks", len(consts), len(auditChecks))
	}

	// Every value given to a Check field, in a literal or an assignment,
	// must be a check constant (or noDefaultDeny[d], which holds two).
	used := map[string]bool{}
	isCheck := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.Ident:
			if _, ok := consts[e.Name]; ok {
				used[e.Name] = true
				return true
			}
		case *ast.IndexExpr:
			if id, ok := e.X.(*ast.Ident); ok && id.Name == "noDefaultDeny" {
				return true
			}
		}
		return false
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Check" && !isCheck(n.Value) {
					t.Errorf("%s: Check is not given a check constant", fset.Position(n.Pos()))
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Check" && i < len(n.Rhs) && !isCheck(n.Rhs[i]) {
						t.Errorf("%s: Check is not given a check constant", fset.Position(n.Pos()))
					}
				}
			case *ast.CompositeLit:
				// The entries of noDefaultDeny are uses too.
				if m, ok := n.Type.(*ast.MapType); ok {
					if v, ok := m.Value.(*ast.Ident); ok && v.Name == "string" {
						for _, e := range n.Elts {
							if kv, ok := e.(*ast.KeyValueExpr); ok {
								isCheck(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
	}
	for name := range consts {
		if !used[name] {
			t.Errorf("check constant %s is never given to a finding", name)
		}
	}
}
