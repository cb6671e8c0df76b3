package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// captured runs the command line args and returns what it printed to
// stdout and its error; it fails the test when the command does not return
// within 5 s (`serve --help` once started the server).
func captured(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv("NUDGES_ADDR", "127.0.0.1:18531") // never a server anyone uses
	t.Setenv("NUDGES_DB", t.TempDir()+"/n.db")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = old }()
	done := make(chan error, 1)
	go func() { done <- run(args) }()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("nudges %s did not return", strings.Join(args, " "))
	}
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out), runErr
}

// TestHelpAndVersion: every way of asking for help prints the usage and
// succeeds, for the whole binary and for one command; --version works.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"serve", "--help"}, {"serve", "-h"}, {"help", "serve"}} {
		out, err := captured(t, args...)
		if err != nil || !strings.Contains(out, "Usage:") || !strings.Contains(out, "nudges healthcheck") {
			t.Errorf("nudges %s: %v, printed %q", strings.Join(args, " "), err, out)
		}
	}
	for _, args := range [][]string{{"chat", "--help"}, {"migrate", "-h"}, {"healthcheck", "--help"}} {
		out, err := captured(t, args...)
		if err != nil || !strings.Contains(out, "Usage: nudges "+args[0]) {
			t.Errorf("nudges %s: %v, printed %q", strings.Join(args, " "), err, out)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		out, err := captured(t, args...)
		if err != nil || !strings.HasPrefix(out, "nudges ") {
			t.Errorf("nudges %s: %v, printed %q", strings.Join(args, " "), err, out)
		}
	}
	if _, err := captured(t, "--frobnicate"); err == nil || !strings.Contains(err.Error(), "nudges help") {
		t.Errorf("unknown flag: %v", err)
	}
}

// TestHealthcheck: `nudges healthcheck` succeeds when /readyz at
// NUDGES_ADDR answers 200, and fails, within its short timeout, when it
// answers 503, hangs or nothing listens.
func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/readyz":
			http.NotFound(w, r)
		case status == 0:
			<-hang
		default:
			w.WriteHeader(status)
		}
	}))
	defer srv.Close()
	defer close(hang) // before Close, which waits for the hung handler
	check := func(addr string) error {
		t.Setenv("NUDGES_ADDR", addr)
		done := make(chan error, 1)
		go func() { done <- healthcheck(nil) }()
		select {
		case err := <-done:
			return err
		case <-time.After(healthTimeout + 2*time.Second):
			t.Fatalf("healthcheck of %s did not return", addr)
		}
		return nil
	}
	addr := srv.Listener.Addr().String()
	if err := check(addr); err != nil {
		t.Errorf("ready server: %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if err := check("0.0.0.0:" + port); err != nil { // the container's address
		t.Errorf("wildcard address: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := check(addr); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("503: %v", err)
	}
	status = 0
	if err := check(addr); err == nil {
		t.Errorf("hung server: no error")
	}
	if err := check("127.0.0.1:1"); err == nil {
		t.Errorf("nothing listening: no error")
	}
}

// TestDockerfileHealthcheck: the image checks its health with the binary
// itself (distroless has no shell or curl), in exec form.
func TestDockerfileHealthcheck(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	i := strings.Index(text, "\nHEALTHCHECK ")
	if i < 0 {
		t.Fatal("Dockerfile has no HEALTHCHECK")
	}
	line, _, _ := strings.Cut(text[i+1:], "\n")
	if !strings.Contains(line, `CMD ["/usr/local/bin/nudges", "healthcheck"]`) || !strings.Contains(line, "--timeout=") {
		t.Errorf("HEALTHCHECK line %q", line)
	}
}
