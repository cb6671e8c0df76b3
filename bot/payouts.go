package bot

import "time"

// EventAccountUpdated is Stripe Connect's event for a connected account
// whose standing changed (charges enabled, requirements due).
const EventAccountUpdated = "account.updated"

// ConnectLinkTTL is how long a /connect/{token} link works. Stripe's own
// onboarding links last minutes; ours makes a fresh one on every visit, so
// it may last long enough to finish identity checks over a few days.
const ConnectLinkTTL = 7 * 24 * time.Hour

// Payouts is where a client stands with the connected account its paid
// list is paid through.
type Payouts struct {
	// Account is the client's connected account, made once by the first
	// visit to its connect link.
	Account string `json:"account,omitempty"`
	// ChargesEnabled: the account can take payments (account.updated said
	// so), and the list may have a price.
	ChargesEnabled bool `json:"charges_enabled,omitempty"`
	// EventAt is when the last account.updated applied was created (unix
	// seconds): an older one arriving late changes nothing.
	EventAt int64 `json:"event_at,omitempty"`
	// Price is what joining the client's list costs a month, in minor
	// units of its plan's currency (PRICE); 0: the list is free.
	Price int64 `json:"price,omitempty"`
	// Link is the client's live connect link (PAYOUTS).
	Link BillLink `json:"link,omitzero"`
	// Joins are the open payment links of phones joining the paid list.
	Joins []PaidJoin `json:"joins,omitempty"`
	// Month ("2006-01", UTC) and Revenue: what members paid that month,
	// in minor units (invoice.paid of the list's subscriptions).
	Month   string `json:"month,omitempty"`
	Revenue int64  `json:"revenue,omitempty"`
}

// NewConnectLink gives c a fresh connect link made of secret, valid for
// ConnectLinkTTL from now, and returns the token its URL carries.
func (c *Client) NewConnectLink(secret string, now time.Time) string {
	c.Payouts.Link = BillLink{Token: secret, Expires: now.Add(ConnectLinkTTL)}
	return c.PayToken + billSep + secret
}

// ConnectLinkValid reports whether secret is c's live connect link at now.
func (c *Client) ConnectLinkValid(secret string, now time.Time) bool {
	l := c.Payouts.Link
	return l.Token != "" && secretEqual(secret, l.Token) && now.Before(l.Expires)
}
