package main

import (
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// docPages are the pages readers get: the README and everything in docs/.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md"}, pages...)
}

// mdLink is a Markdown link or image target: [text](target) or
// [text](target "title").
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// codeSpan is inline code, where brackets are not links.
var codeSpan = regexp.MustCompile("`[^`]*`")

// prose returns a page's lines with those of fenced code blocks blanked,
// so an index is still a line number.
func prose(text string) []string {
	lines := strings.Split(text, "\n")
	fenced := false
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			lines[i] = ""
		} else if fenced {
			lines[i] = ""
		}
	}
	return lines
}

// anchors are the ids GitHub gives a page's headings: lower case, letters,
// digits, spaces, hyphens and underscores kept, spaces made hyphens, and a
// repeated id numbered -1, -2….
func anchors(text string) map[string]bool {
	ids := map[string]bool{}
	for _, line := range prose(text) {
		level := len(line) - len(strings.TrimLeft(line, "#"))
		if level == 0 || level > 6 || !strings.HasPrefix(line[level:], " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(line[level:])) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
				b.WriteRune(r)
			}
		}
		id := b.String()
		for n := 1; ids[id]; n++ {
			id = b.String() + "-" + strconv.Itoa(n)
		}
		ids[id] = true
	}
	return ids
}

// TestDocsLinksResolve checks every relative link of the README and docs/:
// the file exists, and a #fragment names a heading of the page it points
// to. Links in code are not links and are skipped.
func TestDocsLinksResolve(t *testing.T) {
	cache := map[string]map[string]bool{}
	headings := func(path string) map[string]bool {
		if ids, ok := cache[path]; ok {
			return ids
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cache[path] = anchors(string(b))
		return cache[path]
	}
	for _, page := range docPages(t) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range prose(string(b)) {
			for _, m := range mdLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				file, frag, _ := strings.Cut(target, "#")
				dest := page
				if file != "" {
					dest = filepath.Join(filepath.Dir(page), file)
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s (line %d): link %q: %s does not exist", page, i+1, target, dest)
						continue
					}
				}
				if frag != "" && strings.HasSuffix(dest, ".md") && !headings(dest)[frag] {
					t.Errorf("%s (line %d): link %q: %s has no heading #%s", page, i+1, target, dest, frag)
				}
			}
		}
	}
}

// TestDocsAnchors checks the anchor rule on headings like ours.
func TestDocsAnchors(t *testing.T) {
	ids := anchors("# Nudges\n## Send window (quiet hours)\n```\n# not a heading\n```\n### `LATER`, `SCHEDULED`\n## Nudges\n#hashtag\n")
	want := []string{"nudges", "send-window-quiet-hours", "later-scheduled", "nudges-1"}
	got := make([]string, 0, len(ids))
	for id := range ids {
		got = append(got, id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("anchors = %v, want %v", got, want)
	}
}

// envName is the name of an environment variable of ours.
var envName = regexp.MustCompile(`^(NUDGES|TWILIO|STRIPE)_[A-Z0-9_]+$`)

// TestDocsConfigurationListsEveryVariable checks that every environment
// variable the Go code can read appears in docs/configuration.md. It takes
// every string literal of a non-test .go file that is exactly such a name:
// the code reads variables through small helpers (env, getenv, os.Getenv)
// and constants, and a name written out whole is one of them.
func TestDocsConfigurationListsEveryVariable(t *testing.T) {
	doc, err := os.ReadFile("docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{} // name → first file
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		return envLiterals(path, found)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d variables in the code (%v): the scan is broken", len(found), found)
	}
	for name, file := range found {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("%s reads %s, but docs/configuration.md does not list `%s`", file, name, name)
		}
	}
}

// envLiterals adds the variable names among path's string literals.
func envLiterals(path string, found map[string]string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return nil
		}
		if tok != token.STRING {
			continue
		}
		v, err := strconv.Unquote(lit)
		if err == nil && envName.MatchString(v) && found[v] == "" {
			found[v] = path
		}
	}
}

// TestDocsStandAlone checks what a reader of the README and docs/ needs:
// the two commands on the front page, and no reference to the product
// contract, which readers do not have.
func TestDocsStandAlone(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"go run .", "go test ./..."} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README.md does not show %q", cmd)
		}
	}
	if n := strings.Count(string(readme), "\n"); n > 220 {
		t.Errorf("README.md has %d lines: keep it a front page (about 200) and put the rest in docs/", n)
	}
	for _, page := range docPages(t) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "SPEC") {
			t.Errorf("%s mentions SPEC, which its readers do not have: say it in the page", page)
		}
	}
}
