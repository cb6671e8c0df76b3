package bot

import (
	"context"
	"fmt"
	"time"
)

// NumberOptOut is a phone's opt-out of one client's own number: when, and
// the list it ended ("" if the phone was on none), which START to that
// number restores.
type NumberOptOut struct {
	At   time.Time `json:"at"`
	List string    `json:"list,omitempty"`
}

// OptedOutOf reports whether the phone takes no messages from sender from
// (a client's own number, or "" for the service number): carriers block
// a STOP per number pair, and so does the service.
func (c *Conversation) OptedOutOf(from Phone) bool {
	if from == "" {
		return c.OptedOut
	}
	_, out := c.NumberOptOuts[from]
	return out
}

// NumberTx is what the number lifecycle needs of one transaction.
type NumberTx interface {
	Clients
	NoteTx
}

// StartNumber gives c an own number in state provisioning when its plan
// includes one (local or toll-free) and it has none yet, or only one
// already released: called when the plan becomes active. It reports
// whether it started one; the caller saves c.
func StartNumber(c *Client, plan *Plan, now time.Time) bool {
	if plan == nil || (plan.Number != NumberLocal && plan.Number != NumberTollFree) {
		return false
	}
	if c.Own != nil && c.Own.State != NumberReleased {
		return false
	}
	var history []NumberEvent // a released number's history goes on
	if c.Own != nil {
		history = c.Own.History
	}
	c.Own = &OwnNumber{Kind: plan.Number, State: NumberProvisioning, Since: now, History: history}
	c.Own.Note(now, "provisioning a %s number", plan.Number)
	return true
}

// devTries bounds the dev-mode search for a fictional number no other
// client holds (100,000 of them: a clash is rare, ten in a row never).
const devTries = 10

// AssignDevNumber gives c, whose own number is provisioning, a fictional
// number that is ready at once (dev mode: the console SMS driver), and
// tells it as ReadyNumber does. c is saved.
func AssignDevNumber(tx NumberTx, t Translator, c *Client, now time.Time) error {
	if c.Own == nil || c.Own.State != NumberProvisioning {
		return nil
	}
	for try := 0; try < devTries; try++ {
		probe := *c
		own := *c.Own
		own.Tries = try
		probe.Own = &own
		n, err := DevNumbers{}.Provision(context.Background(), probe)
		if err != nil {
			return err
		}
		holder, err := tx.ClientByNumber(n.Phone)
		if err != nil {
			return fmt.Errorf("dev number: %w", err)
		}
		if holder == nil || holder.Phone == c.Phone {
			n.Tries = 0
			return UpdateNumber(tx, t, c, n, now)
		}
	}
	return fmt.Errorf("dev number for %s: %d tries all taken", c.Phone, devTries)
}

// UpdateNumber saves what a NumberProvider (or an operator) says of c's
// number; a number that becomes ready is announced by ReadyNumber.
func UpdateNumber(tx NumberTx, t Translator, c *Client, n OwnNumber, now time.Time) error {
	wasReady := c.Own.Ready()
	if c.Own == nil || c.Own.State != n.State {
		n.Since = now
	}
	c.Own = &n
	if n.Ready() && !wasReady {
		return ReadyNumber(tx, t, c, now)
	}
	if err := tx.PutClient(c); err != nil {
		return fmt.Errorf("save number of %s: %w", c.Phone, err)
	}
	return nil
}

// ReadyNumber makes c's own number carry its messages: the state moves to
// ready, c is saved, and c is told from the service number ("Your number
// … is ready"). From now on its announcements and #n answers go from the
// number (SenderOf), and each subscriber's first message from it names
// the business (Subscription.HeardFrom).
func ReadyNumber(tx NumberTx, t Translator, c *Client, now time.Time) error {
	if c.Own == nil || c.Own.Phone == "" {
		return Errorf(EINVALID, "%s has no number to make ready", c.Phone)
	}
	if c.Own.State != NumberReady {
		c.Own.State, c.Own.Since, c.Own.Reason = NumberReady, now, ""
	}
	if err := tx.PutClient(c); err != nil {
		return fmt.Errorf("save number of %s: %w", c.Phone, err)
	}
	data := map[string]any{"Number": FormatNumber(c.Own.Phone), "Keyword": c.Keyword}
	_, err := Text(tx, now, Note{
		To: c.Phone, Kind: KindBilling, Priority: PriorityHigh, Client: c.Locale,
		Body: func(lang string) string { return t.T(lang, "NumberReady", data) },
	})
	if err != nil {
		return err
	}
	return emitIf(tx, c.Phone, HookNumberReady, now, map[string]any{"number": c.Own.Phone, "keyword": c.Keyword})
}

// FormatNumber writes a North American number as people read it
// (+1 833 555 0100); other numbers stay as they are.
func FormatNumber(p Phone) string {
	s := string(p)
	if len(s) != 12 || s[:2] != "+1" {
		return s
	}
	return s[:2] + " " + s[2:5] + " " + s[5:8] + " " + s[8:]
}
