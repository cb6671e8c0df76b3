package bot

import (
	"context"
	"crypto/subtle"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// RegisterLinkTTL is how long a REGISTER link works.
const RegisterLinkTTL = 24 * time.Hour

// Registration is what a client tells carriers about itself to verify its
// toll-free number (§11): the form behind a REGISTER link.
type Registration struct {
	BusinessName string // legal business name
	Website      string // https URL
	Street       string
	City         string
	Region       string // state, two letters
	PostalCode   string
	ContactFirst string
	ContactLast  string
	Email        string
	ContactPhone Phone
	UseCase      string // one of UseCases
	Volume       string // one of Volumes: messages a month
	Sample       string // a typical message
	OptIn        string // how people opt in
	OptInImage   string // a page showing the opt-in (the join page)
}

// UseCases are Twilio's toll-free use case categories a client may pick.
var UseCases = []string{"MARKETING", "EVENTS", "CUSTOMER_CARE", "ACCOUNT_NOTIFICATIONS", "DELIVERY_NOTIFICATIONS",
	"PUBLIC_SERVICE_ANNOUNCEMENT", "POLLING_AND_VOTING", "CHARITY_NONPROFIT", "MIXED"}

// Volumes are Twilio's monthly message volume buckets.
var Volumes = []string{"10", "100", "1,000", "10,000", "100,000", "250,000", "500,000", "750,000", "1,000,000"}

// TollFreeVerifier submits a toll-free number's verification to the
// provider and returns its id (Twilio's Tollfree/Verifications).
type TollFreeVerifier interface {
	SubmitVerification(ctx context.Context, n OwnNumber, r Registration) (sid string, err error)
}

// NumberAssigner ties a number the provider account already owns to a
// client's own Messaging Service, as an operator's assignment by hand.
type NumberAssigner interface {
	Assign(ctx context.Context, c Client, p Phone) (OwnNumber, error)
}

// Validate returns an error message for each field that is wrong, by
// field name; none when the registration can be submitted.
func (r *Registration) Validate() map[string]string {
	bad := map[string]string{}
	need := func(field, v string, max int) bool {
		switch {
		case strings.TrimSpace(v) == "":
			bad[field] = "Required."
		case utf8.RuneCountInString(v) > max:
			bad[field] = "Too long."
		default:
			return true
		}
		return false
	}
	need("BusinessName", r.BusinessName, 120)
	if need("Website", r.Website, 200) && !httpsURL(r.Website) {
		bad["Website"] = "Give the full address, like https://example.com."
	}
	need("Street", r.Street, 120)
	need("City", r.City, 80)
	if need("Region", r.Region, 40) && !letters(r.Region, 2) {
		bad["Region"] = "Two letters, like NY."
	}
	if need("PostalCode", r.PostalCode, 40) && !zip(r.PostalCode) {
		bad["PostalCode"] = "Five digits, like 10001."
	}
	need("ContactFirst", r.ContactFirst, 60)
	need("ContactLast", r.ContactLast, 60)
	if need("Email", r.Email, 120) && !email(r.Email) {
		bad["Email"] = "Give an e-mail address, like ana@example.com."
	}
	if r.ContactPhone == "" {
		bad["ContactPhone"] = "Give a phone number, like +15551234567."
	}
	if !oneOf(r.UseCase, UseCases) {
		bad["UseCase"] = "Pick one."
	}
	if !oneOf(r.Volume, Volumes) {
		bad["Volume"] = "Pick one."
	}
	need("Sample", r.Sample, 1000)
	need("OptIn", r.OptIn, 1000)
	if need("OptInImage", r.OptInImage, 300) && !httpsURL(r.OptInImage) {
		bad["OptInImage"] = "Give the full address of a page, like https://example.com/join."
	}
	return bad
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && strings.Contains(u.Host, ".") && u.User == nil
}

func letters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func zip(s string) bool {
	if len(s) != 5 && !(len(s) == 10 && s[5] == '-') {
		return false
	}
	for i, r := range s {
		if i != 5 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func email(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// NewRegisterLink gives n a fresh REGISTER link made of secret, valid for
// RegisterLinkTTL from now, and returns the token its URL carries: the
// client's pay token (which finds it) and the secret.
func (n *OwnNumber) NewRegisterLink(payToken, secret string, now time.Time) string {
	n.Link = BillLink{Token: secret, Expires: now.Add(RegisterLinkTTL)}
	return payToken + billSep + secret
}

// RegisterLinkValid reports whether secret is c's live REGISTER link at
// now, for a toll-free number that can still be submitted.
func (c *Client) RegisterLinkValid(secret string, now time.Time) bool {
	n := c.Own
	if n == nil || n.Kind != NumberTollFree || n.PhoneSID == "" || (n.State != NumberVerifying && n.State != NumberRejected) {
		return false
	}
	l := n.Link
	return l.Token != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(l.Token)) == 1 && now.Before(l.Expires)
}
