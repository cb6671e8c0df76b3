package main

import "strings"

// consoleHint is the start-up line that gets a developer into the console
// in dev mode (no Twilio): the login page and the phone to sign in with,
// whose code this log will show, or what to set when no phone may log in.
// With Twilio it is empty.
func consoleHint(cfg config) string {
	if cfg.twilio() {
		return ""
	}
	login := strings.TrimRight(cfg.PublicURL, "/") + "/admin/login"
	if len(cfg.AdminPhones) == 0 {
		return "console: no admin phone is set, so nobody can sign in: stop and start again with " +
			"NUDGES_ADMIN_PHONES=+15550100000 go run . (any phone), then open " + login
	}
	return "console: open " + login + " and sign in with " + string(cfg.AdminPhones[0]) +
		"; the login code is printed in this log (dev mode texts nothing)"
}
