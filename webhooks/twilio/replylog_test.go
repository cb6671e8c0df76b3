package twilio

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuilder is a log sink safe for the server's goroutines.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInlineReplyIsLoggedInDevMode: in dev mode (no auth token), where the
// console driver logs every outbound SMS, the inline TwiML reply is logged
// too: to whom, what, and for which inbound message. With Twilio it is not
// (bodies stay out of production logs, as Twilio sends are).
func TestInlineReplyIsLoggedInDevMode(t *testing.T) {
	for _, tc := range []struct {
		token string
		want  bool
	}{{"", true}, {testToken, false}} {
		h := newHarness(t, tc.token)
		var logs lockedBuilder
		h.hooks.Log = slog.New(slog.NewTextHandler(&logs, nil))
		sign := signValid
		if tc.token == "" {
			sign = signNone
		}
		if rec := h.serve(request{form: sms(), sign: sign}); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		line := `msg="sms reply" to=` + string(testPhone) + ` body="#1 JOIN YOGA" in_sid=`
		if got := strings.Contains(logs.String(), line); got != tc.want {
			t.Errorf("token %q: reply logged %v, want %v; log:\n%s", tc.token, got, tc.want, logs.String())
		}
	}
}
