package admin

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The console takes its rules from bot (login codes, currencies), never
// from the conversation flows: admin does not import flows.
func TestAdminDoesNotImportFlows(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if imp.Path.Value == `"nudges/flows"` {
				t.Errorf("%s imports nudges/flows", f)
			}
		}
	}
}
