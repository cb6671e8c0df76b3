package stripe

import (
	"context"
	"fmt"
	"strings"

	stripego "github.com/stripe/stripe-go/v76"

	"nudges/bot"
)

// The Stripe Connect calls paid lists need, checked against stripe-mock.
// ConnectAccount and OnboardingLink serve /connect/{token} (PAYOUTS);
// ListCheckout and MemberPortal the /p/{token} links of a paid list;
// CancelPaid the leader's bot.PaidCanceler.

// ConnectAccount creates the connected account a client is paid through:
// Stripe collects the requirements, the client uses the Express dashboard,
// and the platform pays Stripe's fees and bears losses; it can take card
// payments and receive transfers. The idempotency key makes a second call
// for the same client (a double tap) return the same account for a day.
func (a *API) ConnectAccount(ctx context.Context, c *bot.Client) (string, error) {
	params := &stripego.AccountParams{
		Controller: &stripego.AccountControllerParams{
			RequirementCollection: stripego.String("stripe"),
			StripeDashboard:       &stripego.AccountControllerStripeDashboardParams{Type: stripego.String("express")},
			Fees:                  &stripego.AccountControllerFeesParams{Payer: stripego.String("application")},
			Losses:                &stripego.AccountControllerLossesParams{Payments: stripego.String("application")},
		},
		Capabilities: &stripego.AccountCapabilitiesParams{
			CardPayments: &stripego.AccountCapabilitiesCardPaymentsParams{Requested: stripego.Bool(true)},
			Transfers:    &stripego.AccountCapabilitiesTransfersParams{Requested: stripego.Bool(true)},
		},
		BusinessProfile: &stripego.AccountBusinessProfileParams{Name: stripego.String(c.Name)},
	}
	params.Context = ctx
	params.SetIdempotencyKey("connect-account-" + strings.TrimPrefix(string(c.Phone), "+"))
	params.AddMetadata("phone", string(c.Phone))
	params.AddMetadata("keyword", c.Keyword)
	acct, err := a.sc.Accounts.New(params)
	if err != nil {
		return "", fmt.Errorf("create connected account for %s: %w", c.Phone, err)
	}
	return acct.ID, nil
}

// OnboardingLink makes a fresh Account Link (single use, minutes long) to
// Stripe's onboarding for account; back is where Stripe returns the client
// to, when done and when the link went stale.
func (a *API) OnboardingLink(ctx context.Context, account, back string) (string, error) {
	params := &stripego.AccountLinkParams{
		Account:    stripego.String(account),
		Type:       stripego.String("account_onboarding"),
		RefreshURL: stripego.String(back),
		ReturnURL:  stripego.String(back),
	}
	params.Context = ctx
	l, err := a.sc.AccountLinks.New(params)
	if err != nil {
		return "", fmt.Errorf("create account link for %s: %w", account, err)
	}
	return l.URL, nil
}

// ListJoin is one phone paying to join a client's paid list.
type ListJoin struct {
	Name, Keyword string // the list's client
	Account       string // the client's connected account
	Phone         bot.Phone
	PriceMinor    int64 // a month, in Currency
	Currency      string
	FeePercent    float64 // the platform's application fee
	Base          string  // the payment link, {NUDGES_PUBLIC_URL}/p/{token}
}

// ListCheckout creates the Checkout Session of a paid list: a monthly
// subscription whose payments go to the client's connected account
// (destination charges) less the platform's fee percent. Its metadata,
// and the subscription's, name the list and the phone.
func (a *API) ListCheckout(ctx context.Context, j ListJoin) (id, url string, err error) {
	md := map[string]string{"list": j.Keyword, "phone": string(j.Phone)}
	params := &stripego.CheckoutSessionParams{
		Mode: stripego.String(string(stripego.CheckoutSessionModeSubscription)),
		LineItems: []*stripego.CheckoutSessionLineItemParams{{
			Quantity: stripego.Int64(1),
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripego.String(j.Currency),
				UnitAmount:  stripego.Int64(j.PriceMinor),
				Recurring:   &stripego.CheckoutSessionLineItemPriceDataRecurringParams{Interval: stripego.String("month")},
				ProductData: &stripego.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripego.String(j.Name + " (" + j.Keyword + ")")},
			},
		}},
		SubscriptionData: &stripego.CheckoutSessionSubscriptionDataParams{
			Metadata:              md,
			ApplicationFeePercent: stripego.Float64(j.FeePercent),
			TransferData:          &stripego.CheckoutSessionSubscriptionDataTransferDataParams{Destination: stripego.String(j.Account)},
		},
		SuccessURL: stripego.String(j.Base + "/done"),
		CancelURL:  stripego.String(j.Base + "/canceled"),
	}
	params.Context = ctx
	for k, v := range md {
		params.AddMetadata(k, v)
	}
	s, err := a.sc.CheckoutSessions.New(params)
	if err != nil {
		return "", "", fmt.Errorf("create list checkout for %s on %s: %w", j.Phone, j.Keyword, err)
	}
	return s.ID, s.URL, nil
}

var _ bot.PaidCanceller = (*API)(nil)

// CancelPaid implements bot.PaidCanceller: sub stops renewing at the end
// of its period. A list's subscription is a destination charge, made by
// the platform's Checkout Session, so it lives on the platform's account,
// not on account (the client's, which only receives the transfers). The
// update is idempotent, and so is a second call after a crash.
func (a *API) CancelPaid(ctx context.Context, sub, account string) error {
	params := &stripego.SubscriptionParams{CancelAtPeriodEnd: stripego.Bool(true)}
	params.Context = ctx
	params.SetIdempotencyKey("cancel-at-period-end-" + sub)
	params.AddMetadata("canceled_by", "subscriber")
	if _, err := a.sc.Subscriptions.Update(sub, params); err != nil {
		return fmt.Errorf("cancel %s (paid to %s) at period end: %w", sub, account, err)
	}
	return nil
}

// MemberPortal creates a Billing Portal session where a paying member
// updates its card, and returns its URL; back is where it returns to.
func (a *API) MemberPortal(ctx context.Context, customer, back string, spanish bool) (string, error) {
	params := &stripego.BillingPortalSessionParams{Customer: stripego.String(customer), ReturnURL: stripego.String(back)}
	params.Context = ctx
	if spanish {
		params.Locale = stripego.String("es")
	}
	s, err := a.sc.BillingPortalSessions.New(params)
	if err != nil {
		return "", fmt.Errorf("create billing portal session for %s: %w", customer, err)
	}
	return s.URL, nil
}
