package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Stripe settings the service gets with Options.Stripe.
const (
	StripeKey           = "sk_test_e2e"
	StripeWebhookSecret = "whsec_e2e"
)

// StripeMock starts stripe-mock on free loopback ports for the test and
// returns its API base, for Options.Stripe. Without stripe-mock the test
// is skipped, or fails under NUDGES_INTEGRATION=1 (.ci/run installs it).
func StripeMock(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			missing(t, "stripe-mock not installed (go install github.com/stripe/stripe-mock@v0.203.0)")
		}
	}
	addr := FreeAddr(t)
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", FreeAddr(t))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	WaitFor(t, 20*time.Second, "stripe-mock to listen on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "http://" + addr
}

// missing skips the test for a missing tool, or fails it under
// NUDGES_INTEGRATION=1.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("NUDGES_INTEGRATION") == "1" {
		t.Fatalf("%s and NUDGES_INTEGRATION=1", why)
	}
	t.Skipf("%s; NUDGES_INTEGRATION=1 makes this a failure", why)
}
