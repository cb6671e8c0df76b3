package e2e

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCLIHelpAndVersion: every way of asking the real binary for help
// prints the usage and exits 0 without doing anything else (`serve --help`
// once started a server); --version works; an unknown flag exits 1.
func TestCLIHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"serve", "--help"}, {"serve", "-h"}, {"help", "serve"}} {
		out, err := Command(t, Options{}, args...)
		if err != nil || !strings.Contains(out, "Usage:") || !strings.Contains(out, "nudges healthcheck") || strings.Contains(out, "nudges serving") {
			t.Errorf("nudges %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, args := range [][]string{{"chat", "--help"}, {"migrate", "-h"}, {"healthcheck", "--help"}} {
		out, err := Command(t, Options{}, args...)
		if err != nil || !strings.Contains(out, "Usage: nudges "+args[0]) {
			t.Errorf("nudges %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		out, err := Command(t, Options{}, args...)
		if err != nil || !strings.HasPrefix(out, "nudges ") {
			t.Errorf("nudges %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := Command(t, Options{}, "--frobnicate"); err == nil || !strings.Contains(out, "nudges help") {
		t.Errorf("unknown flag: %v\n%s", err, out)
	}
}

// TestCLIHealthcheck: `nudges healthcheck` exits 0 against a running
// server, also through a wildcard NUDGES_ADDR (a container's), and 1 once
// it has stopped.
func TestCLIHealthcheck(t *testing.T) {
	s := Start(t, Options{})
	_, port, _ := net.SplitHostPort(s.Addr)
	for _, addr := range []string{s.Addr, "0.0.0.0:" + port} {
		if out, err := Command(t, Options{Addr: addr}, "healthcheck"); err != nil || strings.TrimSpace(out) != "ready" {
			t.Errorf("healthcheck %s of a running server: %v\n%s", addr, err, out)
		}
	}
	s.Stop(t, 15*time.Second)
	start := time.Now()
	out, err := Command(t, Options{Addr: s.Addr}, "healthcheck")
	if err == nil || !strings.Contains(out, "healthcheck") || time.Since(start) > 5*time.Second {
		t.Errorf("healthcheck of a stopped server: %v after %v\n%s", err, time.Since(start), out)
	}
}

// TestDevModeLogsHowToSignIn: a dev-mode server's start-up log says how
// to get into the console: exactly what to set when no admin phone is
// set, else the login URL and the phone whose code the log will show.
func TestDevModeLogsHowToSignIn(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, "NUDGES_ADMIN_PHONES=+15550100000 go run ."},
		{[]string{"NUDGES_ADMIN_PHONES=+15550100001"}, "/admin/login and sign in with +15550100001"},
	} {
		s := Start(t, Options{Env: tc.env})
		b, err := os.ReadFile(s.Log)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("start-up log lacks %q:\n%s", tc.want, Tail(string(b), 10))
		}
		s.Stop(t, 15*time.Second)
	}
}
