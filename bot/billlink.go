package bot

import (
	"crypto/subtle"
	"strings"
	"time"
)

// BillLinkTTL is how long a billing link works. Each text that carries one
// (PLAN, BILLING, a failed payment) makes a fresh link and ends the last.
const BillLinkTTL = 24 * time.Hour

// BillLink is a client's one live billing link: a secret of its own and
// when it stops working. The billing link opens the payment provider's
// portal, where the plan can be canceled, so unlike the payment link it is
// short-lived.
type BillLink struct {
	Token   string    `json:"token,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// billSep joins the client's pay token and its billing secret in a link.
const billSep = "."

// NewBillLink gives c a fresh billing link made of secret, valid for
// BillLinkTTL from now, and returns the token its URL carries.
func (c *Client) NewBillLink(secret string, now time.Time) string {
	c.BillLink = BillLink{Token: secret, Expires: now.Add(BillLinkTTL)}
	return c.PayToken + billSep + secret
}

// SplitBillToken splits a billing link's token into the pay token that
// finds the client and the secret that must match its live link.
func SplitBillToken(token string) (pay, secret string) {
	pay, secret, _ = strings.Cut(token, billSep)
	return pay, secret
}

// BillLinkValid reports whether secret is c's live billing link at now.
func (c *Client) BillLinkValid(secret string, now time.Time) bool {
	l := c.BillLink
	return l.Token != "" && secretEqual(secret, l.Token) && now.Before(l.Expires)
}

// secretEqual compares link secrets in constant time.
func secretEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
