package e2e

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// TestMetricsMoveWithTraffic runs the service with Twilio (a local fake),
// then checks that each metric moves with what it counts: turns by
// outcome, a rejected signature, commits, an announcement sent and its
// delivery receipt, subscribers and clients from the store.
func TestMetricsMoveWithTraffic(t *testing.T) {
	tw := twiliotest.New(t)
	db := filepath.Join(t.TempDir(), "n.db")
	SeedList(t, db, 0) // one active client, YOGA, with a plan
	s := Start(t, Options{DB: db, Twilio: tw, Rate: "1000", PublicURL: growthPublic, Env: []string{"NUDGES_METRICS_TOKEN=scrape-me"}})

	before := scrape(t, s.URL)
	want(t, before, `nudges_clients{status="active"}`, 1)
	want(t, before, `nudges_subscribers`, 0)
	want(t, before, `nudges_inbound_messages_total{outcome="reply"}`, 0)
	want(t, before, `nudges_send_window_waiting_messages`, 0)
	if _, ok := before["go_goroutines"]; !ok {
		t.Error("no Go collector metrics")
	}
	if _, ok := before["process_resident_memory_bytes"]; !ok {
		t.Error("no process collector metrics")
	}

	mustSMS(t, s, "SMm1", "+15550001111", "YOGA")
	mustSMS(t, s, "SMm1", "+15550001111", "YOGA") // Twilio's retry
	mustSMS(t, s, "SMm2", Client, "Class moved to 7pm")
	mustSMS(t, s, "SMm3", Client, "CONFIRM")
	form := url.Values{"MessageSid": {"SMforged"}, "From": {"+15550001111"}, "To": {Number}, "Body": {"STOP"}}
	resp, err := http.PostForm(s.URL+twilio.PathSMS, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned webhook: %d", resp.StatusCode)
	}
	s.Status(t, waitSent(t, tw, "+15550001111"), "delivered")

	after := scrape(t, s.URL)
	want(t, after, `nudges_inbound_messages_total{outcome="reply"}`, 3)
	want(t, after, `nudges_inbound_messages_total{outcome="replay"}`, 1)
	want(t, after, `nudges_inbound_messages_total{outcome="rejected_signature"}`, 1)
	want(t, after, `nudges_inbound_messages_total{outcome="error"}`, 0)
	want(t, after, `nudges_turn_duration_seconds_count`, 4)
	want(t, after, `nudges_outbound_messages_total{status="delivered"}`, 1)
	want(t, after, `nudges_subscribers`, 1)
	if n := after[`nudges_outbound_messages_total{status="sent"}`]; n < 1 {
		t.Errorf("outbound sent = %v, want ≥ 1 (the announcement)", n)
	}
	if n, was := after["nudges_commit_duration_seconds_count"], before["nudges_commit_duration_seconds_count"]; n < was+3 {
		t.Errorf("commits counted %v → %v, want at least 3 more", was, n)
	}
}

// TestMetricsOnlyForLoopbackOrToken: a request passed on by a reverse proxy
// on this machine is not the machine itself; the token lets it in.
func TestMetricsOnlyForLoopbackOrToken(t *testing.T) {
	s := Start(t, Options{Env: []string{"NUDGES_METRICS_TOKEN=scrape-me"}})
	if code, body := scrapeRaw(t, s.URL, "X-Forwarded-For", "203.0.113.9"); code != http.StatusForbidden ||
		!strings.Contains(body, "NUDGES_METRICS_TOKEN") {
		t.Errorf("proxied scrape without token = %d %q, want 403 naming the token", code, body)
	}
	if code, _ := scrapeRaw(t, s.URL, "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer wrong"); code != http.StatusForbidden {
		t.Errorf("wrong token = %d, want 403", code)
	}
	scrape(t, s.URL, "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer scrape-me")
}

// scrape fetches /metrics with the given headers and returns each sample
// ("name{labels}" → value); it fails the test unless the answer is 200.
func scrape(t *testing.T, base string, header ...string) map[string]float64 {
	t.Helper()
	code, body := scrapeRaw(t, base, header...)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", code, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if line == "" || line[0] == '#' || i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func scrapeRaw(t *testing.T, base string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func want(t *testing.T, m map[string]float64, key string, v float64) {
	t.Helper()
	got, ok := m[key]
	if !ok {
		t.Errorf("metric %s missing", key)
	} else if got != v {
		t.Errorf("%s = %v, want %v", key, got, v)
	}
}

func mustSMS(t *testing.T, s *Server, sid, from, body string) {
	t.Helper()
	code, reply, err := s.Inbound(sid, from, body)
	if err != nil || code != http.StatusOK || !strings.Contains(reply, "<Message>") {
		t.Fatalf("%s %q: %d %s %v", from, body, code, reply, err)
	}
}

// waitSent waits for the fake Twilio to have taken a message to phone.
func waitSent(t *testing.T, tw *twiliotest.Server, phone bot.Phone) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range tw.Sent() {
			if r.Form.Get("To") == string(phone) {
				return r.SID
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing sent to %s within 10 s", phone)
	return ""
}
