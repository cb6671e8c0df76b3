package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// The announcement rules an SMS turn and the Service both apply. A rule
// that refuses says why as the SMS reply does (a refusal): the turn says
// it, the Service turns it into a *Refused.

// refusal is why an announcement or an answer cannot go, as the SMS reply
// says it: the message id and its data. The Service reads the same.
type refusal struct {
	ID   string
	Data map[string]any
}

// refuse says a refusal (when there is one) and passes err on.
func (tc *turnCtx) refuse(no *refusal, err error) error {
	if err == nil && no != nil {
		tc.Say(no.ID, no.Data)
	}
	return err
}

// makeDraft is client c's announcement of raw and picture pic as it is
// delivered: every http(s) URL made a tracked link. One whose longest
// delivered form passes MaxDelivered is refused (DraftTooLong).
func (b *Brain) makeDraft(tr bot.Translator, c *bot.Client, raw string, pic *bot.Media, now time.Time) (bot.Draft, *refusal, error) {
	text, links, err := trackLinks(raw, b.PublicURL)
	if err != nil {
		return bot.Draft{}, nil, err
	}
	longest, _ := withPicture(text, pic, "")
	if n := longestDelivered(tr, c.Name, longest, c.Own != nil); n > MaxDelivered {
		return bot.Draft{}, &refusal{"DraftTooLong", map[string]any{"Name": c.Name, "Length": n, "Limit": MaxDelivered}}, nil
	}
	return bot.Draft{Text: text, At: now, Links: links, Media: pic}, nil, nil
}

// sendable applies CONFIRM's rules to client c: active, someone on its
// list, an announcement left this period (left, counting this one).
func (b *Brain) sendable(tx bot.Tx, c *bot.Client, lang string) (left int, no *refusal, err error) {
	if !c.CanBroadcast() {
		r := b.notActiveRefusal(c)
		return 0, &r, nil
	}
	n, err := audience(tx, c)
	if err != nil {
		return 0, nil, err
	}
	if n == 0 && c.Subscribers > 0 { // a paid list whose members do not pay
		return 0, &refusal{"ConfirmNoPayers", map[string]any{"Keyword": c.Keyword}}, nil
	}
	if n == 0 {
		return 0, &refusal{"ConfirmNoSubscribers", map[string]any{"Keyword": c.Keyword, "Number": b.number(c)}}, nil
	}
	q, left, err := quota(tx, c)
	if err != nil || left > 0 {
		return left, nil, err
	}
	return 0, &refusal{"ConfirmNoneLeft", map[string]any{"Quota": q, "PeriodEnd": dayText(lang, c.PeriodEnd)}}, nil
}

// notActiveRefusal is why client c cannot send: its billing status.
func (b *Brain) notActiveRefusal(c *bot.Client) refusal {
	id := "NotActivePending"
	switch c.Status {
	case bot.ClientPastDue:
		id = "NotActivePastDue"
	case bot.ClientCanceled:
		id = "NotActiveCanceled"
	case bot.ClientSuspended:
		id = "NotActiveSuspended"
	}
	return refusal{id, map[string]any{"Support": b.Support}}
}

// audience is how many an announcement of c goes to now: on a paid list
// (one with a price) its paying members, else everyone on it, as the
// fan-out chooses them (bot.Audience).
func audience(tx bot.PaidCancels, c *bot.Client) (int, error) {
	if c.Payouts.Price <= 0 {
		return c.Subscribers, nil
	}
	return tx.PaidCount(c.Keyword)
}

// quota is the client's announcements per period and how many are left; a
// client without a known plan has none.
func quota(tx bot.Plans, c *bot.Client) (total, left int, err error) {
	p, err := tx.Plan(c.PlanID)
	if err != nil {
		return 0, 0, fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	if p == nil {
		return 0, 0, nil
	}
	return p.Quota, max(p.Quota-c.Used, 0), nil
}
