package bot

import "time"

// PaidJoinTTL is how long the payment link of a paid list's join works.
const PaidJoinTTL = 24 * time.Hour

// maxPaidJoins bounds the payment links a client keeps open: past it, the
// oldest is dropped (its phone can text the keyword again).
const maxPaidJoins = 200

// PaidJoin is one phone's open payment link to join a client's paid list.
type PaidJoin struct {
	Secret  string    `json:"secret"`
	Phone   Phone     `json:"phone"`
	Expires time.Time `json:"expires"`
	// Customer, when set, makes the link a card update of a member's
	// subscription (the provider's billing portal for that customer)
	// rather than a checkout.
	Customer string `json:"customer,omitempty"`
}

// NewPaidJoin gives p a payment link to c's list made of secret, valid for
// PaidJoinTTL from now, replacing p's earlier one; expired links are
// dropped. It returns the token the link's URL carries.
func (c *Client) NewPaidJoin(p Phone, secret string, now time.Time) string {
	return c.AddPaidJoin(PaidJoin{Phone: p, Secret: secret}, now)
}

// AddPaidJoin is NewPaidJoin of j (Phone, Secret and Customer set).
func (c *Client) AddPaidJoin(j PaidJoin, now time.Time) string {
	kept := c.Payouts.Joins[:0]
	for _, k := range c.Payouts.Joins {
		if k.Phone != j.Phone && now.Before(k.Expires) {
			kept = append(kept, k)
		}
	}
	if len(kept) >= maxPaidJoins {
		kept = kept[len(kept)-maxPaidJoins+1:]
	}
	j.Expires = now.Add(PaidJoinTTL)
	c.Payouts.Joins = append(kept, j)
	return c.PayToken + billSep + j.Secret
}

// PaidJoinOf is the phone whose live payment link secret is, "" if none.
func (c *Client) PaidJoinOf(secret string, now time.Time) Phone {
	return c.PaidLink(secret, now).Phone
}

// PaidLink is the live payment link secret is, zero if none.
func (c *Client) PaidLink(secret string, now time.Time) PaidJoin {
	var found PaidJoin
	for _, j := range c.Payouts.Joins {
		if secret != "" && secretEqual(secret, j.Secret) && now.Before(j.Expires) {
			found = j
		}
	}
	return found
}
