package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"nudges/bot"
)

// Billing applies payment events (Stripe's, or the dev checkout's) to
// clients and tells them by SMS when their standing changes. It implements
// bot.Billing.
type Billing struct {
	store  bot.Store
	clock  bot.Clock
	t      bot.Translator
	notify func()
	brain  *Brain
	// Log records events that concern no client; slog.Default() if nil.
	Log *slog.Logger
}

var _ bot.Billing = (*Billing)(nil)

// NewBilling returns the Billing for store. notify wakes the outbox
// dispatcher after an SMS was queued (nil: nobody); brain gives the service
// number and the links the messages carry.
func NewBilling(store bot.Store, clock bot.Clock, t bot.Translator, notify func(), brain *Brain) *Billing {
	return &Billing{store: store, clock: clock, t: t, notify: notify, brain: brain}
}

// errFound stops a scan of the clients.
var errFound = errors.New("found")

// Apply implements bot.Billing: each event id at most once; an event older
// than the last one applied to the client changes nothing; the client is
// told when its status changes (live, paused, restored, canceled).
func (b *Billing) Apply(ctx context.Context, ev bot.BillingEvent) error {
	if ev.ID == "" {
		return bot.Errorf(bot.EINVALID, "billing event without an id")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var queued bool
	var ignored string
	err := b.store.Update(func(tx bot.Tx) error {
		queued, ignored = false, ""
		if seen, err := tx.EventApplied(ev.ID); err != nil || seen {
			ignored = "duplicate"
			return err
		}
		now := b.clock.Now()
		if err := tx.MarkEventApplied(ev.ID, now); err != nil {
			return err
		}
		if ev.List != "" {
			var err error
			queued, ignored, err = b.listEvent(tx, ev, now)
			return err
		}
		c, err := findClient(tx, ev)
		if err != nil || c == nil {
			ignored = "no such client"
			return err
		}
		queued, ignored, err = b.applyTo(tx, c, ev, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", ev.Type, ev.ID, err)
	}
	if ignored != "" {
		b.logger().Info("billing event ignored", "id", ev.ID, "type", ev.Type, "why", ignored)
	}
	if queued && b.notify != nil {
		b.notify()
	}
	return nil
}

func (b *Billing) logger() *slog.Logger {
	if b.Log != nil {
		return b.Log
	}
	return slog.Default()
}

// findClient finds the client an event concerns: by phone (metadata or
// client reference), else by subscription, customer or checkout id.
func findClient(tx bot.Clients, ev bot.BillingEvent) (*bot.Client, error) {
	if ev.ClientPhone != "" {
		if c, err := tx.Client(ev.ClientPhone); err != nil || c != nil {
			return c, err
		}
	}
	if c, err := tx.ClientBySubscription(ev.SubscriptionID); err != nil || c != nil {
		return c, err
	}
	if ev.CustomerID == "" && ev.CheckoutID == "" && ev.Account == "" {
		return nil, nil
	}
	var found *bot.Client
	err := tx.EachClient(func(c *bot.Client) error {
		if (ev.CustomerID != "" && c.CustomerID == ev.CustomerID) || (ev.CheckoutID != "" && c.CheckoutID == ev.CheckoutID) ||
			(ev.Account != "" && c.Payouts.Account == ev.Account) {
			found = c
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, fmt.Errorf("find client: %w", err)
	}
	return found, nil
}

// concerns reports whether ev is about c's current subscription. An event
// of another subscription counts only when it starts a new one while the
// client has none running (a canceled client paying again).
func concerns(c *bot.Client, ev bot.BillingEvent) bool {
	if ev.SubscriptionID == "" || c.SubscriptionID == "" || ev.SubscriptionID == c.SubscriptionID {
		return true
	}
	if ev.Type == bot.EventCheckoutCompleted {
		return true
	}
	return !billed(c) && ev.Status == bot.ClientActive
}

// applyTo changes c as ev says and queues the SMS its new standing calls
// for. It returns whether an SMS was queued, or why ev was ignored.
func (b *Billing) applyTo(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	switch ev.Type {
	case bot.EventTrialWillEnd:
		return b.trialWillEnd(tx, c, ev, now)
	case bot.EventAccountUpdated:
		return b.accountUpdated(tx, c, ev, now)
	}
	switch {
	case ev.Created < c.LastEventAt:
		return false, "older than the last event applied", nil
	case ended(c, ev):
		return false, "its subscription was deleted", nil
	case !concerns(c, ev):
		return false, "another subscription", nil
	}
	before := standing(c)
	switch ev.Type {
	case bot.EventCheckoutExpired:
		if ev.CheckoutID != "" && c.CheckoutID == ev.CheckoutID {
			c.DropCheckout()
		}
	case bot.EventCheckoutCompleted, bot.EventInvoicePaid, bot.EventInvoiceFailed,
		bot.EventSubscriptionUpdated, bot.EventSubscriptionDeleted:
		if err := countCode(tx, c, ev, now); err != nil {
			return false, "", err
		}
		if err := b.adopt(tx, c, ev, now); err != nil {
			return false, "", err
		}
	default:
		return false, "not a billing event", nil
	}
	c.LastEventAt = max(c.LastEventAt, ev.Created)
	id := tellOn(before, standing(c))
	if c.Status == bot.ClientSuspended && (id == "BillingLive" || id == "BillingRestored") {
		id = "" // it cannot broadcast until the operator resumes it
	}
	if id == "BillingLive" && c.LiveAt.IsZero() {
		c.LiveAt = now
	}
	started, err := b.startNumber(tx, c, now)
	if err != nil {
		return false, "", err
	}
	if err := ensurePayToken(tx, c); err != nil {
		return false, "", err
	}
	sent := false
	if id != "" {
		if sent, err = b.tell(tx, c, id, now); err != nil {
			return false, "", err
		}
	}
	if started && b.brain.DevNumbers { // dev mode: a fictional number, ready at once
		if err := bot.AssignDevNumber(tx, b.t, c, now); err != nil {
			return false, "", err
		}
		sent = true
	}
	return sent, "", nil
}

// startNumber gives c its own number, provisioning, when its plan includes
// one and c is paid: the first time, or again after its number was
// released (§11). The caller saves c.
func (b *Billing) startNumber(tx bot.Plans, c *bot.Client, now time.Time) (bool, error) {
	if standing(c) != bot.ClientActive {
		return false, nil
	}
	p, err := tx.Plan(c.PlanID)
	if err != nil {
		return false, fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	return bot.StartNumber(c, p, now), nil
}

// ended reports whether ev is about a subscription that Stripe already
// ended for c: deleted (or canceled) is final, so nothing of that
// subscription, of the same second or later, brings the client back.
func ended(c *bot.Client, ev bot.BillingEvent) bool {
	return c.SubscriptionID != "" && ev.SubscriptionID == c.SubscriptionID && standing(c) == bot.ClientCanceled
}

// backwards reports whether ev would move c's period end back: Stripe's
// created has whole seconds, so of two events of one second the later
// period wins whichever arrives last.
func backwards(c *bot.Client, ev bot.BillingEvent) bool {
	same := ev.SubscriptionID == "" || ev.SubscriptionID == c.SubscriptionID
	return same && ev.Created == c.LastEventAt && ev.PeriodEnd.Before(c.PeriodEnd)
}

// adopt copies what ev says about the subscription into c.
func (b *Billing) adopt(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) error {
	keepPeriod := backwards(c, ev)
	if ev.CustomerID != "" {
		c.CustomerID = ev.CustomerID
	}
	if ev.SubscriptionID != "" {
		if c.SubscriptionID != "" && c.SubscriptionID != ev.SubscriptionID {
			c.PeriodEnd = time.Time{} // a new subscription: the old period is over
		}
		c.SubscriptionID = ev.SubscriptionID
	}
	if ev.Type == bot.EventCheckoutCompleted || ev.Status == bot.ClientActive {
		c.DropCheckout()
	}
	plan, err := resolvePlan(tx, ev)
	if err != nil {
		return err
	}
	if plan != nil {
		c.PlanID = plan.ID
	}
	if ev.Type == bot.EventSubscriptionUpdated || ev.Type == bot.EventSubscriptionDeleted || !ev.TrialEnd.IsZero() {
		c.TrialEnd = ev.TrialEnd
	}
	if !ev.PeriodStart.IsZero() && !keepPeriod {
		setPeriod(c, ev.PeriodStart, ev.PeriodEnd)
	}
	setStanding(c, nextStatus(standing(c), ev.Status))
	if standing(c) == bot.ClientActive && !c.PeriodEnd.After(now) {
		// Paid, but the event carried no period (checkout): count one
		// interval from now until invoice.paid says exactly.
		p, err := tx.Plan(c.PlanID)
		if err != nil {
			return fmt.Errorf("load plan %d: %w", c.PlanID, err)
		}
		setPeriod(c, now, addInterval(now, p))
	}
	return nil
}

// resolvePlan is the plan an event names: by its price, else its metadata.
func resolvePlan(tx bot.Plans, ev bot.BillingEvent) (*bot.Plan, error) {
	if ev.PriceID != "" {
		ps, err := tx.Plans()
		if err != nil {
			return nil, fmt.Errorf("load plans: %w", err)
		}
		for i := range ps {
			if ps[i].StripePriceID == ev.PriceID {
				return &ps[i], nil
			}
		}
	}
	if ev.PlanID == 0 {
		return nil, nil
	}
	p, err := tx.Plan(ev.PlanID)
	if err != nil {
		return nil, fmt.Errorf("load plan %d: %w", ev.PlanID, err)
	}
	return p, nil
}

// setPeriod moves c to a billing period; a later period starts the
// announcement count afresh.
func setPeriod(c *bot.Client, start, end time.Time) {
	if start.After(c.PeriodStart) {
		c.Used = 0
	}
	c.PeriodStart, c.PeriodEnd = start.UTC(), end.UTC()
}

func addInterval(t time.Time, p *bot.Plan) time.Time {
	if p == nil {
		return t.AddDate(0, 1, 0)
	}
	switch p.Interval {
	case bot.Week:
		return t.AddDate(0, 0, 7)
	case bot.Year:
		return t.AddDate(1, 0, 0)
	}
	return t.AddDate(0, 1, 0)
}

// billed reports whether c has a subscription running (paid or past due),
// whatever an operator's suspension says.
func billed(c *bot.Client) bool {
	st := standing(c)
	return st == bot.ClientActive || st == bot.ClientPastDue
}

// standing is where c stands with billing: its status, or while the
// operator has it suspended, the status a resume gives back.
func standing(c *bot.Client) bot.ClientStatus {
	if c.Status == bot.ClientSuspended {
		return c.ResumeStatus
	}
	return c.Status
}

// setStanding moves c's billing standing to s; a suspension stays, and only
// what a resume gives back changes.
func setStanding(c *bot.Client, s bot.ClientStatus) {
	if c.Status == bot.ClientSuspended {
		c.ResumeStatus = s
		return
	}
	c.Status = s
}

// nextStatus is the billing standing after an event saying ev ("" says
// nothing). Suspension is the operator's, never an event's; a payment
// failure pauses only a running plan; nothing goes back to pending.
func nextStatus(cur, ev bot.ClientStatus) bot.ClientStatus {
	switch {
	case ev == "" || ev == bot.ClientSuspended:
		return cur
	case ev == bot.ClientPastDue && cur != bot.ClientActive && cur != bot.ClientPastDue:
		return cur
	case ev == bot.ClientPending:
		return cur
	}
	return ev
}

// tellOn is the message a status change calls for, "" for none.
func tellOn(before, after bot.ClientStatus) string {
	switch {
	case before == after:
		return ""
	case after == bot.ClientActive && before == bot.ClientPastDue:
		return "BillingRestored"
	case after == bot.ClientActive:
		return "BillingLive"
	case after == bot.ClientPastDue:
		return "BillingPastDue"
	case after == bot.ClientCanceled && (before == bot.ClientActive || before == bot.ClientPastDue):
		return "BillingCanceled"
	}
	return ""
}

// tell queues message id to the client, in its language, unless it opted out.
func (b *Billing) tell(tx bot.Tx, c *bot.Client, id string, now time.Time) (bool, error) {
	data := map[string]any{"Name": c.Name, "Keyword": c.Keyword, "Number": b.brain.number(c), "Link": b.brain.payLink(c)}
	if id == "BillingPastDue" { // the one that carries a billing link
		var err error
		if data["Link"], err = b.brain.billingLink(tx, c, now); err != nil {
			return false, err
		}
	}
	ok, err := bot.Text(tx, now, bot.Note{
		To: c.Phone, Kind: bot.KindBilling, Priority: bot.PriorityHigh, Client: c.Locale,
		Body: func(lang string) string { return b.t.T(lang, id, data) },
	})
	if err != nil {
		return false, fmt.Errorf("tell %s: %w", c.Phone, err)
	}
	return ok, nil
}
