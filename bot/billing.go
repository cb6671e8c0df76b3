package bot

import (
	"context"
	"time"
)

// Billing event types: the Stripe events of SPEC §4.5, which the dev
// checkout imitates.
const (
	EventCheckoutCompleted   = "checkout.session.completed"
	EventCheckoutExpired     = "checkout.session.expired"
	EventInvoicePaid         = "invoice.paid"
	EventInvoiceFailed       = "invoice.payment_failed"
	EventSubscriptionUpdated = "customer.subscription.updated"
	EventSubscriptionDeleted = "customer.subscription.deleted"
	EventTrialWillEnd        = "customer.subscription.trial_will_end"
)

// BillingEvent is one payment-provider event, read into what the service
// needs. Fields the event does not carry are zero.
type BillingEvent struct {
	ID      string // provider event id: applied at most once
	Type    string // one of the Event* constants
	Created int64  // unix seconds; an event older than the last one applied to the client changes nothing
	// ClientPhone names the client (metadata.phone, client_reference_id);
	// empty when the event does not say.
	ClientPhone    Phone
	PlanID         uint64 // metadata.plan, 0 if absent
	PriceID        string // provider price of the subscription, "" if absent
	CustomerID     string
	SubscriptionID string
	CheckoutID     string
	// Status is where the event leaves the client's billing, "" when the
	// event does not say (checkout.session.expired).
	Status      ClientStatus
	PeriodStart time.Time // zero when the event carries no period
	PeriodEnd   time.Time
	// TrialEnd is when the subscription's trial ends, zero when it has none.
	TrialEnd time.Time
	// Code is the discount code the checkout was paid with (the dev
	// checkout's), PromotionID Stripe's promotion code id for it.
	Code        string
	PromotionID string
	// Account is the connected account an account.updated event is about,
	// and ChargesEnabled whether it can take payments.
	Account        string
	ChargesEnabled bool
	// List is the keyword of the paid list the event's subscription is
	// for (metadata.list), and Member the phone paying for it
	// (metadata.phone); empty for a client's own plan.
	List   string
	Member Phone
	// SubStatus is the provider's own word for the subscription's status
	// (active, past_due, unpaid, canceled…), "" when the event has none.
	SubStatus string
	// InvoiceID and Amount (minor units paid) of an invoice event.
	InvoiceID string
	Amount    int64
}

// Billing applies payment events to clients; the Stripe webhook and the dev
// checkout call it.
type Billing interface {
	// Apply changes the client the event concerns and queues what the
	// client must be told, all in one transaction. A storage failure is an
	// error (the provider retries); an event for no known client is not.
	Apply(ctx context.Context, ev BillingEvent) error
}

// EventLog remembers which provider events were applied, so that a retried
// delivery changes nothing. store.Tx implements it.
type EventLog interface {
	EventApplied(id string) (bool, error)
	MarkEventApplied(id string, at time.Time) error
}
