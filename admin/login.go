package admin

import (
	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

// audience is the console as webkit sees it: cookies nudges_*, under
// /admin, the store keys it always had, and only NUDGES_ADMIN_PHONES may
// sign in.
func (c *Console) audience() webkit.Audience {
	return webkit.Audience{
		Name: "console", Base: "/admin", Cookie: cookiePrefix,
		Limits: webkit.Limits{IPCodesPerHour: ipCodesPerHour, IPChecksPerHour: ipChecksPerHour,
			PhoneCodesPerHour: phoneCodesPerHour, KnownFor: knownFor},
		May:           func(_ *store.Tx, p bot.Phone) (bool, error) { return c.admins[p], nil },
		SentNotice:    "If this phone may use the console, a 6-digit code is on its way. It works for 10 minutes.",
		DevHint:       c.devLoginHint,
		DevCodeNotice: devCodeNotice,
		BigBody:       isUpload,
	}
}

// devLoginHint is what the login page tells a developer in dev mode (no
// Twilio): where the code goes, or what to set when no phone may log in.
func (c *Console) devLoginHint() string {
	if len(c.admins) == 0 {
		return "Dev mode: no admin phone is set, so no login code can be made. Stop the server and start it with " +
			"NUDGES_ADMIN_PHONES=+15550100000 go run . (any phone number), then sign in with that phone."
	}
	return "Dev mode: no SMS is sent; your login code is printed in the server log."
}

// devCodeNotice is the answer to a code request in dev mode: the code is in
// the server log, or the phone is not an admin and what to set.
func devCodeNotice(p bot.Phone, admin bool) string {
	if admin {
		return "Dev mode: your 6-digit code is printed in the server log (not texted). It works for 10 minutes."
	}
	return "Dev mode: " + string(p) + " is not in NUDGES_ADMIN_PHONES, so no code was made. " +
		"Stop the server and start it with NUDGES_ADMIN_PHONES=" + string(p) + " go run . to sign in with it."
}
