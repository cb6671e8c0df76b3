package admin

import (
	"net/http"
	"strings"
	"testing"

	"nudges/bot"
)

// TestDevLoginWithoutAdminPhonesSaysWhatToSet: in dev mode with no
// NUDGES_ADMIN_PHONES, the login page and the answer to a phone say exactly
// what to set instead of promising a code that never comes; with Twilio
// (not dev mode) the answer stays the same for every phone.
func TestDevLoginWithoutAdminPhonesSaysWhatToSet(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AdminPhones = nil })
	_, _, page := h.get("/admin/login")
	mustContain(t, page, "NUDGES_ADMIN_PHONES=+15550100000 go run .")
	st, body := h.requestCode(adminPhone)
	if st != http.StatusOK {
		t.Fatalf("request code: %d", st)
	}
	mustContain(t, body, "NUDGES_ADMIN_PHONES="+string(adminPhone)+" go run .")
	if strings.Contains(body, "on its way") {
		t.Errorf("dev mode with no admin phone promises a code: %s", body)
	}

	prod := newHarness(t, func(c *Config) { c.AdminPhones, c.DevMode = nil, false })
	_, _, page = prod.get("/admin/login")
	_, body = prod.requestCode(adminPhone)
	if strings.Contains(page+body, "NUDGES_ADMIN_PHONES") || !strings.Contains(body, "on its way") {
		t.Errorf("outside dev mode the login pages tell who may log in:\n%s\n%s", page, body)
	}
}

// TestDevLoginSaysWhereTheCodeIs: in dev mode an admin's code is in the
// server log, and the pages say so; a phone that is no admin is told it
// is not in NUDGES_ADMIN_PHONES.
func TestDevLoginSaysWhereTheCodeIs(t *testing.T) {
	h := newHarness(t)
	_, _, page := h.get("/admin/login")
	mustContain(t, page, "printed in the server log")
	_, body := h.requestCode(adminPhone)
	mustContain(t, body, "printed in the server log")
	_, body = h.requestCode(bot.Phone("+15550107777"))
	mustContain(t, body, "+15550107777 is not in NUDGES_ADMIN_PHONES")
}
