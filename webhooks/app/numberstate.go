package app

import (
	"nudges/bot"
)

// numberView is where a client's number stands, in words for its pages.
type numberView struct {
	Number string // formatted, "" while none is bought
	Kind   string // "shared", "local", "toll-free"
	State  string // e.g. "ready", "waiting for verification since Jan 2, 2026"
	Ready  bool
	Next   string // what to do next, "" when nothing
}

// numberOf describes c's number: its own (§11) or the service number its
// subscribers text.
func (d *Dashboard) numberOf(c *bot.Client) numberView {
	own := c.Own
	if own == nil || own.State == bot.NumberReleased {
		return numberView{Number: bot.FormatNumber(bot.Phone(d.cfg.Number(c))), Kind: "shared", State: "ready", Ready: true,
			Next: "Your list texts from the service number, shared with other lists."}
	}
	v := numberView{Number: bot.FormatNumber(own.Phone), Kind: string(own.Kind), State: string(own.State), Ready: own.Ready()}
	since := own.Since.Format("Jan 2, 2006")
	switch own.State {
	case bot.NumberProvisioning:
		v.State, v.Next = "being set up", "Nothing to do: we are getting your number. Until it is ready your list texts from the service number."
	case bot.NumberVerifying:
		v.State = "waiting for verification since " + since
		v.Next = "Until it is verified your list texts from the service number."
		if own.Kind == bot.NumberLocal {
			v.Next = "Our team registers local numbers with the carriers; until then your list texts from the service number."
		}
		if own.Kind == bot.NumberTollFree && own.VerificationSID == "" {
			v.State, v.Next = "waiting for your registration since "+since, "Fill in the registration form on the Number page."
		}
	case bot.NumberRejected:
		v.State = "rejected by carriers"
		if own.Reason != "" {
			v.State += ": " + own.Reason
		}
		v.Next = "Correct the registration on the Number page and send it again."
		if own.Kind == bot.NumberLocal {
			v.Next = "Our team will contact you about the registration."
		}
	case bot.NumberReady:
		v.State, v.Next = "ready", "Share it: subscribers text JOIN to it."
	}
	return v
}
