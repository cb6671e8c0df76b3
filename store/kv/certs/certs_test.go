package certs

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodeSignedByCA: a node certificate verifies against its CA for its
// hosts, as a server and as a client; keys are 0600 in a 0700 directory.
func TestNodeSignedByCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	if err := CA(dir); err != nil {
		t.Fatal(err)
	}
	if err := Node(dir, "n1", []string{"10.0.0.1", "n1.example.com", "::1"}); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(dir, CACert))
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("ca.crt: %v", err)
	}
	pair, err := tls.LoadX509KeyPair(CertFile(dir, "n1"), KeyFile(dir, "n1"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"10.0.0.1", "n1.example.com", "::1"} {
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}})
			if err != nil {
				t.Errorf("verify %s for usage %v: %v", host, usage, err)
			}
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "10.0.0.2", Roots: pool}); err == nil {
		t.Error("the certificate verifies for a host it was not made for")
	}
	modes := map[string]os.FileMode{"": 0o700, CAKey: 0o600, "n1.key": 0o600}
	for name, want := range modes {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%q: mode %v, want %v", name, got, want)
		}
	}
}

// TestNoOverwrite: neither the CA nor a node certificate is replaced.
func TestNoOverwrite(t *testing.T) {
	dir := t.TempDir()
	if err := CA(dir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, CAKey))
	if err := CA(dir); err == nil || !strings.Contains(err.Error(), "not overwritten") {
		t.Errorf("second CA = %v, want refused", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, CAKey)); string(after) != string(before) {
		t.Error("the CA key changed")
	}
	if err := Node(dir, "n1", []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := Node(dir, "n1", []string{"127.0.0.1"}); err == nil || !strings.Contains(err.Error(), "not overwritten") {
		t.Errorf("second n1 = %v, want refused", err)
	}
}

// TestNodeBadInput: bad names, no hosts and no CA are refused, writing
// nothing.
func TestNodeBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		hosts []string
		want  string
	}{
		{"n1", []string{"127.0.0.1"}, "nudges cert ca"}, // no CA yet
		{"../evil", []string{"127.0.0.1"}, "node name"},
		{"ca", []string{"127.0.0.1"}, "node name"},
		{"", []string{"127.0.0.1"}, "node name"},
		{"n1", nil, "at least one host"},
	}
	for _, tt := range tests {
		err := Node(dir, tt.name, tt.hosts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Node(%q, %v) = %v, want %q", tt.name, tt.hosts, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused calls left files: %v", entries)
	}
}
