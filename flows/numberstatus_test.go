package flows

import (
	"testing"
	"time"

	"nudges/bot"
)

// NUMBER asks about a submitted toll-free verification at once: the number
// worker's next pass polls Twilio instead of waiting for the hour.
func TestNumberAsksAboutTheVerificationNow(t *testing.T) {
	h := newHarness(t)
	h.run("! client +15550009999 YOGA Sunrise Yoga\n! number +15550009999 +18335550100 verifying toll-free")
	set := func(fn func(c *bot.Client)) *bot.Client {
		var c *bot.Client
		err := h.db.Update(func(tx bot.Tx) error {
			var err error
			if c, err = tx.Client("+15550009999"); err != nil {
				return err
			}
			fn(c)
			return tx.PutClient(c)
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	set(func(c *bot.Client) {
		c.Own.VerificationSID, c.Own.NextTry = "HH0001", h.clock.Now().Add(time.Hour)
	})
	h.run("> +15550009999 NUMBER")
	if c := set(func(*bot.Client) {}); !c.Own.NextTry.IsZero() {
		t.Errorf("NextTry %v after NUMBER; want now (zero)", c.Own.NextTry)
	}
}
