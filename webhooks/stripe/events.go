package stripe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"nudges/bot"
)

// The objects below read only the fields the service needs, from where any
// Stripe API version puts them (newer versions moved the period onto
// subscription items and an invoice's subscription under parent).

// ref is an expandable field: an id, or an object with an id.
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*r = ""
		return nil
	case b[0] == '"':
		var s string
		err := json.Unmarshal(b, &s)
		*r = ref(s)
		return err
	}
	var o struct {
		ID string `json:"id"`
	}
	err := json.Unmarshal(b, &o)
	*r = ref(o.ID)
	return err
}

type sessionObject struct {
	ID                string            `json:"id"`
	Mode              string            `json:"mode"`
	PaymentStatus     string            `json:"payment_status"`
	ClientReferenceID string            `json:"client_reference_id"`
	Customer          ref               `json:"customer"`
	Subscription      ref               `json:"subscription"`
	Metadata          map[string]string `json:"metadata"`
	Discounts         []struct {
		PromotionCode ref `json:"promotion_code"`
	} `json:"discounts"`
}

type period struct {
	Start int64 `json:"current_period_start"`
	End   int64 `json:"current_period_end"`
}

type subscriptionObject struct {
	ID       string            `json:"id"`
	Status   string            `json:"status"`
	Customer ref               `json:"customer"`
	Metadata map[string]string `json:"metadata"`
	TrialEnd int64             `json:"trial_end"`
	period
	Items struct {
		Data []struct {
			period
			Price struct {
				ID string `json:"id"`
			} `json:"price"`
		} `json:"data"`
	} `json:"items"`
}

type subscriptionDetails struct {
	Subscription ref               `json:"subscription"`
	Metadata     map[string]string `json:"metadata"`
}

type invoiceObject struct {
	ID                  string               `json:"id"`
	AmountPaid          int64                `json:"amount_paid"`
	Customer            ref                  `json:"customer"`
	Subscription        ref                  `json:"subscription"`
	SubscriptionDetails *subscriptionDetails `json:"subscription_details"`
	Parent              *struct {
		SubscriptionDetails *subscriptionDetails `json:"subscription_details"`
	} `json:"parent"`
	Lines struct {
		Data []struct {
			Period struct {
				Start int64 `json:"start"`
				End   int64 `json:"end"`
			} `json:"period"`
			Price *struct {
				ID string `json:"id"`
			} `json:"price"`
			Pricing *struct {
				PriceDetails *struct {
					Price ref `json:"price"`
				} `json:"price_details"`
			} `json:"pricing"`
		} `json:"data"`
	} `json:"lines"`
}

// billingEvent reads a verified Stripe event; false when the service does
// not act on its type.
func billingEvent(e stripego.Event) (bot.BillingEvent, bool, error) {
	ev := bot.BillingEvent{ID: e.ID, Type: string(e.Type), Created: e.Created}
	if e.Data == nil {
		return ev, false, fmt.Errorf("event %s has no data", e.ID)
	}
	raw := e.Data.Raw
	var ok bool
	var err error
	switch ev.Type {
	case bot.EventCheckoutCompleted, bot.EventCheckoutExpired:
		ok, err = readSession(raw, &ev)
	case bot.EventSubscriptionUpdated, bot.EventSubscriptionDeleted, bot.EventTrialWillEnd:
		ok, err = readSubscription(raw, &ev)
	case bot.EventInvoicePaid, bot.EventInvoiceFailed:
		ok, err = readInvoice(raw, &ev)
	case bot.EventAccountUpdated:
		ok, err = readAccount(raw, &ev)
	}
	if err != nil {
		return ev, false, fmt.Errorf("read %s %s: %w", ev.Type, ev.ID, err)
	}
	if e.Account != "" && ev.List == "" && ev.Type != bot.EventAccountUpdated {
		return ev, false, nil // a connected account's own business, not ours
	}
	return ev, ok, nil
}

// fromMetadata fills the client's phone and plan from metadata, or, for
// a paid list's subscription (metadata.list), the list and the paying
// phone: that phone is a subscriber, never taken for a client.
func fromMetadata(ev *bot.BillingEvent, md map[string]string) {
	if md["list"] != "" {
		ev.List = md["list"]
		if p, err := bot.ParsePhone(md["phone"]); err == nil && md["phone"] != "" {
			ev.Member = p
		}
		return
	}
	if p, err := bot.ParsePhone(md["phone"]); err == nil && md["phone"] != "" {
		ev.ClientPhone = p
	}
	if id, err := strconv.ParseUint(md["plan"], 10, 64); err == nil {
		ev.PlanID = id
	}
}

func readSession(raw []byte, ev *bot.BillingEvent) (bool, error) {
	var s sessionObject
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, err
	}
	if s.Mode != "" && s.Mode != string(stripego.CheckoutSessionModeSubscription) {
		return false, nil
	}
	fromMetadata(ev, s.Metadata)
	if ev.List == "" && ev.ClientPhone == "" && s.ClientReferenceID != "" {
		if p, err := bot.ParsePhone(s.ClientReferenceID); err == nil {
			ev.ClientPhone = p
		}
	}
	ev.CheckoutID, ev.CustomerID, ev.SubscriptionID = s.ID, string(s.Customer), string(s.Subscription)
	for _, d := range s.Discounts {
		if d.PromotionCode != "" {
			ev.PromotionID = string(d.PromotionCode)
		}
	}
	if ev.Type == bot.EventCheckoutCompleted && s.PaymentStatus != "unpaid" {
		ev.Status = bot.ClientActive // "unpaid": an async payment; invoice.paid will say
	}
	return true, nil
}

func readSubscription(raw []byte, ev *bot.BillingEvent) (bool, error) {
	var s subscriptionObject
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, err
	}
	fromMetadata(ev, s.Metadata)
	ev.SubscriptionID, ev.CustomerID = s.ID, string(s.Customer)
	ev.Status, ev.SubStatus = clientStatus(s.Status), s.Status
	if s.Status == "trialing" && s.TrialEnd > 0 {
		ev.TrialEnd = unix(s.TrialEnd)
	}
	if ev.Type == bot.EventSubscriptionDeleted {
		ev.Status = bot.ClientCanceled
	}
	per := s.period
	if len(s.Items.Data) > 0 {
		ev.PriceID = s.Items.Data[0].Price.ID
		if per.End == 0 {
			per = s.Items.Data[0].period
		}
	}
	if per.End > 0 {
		ev.PeriodStart, ev.PeriodEnd = unix(per.Start), unix(per.End)
	}
	return true, nil
}

func readInvoice(raw []byte, ev *bot.BillingEvent) (bool, error) {
	var in invoiceObject
	if err := json.Unmarshal(raw, &in); err != nil {
		return false, err
	}
	sub, details := in.Subscription, in.SubscriptionDetails
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		details = in.Parent.SubscriptionDetails
		if sub == "" {
			sub = details.Subscription
		}
	}
	if sub == "" {
		return false, nil // not a subscription's invoice
	}
	if details != nil {
		fromMetadata(ev, details.Metadata)
	}
	ev.SubscriptionID, ev.CustomerID = string(sub), string(in.Customer)
	ev.InvoiceID, ev.Amount = in.ID, in.AmountPaid
	ev.Status = bot.ClientActive
	if ev.Type == bot.EventInvoiceFailed {
		ev.Status = bot.ClientPastDue
	}
	for _, l := range in.Lines.Data {
		if l.Period.End > ev.PeriodEnd.Unix() {
			ev.PeriodStart, ev.PeriodEnd = unix(l.Period.Start), unix(l.Period.End)
		}
		if l.Price != nil && ev.PriceID == "" {
			ev.PriceID = l.Price.ID
		}
		if l.Pricing != nil && l.Pricing.PriceDetails != nil && ev.PriceID == "" {
			ev.PriceID = string(l.Pricing.PriceDetails.Price)
		}
	}
	return true, nil
}

type accountObject struct {
	ID             string            `json:"id"`
	ChargesEnabled bool              `json:"charges_enabled"`
	Metadata       map[string]string `json:"metadata"`
}

// readAccount reads account.updated: which connected account, whose (the
// metadata ConnectAccount set), and whether it can take payments.
func readAccount(raw []byte, ev *bot.BillingEvent) (bool, error) {
	var a accountObject
	if err := json.Unmarshal(raw, &a); err != nil {
		return false, err
	}
	if a.ID == "" {
		return false, nil
	}
	fromMetadata(ev, a.Metadata)
	ev.Account, ev.ChargesEnabled = a.ID, a.ChargesEnabled
	return true, nil
}

// clientStatus maps a Stripe subscription status to the client's.
func clientStatus(s string) bot.ClientStatus {
	switch s {
	case "active", "trialing":
		return bot.ClientActive
	case "past_due", "unpaid", "paused":
		return bot.ClientPastDue
	case "canceled", "incomplete_expired":
		return bot.ClientCanceled
	case "incomplete":
		return bot.ClientPending
	}
	return ""
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }
