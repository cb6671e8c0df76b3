package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHealthcheck (in process; e2e/cli_test.go runs the real binary):
// `nudges healthcheck` succeeds when /readyz at
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
