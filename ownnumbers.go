package main

import (
	"time"

	"nudges/bot"
	"nudges/flows"
	"nudges/webhooks/twilio"
)

// ownNumbers wires the worker that carries clients' own numbers through
// their lifecycle, in the leader: on Twilio, or with dev mode's fictional
// numbers (which need no verification and nothing released).
func (a *app) ownNumbers(tcfg twilio.Config, brain *flows.Brain) error {
	var provider bot.NumberProvider = bot.DevNumbers{}
	if a.cfg.twilio() {
		n, err := twilio.NewNumbers(tcfg)
		if err != nil {
			return err
		}
		a.provider, provider = n, n
	}
	a.numbers = bot.NewNumberWorker(a.db, provider, bot.SystemClock{}, a.cfg.NumberGrace)
	a.numbers.Ready = a.numberReady
	// the turn that asks commits within milliseconds; the pass after it sees the number due
	brain.NumberAsked = func() { time.AfterFunc(askDelay, a.numbers.Kick) }
	a.lead.others = append(a.lead.others, a.numbers.Run)
	return nil
}

// numberReady makes c's number carry its messages and tells c.
func (a *app) numberReady(tx bot.Tx, c *bot.Client, now time.Time) error {
	return bot.ReadyNumber(tx, a.tr, c, now)
}

// askDelay lets a turn that asked about its number commit before the
// own-number worker looks.
const askDelay = 200 * time.Millisecond
