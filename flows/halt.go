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
	if !a.Sending() {
		tc.Say("NothingToHalt", nil)
		return nil
	}
	r, err := bot.StartHalt(tc.Tx, a, tc.Now)
	if err != nil {
		return err
	}
	id := "Halted"
	if r.InFlight > 0 {
		id = "HaltedInFlight"
	}
	tc.Say(id, map[string]any{"Sent": r.Sent, "Total": r.Total, "Dropped": r.Dropped, "InFlight": r.InFlight})
	tc.Wake() // the fan-out worker drops the rows
	return nil
}
