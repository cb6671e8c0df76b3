package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

// A kill -9 while Twilio is answering the purchase: the number is bought
// but the process never hears of it, so nothing is recorded. The restarted
// process provisions from the stored state, finds the number by its
// FriendlyName tag and buys no second one.
func TestKillDuringProvisioningNeverBuysTwice(t *testing.T) {
	tw := twiliotest.New(t)
	db := filepath.Join(t.TempDir(), "n.db")
	Update(t, db, func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Toll-free", PriceMinor: 2900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true,
			Number: bot.NumberTollFree, CreatedAt: time.Now()}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: Client, Name: ClientName, Keyword: "YOGA", Status: bot.ClientActive,
			PlanID: p.ID, CreatedAt: time.Now()})
	})
	// list services, create one, look for the tag, search: answered; the
	// purchase is made at once and answered a minute late
	tw.ScriptNumbers(twiliotest.OK, twiliotest.OK, twiliotest.OK, twiliotest.OK, twiliotest.Response{Delay: time.Minute})
	s := Start(t, Options{DB: db, Twilio: tw, Env: []string{"TWILIO_MESSAGING_API_BASE=" + tw.URL}})
	WaitFor(t, 15*time.Second, "the purchase to reach the fake Twilio", func() bool { return tw.Purchases() == 1 })
	s.Kill(t)
	View(t, db, func(tx bot.Tx) error {
		c, err := tx.Client(Client)
		if err == nil && (c.Own == nil || c.Own.PhoneSID != "") {
			t.Errorf("before the restart: own %+v, want provisioning with nothing recorded", c.Own)
		}
		return err
	})

	s.Restart(t)
	WaitFor(t, 15*time.Second, "the number in the client's Messaging Service", func() bool {
		svcs := tw.Services()
		return len(svcs) == 1 && len(svcs[0].Numbers) == 1
	})
	s.Stop(t, 10*time.Second)
	if tw.Purchases() != 1 || len(tw.Services()) != 1 {
		t.Fatalf("purchases %d, services %d: want 1 and 1", tw.Purchases(), len(tw.Services()))
	}
	View(t, db, func(tx bot.Tx) error {
		c, err := tx.Client(Client)
		if err == nil && (c.Own == nil || c.Own.Phone != "+18335550100" || c.Own.State != bot.NumberVerifying) {
			t.Errorf("after the restart: own %+v", c.Own)
		}
		return err
	})
}
