package twilio

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// A kill -9 after the purchase and before the number was recorded: the
// store still says provisioning with nothing bought. The worker of the
// restarted process provisions from that state and finds the tagged number
// instead of buying a second one.
func TestWorkerAfterACrashBetweenBuyingAndRecording(t *testing.T) {
	n, tw := newNumbers(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := bot.Client{Phone: "+13125550000", Keyword: "YOGA", Status: bot.ClientActive,
		Own: &bot.OwnNumber{Kind: bot.NumberLocal, State: bot.NumberProvisioning}}
	if err := db.Update(func(tx bot.Tx) error { return tx.PutClient(&c) }); err != nil {
		t.Fatal(err)
	}
	bought, err := n.Provision(context.Background(), c) // the crashed process's call; its result is lost
	if err != nil || tw.Purchases() != 1 {
		t.Fatalf("%v, purchases %d", err, tw.Purchases())
	}
	w := bot.NewNumberWorker(db, n, bot.NewFixedClock(testNow), time.Hour)
	for range 3 {
		if err := w.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var got *bot.Client
	db.View(func(tx bot.Tx) (err error) { got, err = tx.Client(c.Phone); return err })
	if tw.Purchases() != 1 || got.Own.Phone != bought.Phone || got.Own.PhoneSID != bought.PhoneSID || got.Own.State != bot.NumberVerifying {
		t.Fatalf("purchases %d, own %+v", tw.Purchases(), got.Own)
	}
}

// Twilio answers 5xx: the worker records the failure and waits before the
// next try, then succeeds without a second purchase.
func TestWorkerBacksOffOnTwilio5xx(t *testing.T) {
	n, tw := newNumbers(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := bot.Client{Phone: "+13125550000", Keyword: "YOGA", Status: bot.ClientActive,
		Own: &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberProvisioning}}
	if err := db.Update(func(tx bot.Tx) error { return tx.PutClient(&c) }); err != nil {
		t.Fatal(err)
	}
	clock := bot.NewFixedClock(testNow)
	w := bot.NewNumberWorker(db, n, clock, time.Hour)
	tw.ScriptNumbers(twiliotest.Response{Status: 500, Code: 20500}, twiliotest.Response{Status: 503, Code: 20503})
	own := func() *bot.OwnNumber {
		if err := w.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		var got *bot.Client
		db.View(func(tx bot.Tx) (err error) { got, err = tx.Client(c.Phone); return err })
		return got.Own
	}
	if o := own(); o.Tries != 1 || o.State != bot.NumberProvisioning || o.Reason == "" {
		t.Fatalf("%+v", o)
	}
	calls := len(tw.Calls())
	if own(); len(tw.Calls()) != calls {
		t.Fatal("retried before the backoff")
	}
	clock.Advance(time.Minute)
	if o := own(); o.Tries != 2 || !o.NextTry.Equal(clock.Now().Add(2*time.Minute)) {
		t.Fatalf("%+v", o)
	}
	clock.Advance(2 * time.Minute)
	if o := own(); o.State != bot.NumberVerifying || o.Phone != "+18335550100" || tw.Purchases() != 1 {
		t.Fatalf("%+v, purchases %d", o, tw.Purchases())
	}
}
