package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxConsentText is the longest consent text (the words the phone agreed
// to) an API caller may give.
const MaxConsentText = 1000

// Consent is how a phone agreed to join a list, as an API caller states
// it: where (a signup form, a shop's checkout), when, and the words shown.
type Consent struct {
	Source string
	At     time.Time
	Text   string
}

// AddSubscriber puts p on keyword's list as one import row is put there,
// under key's name: opted-out and erased phones are refused (ECONFLICT), a
// consent record of kind ConsentAPI is kept, and nobody is texted. False:
// p was already on the list.
func AddSubscriber(st Store, now time.Time, keyword string, p Phone, c Consent, key string, admin Phone) (bool, error) {
	if err := checkConsent(now, c); err != nil {
		return false, err
	}
	req := ImportRequest{Keyword: keyword, Admin: admin, Key: key}
	row := importRow{line: 1, phone: p, joinedAt: c.At.UTC(), source: strings.TrimSpace(c.Source), text: c.Text}
	var res ImportResult
	err := st.Update(func(tx Tx) error {
		res = ImportResult{}
		cl, err := tx.ClientByKeyword(keyword)
		if err != nil {
			return err
		}
		if cl == nil {
			return Errorf(ENOTFOUND, "No list has the keyword %q.", keyword)
		}
		if !cl.Joinable() { // as joining by SMS or the join page
			return fmt.Errorf("%w: the plan is %s", ErrNotJoinable, cl.Status)
		}
		return importBatch(tx, now, req, []importRow{row}, &res)
	})
	switch {
	case err != nil:
		return false, err
	case res.OptedOut > 0:
		return false, Errorf(ECONFLICT, "%s opted out or was erased: it is never added back but by its own text.", p)
	}
	return res.Added > 0, nil
}

// ErrNotJoinable is AddSubscriber's answer for a list whose client is
// neither active nor only late paying: it takes no new members.
var ErrNotJoinable = Errorf(ECONFLICT, "The list takes no new members while its plan is not active.")

func checkConsent(now time.Time, c Consent) error {
	switch {
	case strings.TrimSpace(c.Source) == "":
		return Errorf(EINVALID, "consent.source is required.")
	case !utf8.ValidString(c.Source) || utf8.RuneCountInString(c.Source) > maxSourceRunes:
		return Errorf(EINVALID, "consent.source is at most %d characters.", maxSourceRunes)
	case !utf8.ValidString(c.Text) || utf8.RuneCountInString(c.Text) > MaxConsentText:
		return Errorf(EINVALID, "consent.text is at most %d characters.", MaxConsentText)
	case c.At.IsZero():
		return Errorf(EINVALID, "consent.time is required.")
	case c.At.After(now.Add(5 * time.Minute)):
		return Errorf(EINVALID, "consent.time is in the future.")
	}
	return nil
}

// RemoveSubscriber takes p off keyword's list as LEAVE does, with a leave
// consent record naming key; ENOTFOUND when p is not on it. A paid
// membership is removed at once and its subscription cancelled at period
// end (AskPaidCancel), as STOP does.
func RemoveSubscriber(st Store, now time.Time, keyword string, p Phone, key string) error {
	return st.Update(func(tx Tx) error {
		if s, err := SubscriptionOn(tx, keyword, p); err != nil {
			return fmt.Errorf("remove %s from %s: %w", p, keyword, err)
		} else if s != nil {
			if _, err := AskPaidCancel(tx, s, now); err != nil {
				return err
			}
		}
		on, err := tx.Unsubscribe(keyword, p)
		if err != nil {
			return fmt.Errorf("remove %s from %s: %w", p, keyword, err)
		}
		if !on {
			return Errorf(ENOTFOUND, "%s is not on the list.", p)
		}
		return RecordConsent(tx, ConsentRecord{At: now, Phone: p, Keyword: keyword, Kind: ConsentLeave, Key: key,
			Note: "removed through the API"})
	})
}

// SubscriptionOn returns p's subscription to keyword's list, or nil.
func SubscriptionOn(tx Tx, keyword string, p Phone) (*Subscription, error) {
	subs, err := tx.SubscriptionsOf(p)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if s.Keyword == keyword {
			return &s, nil
		}
	}
	return nil, nil
}
