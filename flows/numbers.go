package flows

import (
	"fmt"

	"nudges/bot"
)

// numberOwner is the client whose own number the turn's text was sent to,
// or nil: the service number, or the client texting its own number (its
// commands work there as they do on the service number).
func numberOwner(t *bot.Turn) (*bot.Client, error) {
	if t.In.To == "" {
		return nil, nil
	}
	to, err := bot.ParsePhone(t.In.To)
	if err != nil {
		return nil, nil // a Messaging Service sid or nothing we know: the service number
	}
	owner, err := t.Tx.ClientByNumber(to)
	if err != nil {
		return nil, fmt.Errorf("load client of %s: %w", to, err)
	}
	if owner == nil || owner.Phone == t.In.From || owner.Own == nil || owner.Own.Phone != to {
		return nil, nil
	}
	return owner, nil
}

// numberTurn handles a text to a client's own number (§11): it concerns
// that client alone. Join words join its list, LEAVE leaves it, LIST shows
// it, HELP names the business; an opt-out (the word, a phrase, or Twilio's
// Advanced Opt-Out) leaves the list and opts the phone out of this number
// only, and START restores just that; any other text is a reply to the
// client. The inline reply goes back from the number texted.
func (b *Brain) numberTurn(tc *turnCtx, owner *bot.Client) error {
	from := owner.Own.Phone
	carrier := false
	if cmd, ok := optOutTypes[tc.In.OptOutType]; ok { // Twilio answered it already
		carrier = true
		tc.m = Msg{Raw: tc.m.Raw, Norm: tc.m.Norm, Cmd: cmd, Lang: tc.m.Lang, Word: tc.m.Norm}
	}
	noteLanguage(tc.Conv, tc.m)
	handled, err := b.numberCommand(tc, owner, from)
	if carrier {
		tc.Replies = nil
	}
	if handled || err != nil {
		return err
	}
	if ok, lang := OptOutPhrase(tc.m.Raw); ok {
		if !tc.Conv.LocaleChosen {
			tc.Conv.Locale = lang
		}
		return b.numberOptOut(tc, owner, from)
	}
	if tc.Conv.OptedOutOf(from) {
		return nil // nothing but replies to START and HELP
	}
	if handled, err := b.clarifyOptOut(tc); handled || err != nil {
		return err
	}
	if tc.m.Raw == "" {
		return b.miss(tc, emptyMessage(tc.In, nil))
	}
	if handled, err := b.forwardTo(tc, owner); handled || err != nil {
		return err
	}
	return b.miss(tc, "NotUnderstood")
}

// numberCommand runs the commands a client's own number knows.
func (b *Brain) numberCommand(tc *turnCtx, owner *bot.Client, from bot.Phone) (bool, error) {
	data := map[string]any{"Name": owner.Name, "Keyword": owner.Keyword, "Support": b.Support}
	switch {
	case tc.m.Cmd == CmdStop:
		return true, b.numberOptOut(tc, owner, from)
	case tc.m.Cmd == CmdHelp:
		tc.Conv.Misses = nil
		tc.Say("NumberHelp", data)
		return true, nil
	case tc.m.Cmd == CmdStart, tc.m.Cmd == CmdYes, tc.m.Cmd == CmdJoin, tc.m.Norm == owner.Keyword:
		return true, b.numberJoin(tc, owner, from)
	case tc.Conv.OptedOutOf(from):
		return false, nil
	case tc.m.Cmd == CmdLeave:
		return true, b.numberLeave(tc, owner, data)
	case tc.m.Cmd == CmdList:
		on, err := tc.Tx.Subscribed(owner.Keyword, tc.Conv.Phone)
		if err != nil {
			return true, fmt.Errorf("list %s: %w", owner.Keyword, err)
		}
		tc.Say(map[bool]string{true: "NumberOnList", false: "NumberNotOn"}[on], data)
		return true, nil
	case tc.m.Cmd == CmdEnglish || tc.m.Cmd == CmdSpanish:
		return true, b.language(tc)
	}
	return false, nil
}

// numberOptOut opts the phone out of the client's number from: it leaves
// the client's list, and hears once that it will get nothing more there.
func (b *Brain) numberOptOut(tc *turnCtx, owner *bot.Client, from bot.Phone) error {
	left, changed, err := bot.OptOut(tc.Tx, tc.Conv, from, tc.Now)
	if err != nil {
		return err
	}
	if changed || len(left) > 0 {
		if err := tc.Consent(bot.ConsentOptOut, left...); err != nil {
			return err
		}
	}
	if changed {
		tc.Say("NumberOptedOut", map[string]any{"Name": owner.Name})
	}
	return nil
}

// numberJoin puts the phone on the client's list through its number: a
// phone opted out of the number is opted back in first (START there).
func (b *Brain) numberJoin(tc *turnCtx, owner *bot.Client, from bot.Phone) error {
	list, was := bot.OptInNumber(tc.Conv, from)
	if was {
		restored := []string{}
		if list != "" {
			restored = append(restored, list)
		}
		if err := tc.Consent(bot.ConsentOptIn, restored...); err != nil {
			return err
		}
	}
	if !owner.Joinable() {
		tc.Say("NumberNotTaking", map[string]any{"Name": owner.Name})
		return nil
	}
	if real, err := realList(tc, owner); err != nil || real {
		return err
	}
	if paid(owner) {
		return b.joinPaid(tc, owner)
	}
	sub := bot.Subscription{Keyword: owner.Keyword, Phone: tc.Conv.Phone, JoinedAt: tc.Now, Source: tc.Source(), HeardFrom: from}
	added, err := tc.Tx.AddSubscription(sub)
	if err != nil {
		return fmt.Errorf("join %s: %w", owner.Keyword, err)
	}
	if !added {
		tc.Say("AlreadyJoined", map[string]any{"Name": owner.Name, "Keyword": owner.Keyword})
		return nil
	}
	if err := tc.Consent(bot.ConsentJoin, owner.Keyword); err != nil {
		return err
	}
	tc.Replies = append(tc.Replies, joinedText(tc.T, tc.Lang(), owner))
	return nil
}

// numberLeave takes the phone off the client's list; a paid membership
// is cancelled at period end instead (leavePaid).
func (b *Brain) numberLeave(tc *turnCtx, owner *bot.Client, data map[string]any) error {
	if s, err := bot.SubscriptionOn(tc.Tx, owner.Keyword, tc.Conv.Phone); err != nil || (s != nil && s.Paid != "") {
		if err != nil {
			return fmt.Errorf("leave %s: %w", owner.Keyword, err)
		}
		return leavePaid(tc, listed{*s, owner.Name})
	}
	on, err := tc.Tx.Unsubscribe(owner.Keyword, tc.Conv.Phone)
	if err != nil {
		return fmt.Errorf("leave %s: %w", owner.Keyword, err)
	}
	if !on {
		tc.Say("NumberNotOn", data)
		return nil
	}
	if err := tc.Consent(bot.ConsentLeave, owner.Keyword); err != nil {
		return err
	}
	tc.Say("Left", map[string]any{"Lists": owner.Name})
	return nil
}
