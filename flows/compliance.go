package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// compliance handles the words of SPEC §4.1 in any state: opt-out, opt back
// in, help. Natural-language opt-outs count too, except from an active
// client, whose texts are announcements.
func (b *Brain) compliance(tc *turnCtx) (bool, error) {
	switch tc.m.Cmd {
	case CmdStop:
		return true, b.optOut(tc)
	case CmdStart:
		return true, b.optIn(tc)
	case CmdYes:
		if tc.Conv.OptedOut {
			return true, b.optIn(tc)
		}
	case CmdHelp:
		tc.Conv.Misses = nil
		return true, b.help(tc)
	}
	if tc.client != nil && tc.client.CanBroadcast() {
		return false, nil
	}
	if ok, lang := OptOutPhrase(tc.m.Raw); ok {
		if !tc.Conv.LocaleChosen {
			tc.Conv.Locale = lang
		}
		return true, b.optOut(tc)
	}
	return false, nil
}

// optOut takes the phone off every list, drops any step or draft, and
// confirms once. Repeated opt-outs get no further text.
func (b *Brain) optOut(tc *turnCtx) error {
	conv := tc.Conv
	left, changed, err := bot.OptOut(tc.Tx, conv, "", tc.Now)
	if err != nil {
		return err
	}
	if changed || len(left) > 0 {
		if err := tc.Consent(bot.ConsentOptOut, left...); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	if tc.client != nil && billed(tc.client) {
		// A client stops getting texts, not its plan: say so, with the link
		// that cancels billing, since PLAN gets no answer from now on.
		c, err := tc.Tx.Client(conv.Phone) // fresh: leaving lists may have changed it
		if err == nil && c != nil && c.PayToken == "" {
			err = ensurePayToken(tc.Tx, c)
		}
		if err != nil || c == nil {
			return fmt.Errorf("opt-out billing link: %w", err)
		}
		link, err := b.billingLink(tc.Tx, c, tc.Now)
		if err != nil {
			return fmt.Errorf("opt-out billing link: %w", err)
		}
		tc.Say("OptedOutClient", map[string]any{"Keyword": c.Keyword, "Link": link})
		return nil
	}
	return b.sayOptedOut(tc)
}

// sayOptedOut confirms a STOP to the service number, naming the lists that
// text from their own number and so stay (a STOP there leaves them).
func (b *Brain) sayOptedOut(tc *turnCtx) error {
	ls, err := b.lists(tc)
	if err != nil {
		return fmt.Errorf("opt-out: %w", err)
	}
	if len(ls) == 0 {
		tc.Say("OptedOut", nil)
		return nil
	}
	tc.sayFirstItems("OptedOutOwnNumbers", nil, clientNames(ls), HelpLists)
	return nil
}

// optIn lifts an opt-out and restores the lists it ended (those whose client
// still takes members).
func (b *Brain) optIn(tc *turnCtx) error {
	conv := tc.Conv
	if !conv.OptedOut {
		return b.alreadyIn(tc)
	}
	var names, restored []string
	for _, kw := range conv.OptOutLists {
		c, err := tc.Tx.ClientByKeyword(kw)
		if err != nil {
			return fmt.Errorf("restore %s: %w", kw, err)
		}
		if c == nil || !c.Joinable() || paid(c) { // STOP cancelled a paid membership: joining again pays
			continue
		}
		added, err := tc.Tx.Subscribe(kw, conv.Phone, tc.Now)
		if err != nil {
			return fmt.Errorf("restore %s: %w", kw, err)
		}
		if added {
			names, restored = append(names, c.Name), append(restored, kw)
		}
	}
	conv.OptedOut, conv.OptedOutAt, conv.OptOutLists = false, time.Time{}, nil
	if err := optInRecord(tc, restored); err != nil {
		return err
	}
	if tc.client != nil && len(names) == 0 {
		tc.Say("OptedInClient", map[string]any{"Keyword": tc.client.Keyword})
		return nil
	}
	if len(names) == 0 {
		tc.Say("OptedInNoLists", nil)
		return nil
	}
	tc.sayItems("OptedIn", nil, names, ", ")
	return nil
}

// help explains the commands that fit the phone's role, names its lists
// (or a client's own) and the support contact.
func (b *Brain) help(tc *turnCtx) error {
	id, data := "HelpNew", map[string]any{"Support": b.Support}
	switch {
	case tc.Conv.OptedOut:
		id = "HelpOptedOut"
	case tc.Conv.Flow == signupFlow.Name() && tc.Now.Sub(tc.Conv.StepAt) <= StepIdle:
		id = "HelpSignup" // mid-signup: the step stays, HELP says how to go on
		tc.Conv.StepAt = tc.Now
	case tc.client != nil && !billed(tc.client):
		return b.helpUnpaid(tc)
	case tc.client != nil:
		id, data["Name"], data["Keyword"] = "HelpClient", tc.client.Name, tc.client.Keyword
	default:
		ls, err := b.lists(tc)
		if err != nil {
			return fmt.Errorf("help: %w", err)
		}
		if len(ls) > 0 {
			tc.sayFirstItems("HelpSubscriber", data, namedLists(ls), HelpLists)
			return nil
		}
	}
	tc.Say(id, data)
	return nil
}

// helpUnpaid is HELP for a client that has not paid (or whose subscription
// ended): the payment link, since announcements wait for it.
func (b *Brain) helpUnpaid(tc *turnCtx) error {
	c := tc.client
	if c.PayToken == "" {
		if err := ensurePayToken(tc.Tx, c); err != nil {
			return fmt.Errorf("help: %w", err)
		}
	}
	tc.Say("HelpClientUnpaid", map[string]any{"Keyword": c.Keyword, "Link": b.payLink(c), "Support": b.Support})
	return nil
}

// alreadyIn answers START from a phone that is not opted out: a phone on no
// list (and no client) is told how to join one rather than that it is
// already receiving messages.
func (b *Brain) alreadyIn(tc *turnCtx) error {
	if tc.client == nil {
		ls, err := b.lists(tc)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			tc.Say("ListNone", nil)
			return nil
		}
	}
	tc.Say("AlreadyOptedIn", nil)
	return nil
}
