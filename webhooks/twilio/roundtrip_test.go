package twilio

import (
	"context"
	"testing"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

var _ StatusSink = (*bot.Lifecycle)(nil)

// One message all the way: outbox → Client → fake Twilio → sid recorded →
// signed status callback → the store's message is delivered.
func TestSendThenStatusCallbackReachesTheStore(t *testing.T) {
	tw := twiliotest.New(t)
	h := newHarness(t, tw.AuthToken)
	outbox := &bot.Lifecycle{Store: h.db, Clock: bot.NewFixedClock(testNow)}
	h.hooks = NewWebhooks(Config{AuthToken: tw.AuthToken, PublicURL: testPublic}, nil, outbox)
	h.hooks.Log = quietLog()
	h.e = newEchoFor(h.hooks)
	h.token = tw.AuthToken

	queueText(t, h, testPhone, "you're live")
	claimed, _, err := outbox.Claim(testNow, 10, nil)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	sid, err := newTestClient(t, testConfig(tw)).Send(context.Background(), claimed[0])
	if err != nil {
		t.Fatal(err)
	}
	err = outbox.Record(testNow, []bot.Outcome{{ID: claimed[0].ID, Status: bot.StatusSent, SID: sid, Tries: 1}})
	if err != nil {
		t.Fatal(err)
	}
	cb := tw.Sent()[0].Form.Get("StatusCallback")
	if cb != testPublic+PathStatus {
		t.Fatalf("StatusCallback %q", cb)
	}
	form := statusForm("delivered", "")
	form.Set("MessageSid", sid)
	if rec := h.serve(request{path: PathStatus, form: form}); rec.Code != 200 {
		t.Fatalf("status callback: %d %s", rec.Code, rec.Body)
	}
	var m *bot.OutMessage
	h.db.View(func(tx bot.Tx) error { m, err = tx.OutMessage(claimed[0].ID); return err })
	if m == nil || m.Status != bot.StatusDelivered || m.SID != sid {
		t.Fatalf("stored message %+v", m)
	}
}
