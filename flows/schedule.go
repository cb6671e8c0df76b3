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
	if no := laterPicture(*tc.Conv.Draft); no != nil {
		return tc.refuse(no, nil)
	}
	at, loc, ok := b.laterTime(tc)
	if !ok {
		return nil
	}
	s, left, no, err := b.schedule(tc.Tx, c, *tc.Conv.Draft, at, loc, tc.Now, tc.Lang())
	if err != nil || no != nil {
		return tc.refuse(no, err)
	}
	if err := fireDraft(tc.Conv, evLater, nil); err != nil {
		return err
	}
	tc.Say("LaterScheduled", map[string]any{"When": whenText(tc.Lang(), at, loc), "Text": quote(s.Text), "Left": left})
	return nil
}

// laterPicture refuses to schedule a draft with a picture: a draft's
// picture is kept for hours, not days.
func laterPicture(d bot.Draft) *refusal {
	if d.Media == nil {
		return nil
	}
	return &refusal{"LaterPicture", nil}
}

// schedule applies LATER's rules once its time at (read in loc) is known:
// an announcement left this period, counted now and given back if it is
// unscheduled. It saves the entry and client c, and returns the entry and
// how many announcements are left after it.
func (b *Brain) schedule(tx bot.Tx, c *bot.Client, d bot.Draft, at time.Time, loc *time.Location, now time.Time, lang string) (*bot.Scheduled, int, *refusal, error) {
	q, left, err := quota(tx, c)
	if err != nil {
		return nil, 0, nil, err
	}
	if left <= 0 {
		return nil, 0, &refusal{"ConfirmNoneLeft", map[string]any{"Quota": q, "PeriodEnd": dayText(lang, c.PeriodEnd)}}, nil
	}
	s := &bot.Scheduled{
		Client: c.Phone, Keyword: c.Keyword, Text: d.Text, Links: d.Links,
		At: at.UTC(), Zone: loc.String(),
		PeriodStart: c.PeriodStart, CreatedAt: now,
	}
	if err := tx.PutScheduled(s); err != nil {
		return nil, 0, nil, fmt.Errorf("schedule: %w", err)
	}
	c.Used++
	if err := tx.PutClient(c); err != nil {
		return nil, 0, nil, fmt.Errorf("count scheduled announcement: %w", err)
	}
	return s, left - 1, nil, nil
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
	left, err := unscheduleOne(tc.Tx, c, s)
	if err != nil {
		return err
	}
	tc.Say("Unscheduled", map[string]any{"When": whenText(tc.Lang(), s.At, b.zoneOf(s)), "Text": quote(s.Text), "Left": left})
	return nil
}

// unscheduleOne takes s off c's schedule and gives it back to the period
// it was counted in; it returns how many announcements are left.
func unscheduleOne(tx bot.Tx, c *bot.Client, s bot.Scheduled) (int, error) {
	if _, err := tx.DeleteScheduled(s.ID); err != nil {
		return 0, fmt.Errorf("unschedule: %w", err)
	}
	if err := giveBack(tx, c, s); err != nil {
		return 0, err
	}
	_, left, err := quota(tx, c)
	return left, err
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
