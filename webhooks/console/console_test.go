package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

var (
	alice = bot.MustPhone("+15550001111")
	bob   = bot.MustPhone("+15550002222")
)

func send(t *testing.T, d *Driver, to bot.Phone, body string) string {
	t.Helper()
	sid, err := d.Send(context.Background(), bot.OutMessage{To: to, Body: body, Kind: bot.KindReply})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return sid
}

func TestSendLogsOneLineAndReturnsSID(t *testing.T) {
	var buf bytes.Buffer
	d := New(slog.New(slog.NewTextHandler(&buf, nil)), 10)
	sid := send(t, d, alice, "Hello\nthere")
	if !strings.HasPrefix(sid, "CON") || len(sid) != 3+32 {
		t.Errorf("sid %q: want CON and 32 hex digits", sid)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want one log line, got %q", out)
	}
	for _, want := range []string{"to=+15550001111", `body="Hello\nthere"`, "sid=" + sid} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	if other := send(t, d, alice, "again"); other == sid {
		t.Errorf("two sends got the same sid %q", sid)
	}
}

func TestCaptureSIDs(t *testing.T) {
	d := NewCapture(slog.New(slog.DiscardHandler), 0)
	if sid := send(t, d, alice, "hi"); !strings.HasPrefix(sid, "SIM") {
		t.Errorf("capture sid %q: want SIM prefix", sid)
	}
}

func TestRecentPerPhoneOldestFirst(t *testing.T) {
	d := New(slog.New(slog.DiscardHandler), 10)
	clock := bot.NewFixedClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	d.SetClock(clock)
	send(t, d, alice, "a1")
	send(t, d, bob, "b1")
	send(t, d, alice, "a2")
	send(t, d, alice, "a3")
	got := bodies(d.Recent(alice, 2))
	if got != "a2,a3" {
		t.Errorf("Recent(alice, 2) = %s, want a2,a3", got)
	}
	if got := bodies(d.Recent("", 0)); got != "a1,b1,a2,a3" {
		t.Errorf("Recent(all) = %s", got)
	}
	if m := d.Recent(bob, 5); len(m) != 1 || !m[0].At.Equal(clock.Now()) || m[0].Kind != bot.KindReply {
		t.Errorf("Recent(bob) = %+v", m)
	}
}

func TestKeepsOnlyTheLastN(t *testing.T) {
	d := New(slog.New(slog.DiscardHandler), 3)
	for i := range 7 {
		send(t, d, alice, fmt.Sprint(i))
	}
	if d.Len() != 3 {
		t.Errorf("Len = %d, want 3", d.Len())
	}
	if got := bodies(d.Recent(alice, 0)); got != "4,5,6" {
		t.Errorf("Recent = %s, want 4,5,6", got)
	}
}

func TestCanceledContextIsRetryable(t *testing.T) {
	d := New(slog.New(slog.DiscardHandler), 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Send(ctx, bot.OutMessage{To: alice, Body: "x"})
	var se *bot.SendError
	if !errors.As(err, &se) || !se.Retry {
		t.Fatalf("err = %v, want a retryable *bot.SendError", err)
	}
	if d.Len() != 0 {
		t.Errorf("a canceled send was kept")
	}
}

func bodies(ms []Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Body)
	}
	return strings.Join(s, ",")
}
