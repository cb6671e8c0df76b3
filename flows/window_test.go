package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
)

func init() {
	directives["window"] = directiveWindow
	directives["at"] = directiveAt
	directives["claim"] = directiveClaim
	directives["record"] = directiveRecord
	harnessSetup = append(harnessSetup, func(h *harness) { h.fan.Halt = h.lifecycle().Halt })
}

// lifecycle is the outbox service of the harness, with its send window.
func (h *harness) lifecycle() *bot.Lifecycle {
	return &bot.Lifecycle{Store: h.db, Report: bot.ReportTo(h.engine.T), Clock: h.clock, Window: h.brain.Window}
}

// directiveWindow: `! window 08:00-20:00 America/Los_Angeles` turns the
// send window on, with that zone as NUDGES_TIMEZONE.
func directiveWindow(h *harness, args string) error {
	span, zone, _ := strings.Cut(strings.TrimSpace(args), " ")
	w, err := bot.ParseWindow(span)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return err
	}
	h.brain.Window = bot.NewSendWindow(w, loc)
	h.fan.Due = h.brain.Window.Due
	h.fan.Halt = h.lifecycle().Halt
	return nil
}

// directiveAt: `! at 2026-03-08T12:30:00Z` sets the clock.
func directiveAt(h *harness, args string) error {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(args))
	if err != nil {
		return err
	}
	h.clock.Set(t)
	return nil
}

// directiveClaim: `! claim 2` has the dispatcher take the next 2 due
// messages for sending (they stay in flight until `! record`).
func directiveClaim(h *harness, args string) error {
	n, err := strconv.Atoi(strings.TrimSpace(args))
	if err != nil {
		return err
	}
	msgs, _, err := h.lifecycle().Claim(h.clock.Now(), n, nil)
	if err != nil {
		return err
	}
	if len(msgs) != n {
		return fmt.Errorf("claimed %d, want %d", len(msgs), n)
	}
	h.claimed = append(h.claimed, msgs...)
	return nil
}

// directiveRecord: `! record` records every claimed message as sent.
func directiveRecord(h *harness, _ string) error {
	var outs []bot.Outcome
	for i, m := range h.claimed {
		outs = append(outs, bot.Outcome{ID: m.ID, Status: bot.StatusSent, SID: fmt.Sprintf("SMrec%04d", i), Tries: 1})
	}
	h.claimed = nil
	return h.lifecycle().Record(h.clock.Now(), outs)
}
