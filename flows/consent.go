package flows

import (
	"fmt"

	"nudges/bot"
)

// keywords lists the subscriptions' keywords.
func keywords(subs []bot.Subscription) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.Keyword
	}
	return out
}

// optInRecord records an opt-in for the lists it restored (or for none)
// and lifts an erased phone's suppression: the phone itself asked back in.
func optInRecord(tc *turnCtx, restored []string) error {
	if err := tc.Consent(bot.ConsentOptIn, restored...); err != nil {
		return err
	}
	if err := tc.Tx.Unsuppress(tc.Conv.Phone); err != nil {
		return fmt.Errorf("opt-in: %w", err)
	}
	return nil
}

// suppress keeps a phone the console erased opted out when it texts again:
// its conversation is new, but its keyed hash is remembered.
func suppress(tc *turnCtx) error {
	if !tc.Conv.FirstSeen.Equal(tc.Now) || tc.Conv.OptedOut {
		return nil
	}
	erased, err := tc.Tx.Suppressed(tc.Conv.Phone)
	if err != nil {
		return fmt.Errorf("suppression: %w", err)
	}
	if erased {
		tc.Conv.OptedOut, tc.Conv.OptedOutAt = true, tc.Now
	}
	return nil
}
