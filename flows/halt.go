package flows

import (
	"fmt"

	"nudges/bot"
)

// halt stops the client's announcement that is going out now (HALT): the
// recipients not sent yet are dropped, and the reply is its report.
func (b *Brain) halt(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	var a *bot.Announcement
	if c.LastAnnouncement != 0 {
		var err error
		if a, err = tc.Tx.Announcement(c.LastAnnouncement); err != nil {
			return fmt.Errorf("load announcement %d: %w", c.LastAnnouncement, err)
		}
	}
	r, sending, err := haltSending(tc.Turn, a)
	if err != nil || !sending {
		if err == nil {
			tc.Say("NothingToHalt", nil)
		}
		return err
	}
	id := "Halted"
	if r.InFlight > 0 {
		id = "HaltedInFlight"
	}
	tc.Say(id, map[string]any{"Sent": r.Sent, "Total": r.Total, "Dropped": r.Dropped, "InFlight": r.InFlight})
	return nil
}

// haltSending halts a if it is going out now (HALT's rule) and has the
// fan-out worker woken after the commit to drop its unsent rows; false if
// it is not sending (finished, halted already, or none).
func haltSending(t *bot.Turn, a *bot.Announcement) (bot.HaltReport, bool, error) {
	if !a.Sending() {
		return bot.HaltReport{}, false, nil
	}
	r, err := bot.StartHalt(t.Tx, a, t.Now)
	if err != nil {
		return r, false, err
	}
	t.Wake() // the fan-out worker drops the rows
	return r, true, nil
}
