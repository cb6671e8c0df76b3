package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

type failingSource struct{}

func (failingSource) Gauges(time.Time) (bot.Gauges, error) {
	return bot.Gauges{}, errors.New("disk gone")
}

func get(t *testing.T, m *Metrics, remote string, header ...string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, Path, nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

func TestAccess(t *testing.T) {
	open := New(failingSource{}, "", "v-test")
	if code, _ := get(t, open, "192.0.2.7:5000"); code != http.StatusForbidden {
		t.Errorf("remote peer without a token configured: %d, want 403", code)
	}
	if code, _ := get(t, open, "[::1]:5000"); code != http.StatusOK {
		t.Errorf("IPv6 loopback: %d, want 200", code)
	}
	if code, _ := get(t, open, "127.0.0.1:5000", "Forwarded", "for=192.0.2.7"); code != http.StatusForbidden {
		t.Errorf("loopback peer forwarding a visitor: %d, want 403", code)
	}
	tok := New(failingSource{}, "s3cret", "v-test")
	if code, _ := get(t, tok, "192.0.2.7:5000", "Authorization", "Bearer s3cret"); code != http.StatusOK {
		t.Errorf("remote peer with the token: %d, want 200", code)
	}
	if code, _ := get(t, tok, "192.0.2.7:5000", "Authorization", "Bearer s3cre"); code != http.StatusForbidden {
		t.Errorf("remote peer with a wrong token: %d, want 403", code)
	}
}

// A store that cannot be read leaves the counters served; the gauges are
// missing rather than zero, so a dashboard shows a gap, not a false 0.
func TestStoreFailureServesTheRest(t *testing.T) {
	m := New(failingSource{}, "", "v-test")
	m.Inbound(bot.TurnReply, 3*time.Millisecond)
	m.Outbound("accepted", 2) // a status the service did not know at start
	m.Retried(3)
	code, body := get(t, m, "127.0.0.1:1")
	if code != http.StatusOK {
		t.Fatalf("scrape with a failing store: %d %s", code, body)
	}
	for _, want := range []string{`nudges_inbound_messages_total{outcome="reply"} 1`, `nudges_outbound_messages_total{status="accepted"} 2`,
		`nudges_turn_duration_seconds_count 1`, `nudges_build_info{version="v-test"} 1`,
		`nudges_txn_conflict_retries_total 3`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, "nudges_subscribers ") {
		t.Error("subscribers gauge served although the store failed")
	}
}
