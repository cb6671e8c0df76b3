// Package e2e runs the real nudges binary: it is built once per test
// binary, started with options (environment, store, a free loopback
// address, a log file, the fake Twilio, stripe-mock), killed with -9, stopped with
// SIGTERM, started again, and run as a cluster of N processes sharing an
// etcd+embed store. The scenarios are this package's tests; the helpers
// are exported so that other packages' tests can drive the binary too
// (their TestMain calls Main so the build is cleaned up).
package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nudges/webhooks/twilio/twiliotest"
)

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Main runs the tests and removes the binary built for them.
func Main(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// Binary is the nudges binary, built from the module root the first time
// a test asks for it and shared by every test of this test binary.
func Binary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "nudges-e2e-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "nudges")
		out, err := exec.Command("go", "build", "-o", built.bin, "nudges").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build nudges: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// Options describe one process. The zero value is a dev-mode server (the
// console SMS driver, dev checkout) on a fresh bbolt file; none of the
// machine's own NUDGES_, TWILIO_ or STRIPE_ settings reach it.
type Options struct {
	// DB is the bbolt file (NUDGES_DB); empty: n.db in a fresh directory.
	// Ignored when Store is set.
	DB string
	// Store is NUDGES_STORE (an etcd or etcd+embed URL).
	Store string
	// Twilio, when set, is the fake Twilio the service sends through and
	// signs webhooks for; nil is the console SMS driver.
	Twilio *twiliotest.Server
	// Stripe, when set, is the Stripe API base (StripeMock's) the service
	// uses with StripeKey and StripeWebhookSecret; empty is dev checkout.
	Stripe string
	// Rate is NUDGES_SEND_RATE; empty: 100.
	Rate string
	// PublicURL is NUDGES_PUBLIC_URL; empty: http://ADDR.
	PublicURL string
	// Env adds or overrides KEY=value settings; "KEY=" unsets KEY.
	Env []string
	// Addr is NUDGES_ADDR; empty: a free 127.0.0.1 port.
	Addr string
	// Log is the file the process writes to, appended to by restarts;
	// empty: server.log in a fresh directory.
	Log string
	// Ready is how long start-up may take; zero: 10 s.
	Ready time.Duration
}

// Server is one nudges process (nil cmd while it is down).
type Server struct {
	Webhooks
	Addr   string // host:port it listens on
	Log    string // its log file
	DB     string // its bbolt file (empty with a Store)
	Twilio *twiliotest.Server
	env    []string
	ready  time.Duration
	cmd    *exec.Cmd
	runs   int
}

// Start starts the binary with o and waits for /readyz.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := Launch(t, o)
	s.WaitReady(t)
	return s
}

// Launch starts the binary with o without waiting for it to be ready.
func Launch(t testing.TB, o Options) *Server {
	t.Helper()
	s := Prepare(t, o)
	s.launch(t)
	return s
}

// Prepare resolves o into a server that is not started yet.
func Prepare(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{Addr: o.Addr, Log: o.Log, Twilio: o.Twilio, ready: o.Ready}
	if s.Addr == "" {
		s.Addr = FreeAddr(t)
	}
	dir := t.TempDir()
	set := map[string]string{
		"NUDGES_ADDR": s.Addr, "NUDGES_PUBLIC_URL": "http://" + s.Addr, "NUDGES_SEND_RATE": "100",
		"NUDGES_DEFAULT_LOCALE": "en", "NUDGES_SEND_WINDOW": "off",
	}
	if o.Store != "" {
		set["NUDGES_STORE"] = o.Store
	} else {
		s.DB = o.DB
		if s.DB == "" {
			s.DB = filepath.Join(dir, "n.db")
		}
		set["NUDGES_DB"] = s.DB
	}
	if o.Rate != "" {
		set["NUDGES_SEND_RATE"] = o.Rate
	}
	if o.PublicURL != "" {
		set["NUDGES_PUBLIC_URL"] = o.PublicURL
	}
	if tw := o.Twilio; tw != nil {
		set["TWILIO_ACCOUNT_SID"], set["TWILIO_AUTH_TOKEN"] = tw.AccountSID, tw.AuthToken
		set["TWILIO_FROM_NUMBER"], set["TWILIO_API_BASE"] = Number, tw.URL
		s.Token = tw.AuthToken
	}
	if o.Stripe != "" {
		set["STRIPE_SECRET_KEY"], set["STRIPE_WEBHOOK_SECRET"], set["STRIPE_API_BASE"] = StripeKey, StripeWebhookSecret, o.Stripe
	}
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	s.env = environ(set)
	s.URL = "http://" + s.Addr
	s.Public = strings.TrimSuffix(set["NUDGES_PUBLIC_URL"], "/")
	if s.Public == "" {
		s.Public = "http://localhost:" + s.Addr[strings.LastIndexByte(s.Addr, ':')+1:]
	}
	if s.Log == "" {
		s.Log = filepath.Join(dir, "server.log")
	}
	if s.ready == 0 {
		s.ready = 10 * time.Second
	}
	t.Cleanup(func() {
		if t.Failed() {
			data, _ := os.ReadFile(s.Log)
			t.Logf("%s log (last lines):\n%s", s.Addr, Tail(string(data), 40))
		}
	})
	return s
}

// environ is this process's environment without any nudges, Twilio or
// Stripe setting of the machine, plus set (empty values left out).
func environ(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; ours || strings.HasPrefix(k, "NUDGES_") || strings.HasPrefix(k, "TWILIO_") || strings.HasPrefix(k, "STRIPE_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// launch starts the process, its output appended to s.Log; it is killed
// when the test ends if it is still running.
func (s *Server) launch(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	s.runs++
	fmt.Fprintf(logf, "--- run %d\n", s.runs)
	cmd := exec.Command(Binary(t))
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	t.Cleanup(func() {
		if s.cmd == cmd {
			cmd.Process.Kill()
			cmd.Wait()
			s.cmd = nil
		}
	})
}

// WaitReady waits for /readyz to answer 200.
func (s *Server) WaitReady(t testing.TB) {
	t.Helper()
	WaitFor(t, s.ready, "the server at "+s.Addr+" to be ready (log: "+s.Log+")", func() bool {
		code, _, err := get(s.URL + "/readyz")
		return err == nil && code == 200
	})
}

// Running reports whether the process is up.
func (s *Server) Running() bool { return s.cmd != nil }

// Restart starts the process again with the same settings and waits for
// it to be ready.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.launch(t)
	s.WaitReady(t)
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
	s.cmd = nil
}

// Signal sends sig without waiting (Wait collects the exit).
func (s *Server) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// Wait waits for the process to exit, at most limit, and returns its
// exit error (nil for a clean exit); it fails the test if it outlives limit.
func (s *Server) Wait(t testing.TB, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	cmd := s.cmd
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		s.cmd = nil
		return err
	case <-time.After(limit):
		t.Fatalf("%s still running %v on", s.Addr, limit)
		return nil
	}
}

// Stop sends SIGTERM and waits at most limit for a clean exit; it returns
// how long the stop took.
func (s *Server) Stop(t testing.TB, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	s.Signal(t, syscall.SIGTERM)
	if err := s.Wait(t, limit); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	return time.Since(start)
}

// Command runs the binary with args and o's environment to its end (at
// most a minute) and returns its combined output and exit error.
func Command(t testing.TB, o Options, args ...string) (string, error) {
	t.Helper()
	s := Prepare(t, o)
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = s.env
	done := make(chan struct{})
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill(); close(done) })
	out, err := cmd.CombinedOutput()
	if !timer.Stop() {
		<-done
		t.Fatalf("nudges %v still running after a minute:\n%s", args, out)
	}
	return string(out), err
}

// FreeAddr is a free 127.0.0.1 address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitFor polls ok every 20 ms and fails the test after limit.
func WaitFor(t testing.TB, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
