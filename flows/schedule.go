package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nudges/bot"
)

// listQuoteLen is how much of a scheduled announcement SCHEDULED shows.
const listQuoteLen = 30

// defaultZone is the zone of numbers whose zone is not known when
// NUDGES_TIMEZONE is not set.
const defaultZone = "America/New_York"

// zone is the time zone c's LATER times are read in: its number's, else
// NUDGES_TIMEZONE, else America/New_York.
func (b *Brain) zone(p bot.Phone) *time.Location {
	if b.ClientZone != nil {
		if loc := b.ClientZone(p); loc != nil {
			return loc
		}
	}
	if b.Zone != nil {
		return b.Zone
	}
	if loc, err := time.LoadLocation(defaultZone); err == nil {
		return loc
	}
	return time.UTC
}

// zoneOf is the zone a scheduled announcement was read in.
func (b *Brain) zoneOf(s bot.Scheduled) *time.Location {
	if loc, err := time.LoadLocation(s.Zone); err == nil && s.Zone != "" {
		return loc
	}
	return b.zone(s.Client)
}

// later schedules the live draft (LATER when): it is counted now and goes
// to the list as it is at that time.
func (b *Brain) later(tc *turnCtx) error {
	c := tc.client
	switch {
	case c == nil:
		return b.clientOnly(tc, tc.m.Word)
	case !c.CanBroadcast():
		return b.notActive(tc)
	case tc.m.Arg == "":
		tc.Say("LaterHow", nil)
		return nil
	}
	if live, err := liveDraft(tc, "LaterNoDraft"); !live || err != nil {
		return err
	}
	if tc.Conv.Draft.Media != nil { // a draft's picture is kept for hours, not days
		tc.Say("LaterPicture", nil)
		return nil
	}
	at, loc, ok := b.laterTime(tc)
	if !ok {
		return nil
	}
	q, left, err := quota(tc.Tx, c)
	if err != nil {
		return err
	}
	if left <= 0 {
		tc.Say("ConfirmNoneLeft", map[string]any{"Quota": q, "PeriodEnd": dayText(tc.Lang(), c.PeriodEnd)})
		return nil
	}
	s := &bot.Scheduled{
		Client: c.Phone, Keyword: c.Keyword, Text: tc.Conv.Draft.Text, Links: tc.Conv.Draft.Links,
		At: at.UTC(), Zone: loc.String(),
		PeriodStart: c.PeriodStart, CreatedAt: tc.Now,
	}
	if err := tc.Tx.PutScheduled(s); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	c.Used++
	if err := tc.Tx.PutClient(c); err != nil {
		return fmt.Errorf("count scheduled announcement: %w", err)
	}
	if err := fireDraft(tc.Conv, evLater, nil); err != nil {
		return err
	}
	tc.Say("LaterScheduled", map[string]any{"When": whenText(tc.Lang(), at, loc), "Text": quote(s.Text), "Left": left - 1})
	return nil
}

// laterTime reads LATER's time in the client's zone; when it cannot be
// scheduled it says why and reports false.
func (b *Brain) laterTime(tc *turnCtx) (time.Time, *time.Location, bool) {
	loc := b.zone(tc.client.Phone)
	at, problem := time.Time{}, whenUnreadable
	if w, ok := parseWhen(tc.m.Arg, tc.m.Lang == bot.Spanish); ok {
		at, problem = w.place(tc.Now, loc)
	}
	if problem != whenOK {
		tc.Say(string(problem), map[string]any{"When": tc.m.Arg})
		return time.Time{}, nil, false
	}
	return at, loc, true
}

// scheduled lists the client's scheduled announcements (SCHEDULED).
func (b *Brain) scheduled(tc *turnCtx) error {
	if tc.client == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	list, err := tc.Tx.ScheduledOf(tc.client.Phone)
	if err != nil {
		return fmt.Errorf("scheduled: %w", err)
	}
	if len(list) == 0 {
		tc.Say("ScheduledNone", nil)
		return nil
	}
	tc.sayItems("ScheduledSome", map[string]any{"Count": len(list)}, b.scheduleLines(tc.Lang(), list), "\n")
	return nil
}

// scheduleLines numbers scheduled announcements: `1. Fri Jan 9, 9:00 AM
// EST: "Class is on at 7..."`.
func (b *Brain) scheduleLines(lang string, list []bot.Scheduled) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%d. %s: \"%s\"", i+1, whenShort(lang, s.At, b.zoneOf(s)), cut(s.Text, listQuoteLen))
	}
	return out
}

// unschedule cancels one scheduled announcement (UNSCHEDULE n) and gives
// it back to the period it was counted in.
func (b *Brain) unschedule(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	list, err := tc.Tx.ScheduledOf(c.Phone)
	if err != nil {
		return fmt.Errorf("unschedule: %w", err)
	}
	n, _ := strconv.Atoi(tc.m.Arg)
	if tc.m.Arg == "" && len(list) == 1 {
		n = 1
	}
	switch {
	case len(list) == 0:
		tc.Say("ScheduledNone", nil)
		return nil
	case n < 1 || n > len(list):
		tc.sayItems("UnscheduleWhich", map[string]any{"Arg": tc.m.Arg}, b.scheduleLines(tc.Lang(), list), "\n")
		return nil
	}
	s := list[n-1]
	if _, err := tc.Tx.DeleteScheduled(s.ID); err != nil {
		return fmt.Errorf("unschedule: %w", err)
	}
	if err := giveBack(tc.Tx, c, s); err != nil {
		return err
	}
	_, left, err := quota(tc.Tx, c)
	if err != nil {
		return err
	}
	tc.Say("Unscheduled", map[string]any{"When": whenText(tc.Lang(), s.At, b.zoneOf(s)), "Text": quote(s.Text), "Left": left})
	return nil
}

// giveBack returns a scheduled announcement that will not go out to the
// count of the period it was counted in (a later period owes it nothing).
func giveBack(tx bot.Tx, c *bot.Client, s bot.Scheduled) error {
	if !s.PeriodStart.Equal(c.PeriodStart) || c.Used == 0 {
		return nil
	}
	c.Used--
	if err := tx.PutClient(c); err != nil {
		return fmt.Errorf("give back announcement: %w", err)
	}
	return nil
}

// cut is text on one line, cut to n characters with "...".
func cut(text string, n int) string {
	s := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(s) <= n+3 {
		return s
	}
	return strings.TrimRight(string([]rune(s)[:n]), " ") + "..."
}
