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
}

// NewPaidJoin gives p a payment link to c's list made of secret, valid for
// PaidJoinTTL from now, replacing p's earlier one; expired links are
// dropped. It returns the token the link's URL carries.
func (c *Client) NewPaidJoin(p Phone, secret string, now time.Time) string {
	kept := c.Payouts.Joins[:0]
	for _, j := range c.Payouts.Joins {
		if j.Phone != p && now.Before(j.Expires) {
			kept = append(kept, j)
		}
	}
	if len(kept) >= maxPaidJoins {
		kept = kept[len(kept)-maxPaidJoins+1:]
	}
	c.Payouts.Joins = append(kept, PaidJoin{Secret: secret, Phone: p, Expires: now.Add(PaidJoinTTL)})
	return c.PayToken + billSep + secret
}

// PaidJoinOf is the phone whose live payment link secret is, "" if none.
func (c *Client) PaidJoinOf(secret string, now time.Time) Phone {
	var found Phone
	for _, j := range c.Payouts.Joins {
		if secret != "" && secretEqual(secret, j.Secret) && now.Before(j.Expires) {
			found = j.Phone
		}
	}
	return found
}
