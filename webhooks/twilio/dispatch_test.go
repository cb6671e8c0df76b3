package twilio

import (
	"context"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/webhooks/twilio/twiliotest"
)

// The real dispatcher through the real Client against the fake Twilio:
// what Twilio answers decides each message's fate, as SPEC §5 says.
func TestDispatcherThroughClient(t *testing.T) {
	cases := []struct {
		name   string
		script []twiliotest.Response
		want   bot.MessageStatus
		posts  int
		optOut bool
	}{
		{"429 then success", []twiliotest.Response{{Status: 429, Code: 20429, Message: "Too Many Requests"}, twiliotest.OK}, bot.StatusSent, 2, false},
		{"500 five times then failed", []twiliotest.Response{{Status: 500}, {Status: 500}, {Status: 500}, {Status: 500}, {Status: 500}, twiliotest.OK}, bot.StatusFailed, 5, false},
		{"21610 opts the phone out", []twiliotest.Response{{Status: 400, Code: 21610, Message: "unsubscribed recipient"}}, bot.StatusFailed, 1, true},
		{"other 4xx fails that one message", []twiliotest.Response{{Status: 400, Code: 21211, Message: "invalid To"}}, bot.StatusFailed, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tw := twiliotest.New(t)
			tw.Script(c.script...)
			h := newHarness(t, tw.AuthToken)
			queueText(t, h, testPhone, "you're live")
			d := bot.NewDispatcher(bot.NewLifecycle(h.db, locales.MustLoad()), newTestClient(t, testConfig(tw)), nil, 0)
			d.Log, d.Backoff = quietLog(), func(int) time.Duration { return time.Millisecond }
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if tw.Count() != c.posts {
				t.Errorf("%d requests reached Twilio, want %d", tw.Count(), c.posts)
			}
			h.db.View(func(tx bot.Tx) error {
				m, _ := tx.OutMessage(1)
				if m == nil || m.Status != c.want {
					t.Errorf("message: %+v; want %s", m, c.want)
				}
				conv, _ := tx.Conversation(testPhone)
				if conv.OptedOut != c.optOut {
					t.Errorf("opted out = %v, want %v", conv.OptedOut, c.optOut)
				}
				return nil
			})
		})
	}
}
