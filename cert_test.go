package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertCommand: `nudges cert ca` then `nudges cert node` write the four
// files, keys 0600; wrong arguments print the usage.
func TestCertCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	if err := run([]string{"cert", "ca", dir}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"cert", "node", dir, "n1", "10.0.0.1", "n1.example.com"}); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"ca.crt": 0o644, "ca.key": 0o600, "n1.crt": 0o644, "n1.key": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	for _, args := range [][]string{{"cert"}, {"cert", "ca"}, {"cert", "node", dir, "n2"}, {"cert", "key", dir}} {
		if err := run(args); err == nil || !strings.Contains(err.Error(), "usage: nudges cert") {
			t.Errorf("%v = %v, want the usage", args, err)
		}
	}
}
