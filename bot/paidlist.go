package bot

import (
	"fmt"
	"time"
)

// PaidCancel is a paid list's subscription whose cancellation at period
// end the provider has still to be told (LEAVE or STOP asked for it). The
// leader's PaidCanceler makes the call outside any transaction and drops
// the record once the provider answered; a record is keyed by Sub, so
// asking twice queues one call.
type PaidCancel struct {
	Sub     string    `json:"sub"`     // the provider subscription
	Account string    `json:"account"` // the client's connected account
	Keyword string    `json:"keyword"`
	Phone   Phone     `json:"phone"`
	Asked   time.Time `json:"asked"`
	Tries   int       `json:"tries,omitempty"`
	NextAt  time.Time `json:"next_at"` // not before: the backoff after a failure
}

// PaidCancels keeps the cancellations still to be made (store.Tx).
type PaidCancels interface {
	// PutPaidCancel saves c, replacing one of the same Sub.
	PutPaidCancel(c PaidCancel) error
	// PaidCancel is the record of sub, nil if none.
	PaidCancel(sub string) (*PaidCancel, error)
	// PaidCancelsDue returns up to n records due at now, in Sub order.
	PaidCancelsDue(now time.Time, n int) ([]PaidCancel, error)
	DeletePaidCancel(sub string) error
	// PaidCount is how many of keyword's subscriptions have Paid set;
	// the store keeps it in step as rows are added, put and removed.
	PaidCount(keyword string) (int, error)
	// PaidGroups is PaidCount by phone prefix, as ListGroups counts the
	// whole list (the send window's split of a paid list's audience).
	PaidGroups(keyword string) ([]PhoneGroup, error)
	// PaidEndedBefore returns up to n paid subscriptions whose PaidEnds is
	// before before, earliest first, with Keyword, Phone and PaidEnds set
	// (an index the store keeps beside the rows).
	PaidEndedBefore(before time.Time, n int) ([]Subscription, error)
}

// PaidTx is what asking for a cancellation reads and writes.
type PaidTx interface {
	Clients
	PaidCancels
}

// AskPaidCancel queues the cancellation of s's subscription at period end,
// once: a subscription already queued or already canceled changes
// nothing. It returns when announcements stop: the end of the period paid
// for, or now when that is unknown or past. s is not saved.
func AskPaidCancel(tx PaidTx, s *Subscription, now time.Time) (time.Time, error) {
	if s.Paid == "" {
		return now, nil
	}
	if !s.PaidEnds.IsZero() {
		return s.PaidEnds, nil
	}
	s.PaidEnds = now
	if s.PaidUntil.After(now) {
		s.PaidEnds = s.PaidUntil
	}
	if dev(s.Paid) {
		return s.PaidEnds, nil // the dev checkout's: nothing to call
	}
	c, err := tx.ClientByKeyword(s.Keyword)
	if err != nil {
		return time.Time{}, fmt.Errorf("cancel %s: %w", s.Paid, err)
	}
	account := ""
	if c != nil {
		account = c.Payouts.Account
	}
	pc := PaidCancel{Sub: s.Paid, Account: account, Keyword: s.Keyword, Phone: s.Phone, Asked: now, NextAt: now}
	if err := tx.PutPaidCancel(pc); err != nil {
		return time.Time{}, fmt.Errorf("queue cancel of %s: %w", s.Paid, err)
	}
	return s.PaidEnds, nil
}

// CancelPaidBeforeErase queues the cancellation of every paid list p pays
// for, before an erase takes p off them: an erased phone must not go on
// being charged. The queued records name no phone. Nothing is queued for
// a client's phone (an erase refuses it).
func CancelPaidBeforeErase(tx Tx, p Phone, now time.Time) error {
	if c, err := tx.Client(p); err != nil || c != nil {
		return err
	}
	subs, err := tx.SubscriptionsOf(p)
	if err != nil {
		return fmt.Errorf("lists of %s: %w", p, err)
	}
	for _, s := range subs {
		s.Phone = ""
		if _, err := AskPaidCancel(tx, &s, now); err != nil {
			return err
		}
	}
	return nil
}

// DevPaidPrefix starts the subscription ids the dev checkout makes: no
// provider knows them.
const DevPaidPrefix = "sub_dev_"

func dev(sub string) bool {
	return len(sub) >= len(DevPaidPrefix) && sub[:len(DevPaidPrefix)] == DevPaidPrefix
}

// Receiving reports whether s gets its list's announcements at now: a
// free membership always does (the list's price decides whether free ones
// count, see Audience); a paid one until the end a cancellation set.
func (s Subscription) Receiving(now time.Time) bool {
	return s.Paid == "" || s.PaidEnds.IsZero() || now.Before(s.PaidEnds)
}

// Audience reports whether s is in the audience of c's announcements at
// now: on a paid list (c has a price), only paying members whose paid time
// has not ended; on a free list everyone, including members who still pay
// from before PRICE OFF.
func Audience(c *Client, s Subscription, now time.Time) bool {
	if c == nil || c.Payouts.Price <= 0 {
		return s.Receiving(now)
	}
	return s.Paid != "" && s.Receiving(now)
}

// AddRevenue counts a paid list's payment of amount (minor units) made at
// at in the month's revenue, starting a new month's count when at is in a
// later month than the one counted.
func (p *Payouts) AddRevenue(amount int64, at time.Time) {
	month := at.UTC().Format("2006-01")
	if month > p.Month {
		p.Month, p.Revenue = month, 0
	}
	if month == p.Month {
		p.Revenue += amount
	}
}

// PaidSummary is what a paid list brings in: STATS says it, and the
// dashboard shows it.
type PaidSummary struct {
	Price    int64  // a month, minor units of Currency; 0: free for new members
	Currency string // the client's plan's
	Members  int    // phones paying for the list
	Revenue  int64  // paid by members this calendar month (UTC), minor units
	Fee      float64
}

// PaidReader is what SummarizePaid reads.
type PaidReader interface {
	Plans
	PaidCancels
}

// SummarizePaid is c's paid-list figures at now; fee is the platform's
// percent (NUDGES_PLATFORM_FEE).
func SummarizePaid(tx PaidReader, c *Client, now time.Time, fee float64) (PaidSummary, error) {
	s := PaidSummary{Price: c.Payouts.Price, Fee: fee}
	if c.Payouts.Month == now.UTC().Format("2006-01") {
		s.Revenue = c.Payouts.Revenue
	}
	p, err := tx.Plan(c.PlanID)
	if err != nil {
		return s, fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	if p != nil {
		s.Currency = p.Currency
	}
	if s.Members, err = tx.PaidCount(c.Keyword); err != nil {
		return s, fmt.Errorf("count paid members of %s: %w", c.Keyword, err)
	}
	return s, nil
}
