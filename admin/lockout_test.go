package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Nobody but the admin can lock an admin out: code requests for the admin's
// phone from other addresses (30 s apart, as the resend wait allows) leave
// a fresh address able to get a code and sign in.
func TestOtherAddressesCannotLockAnAdminOut(t *testing.T) {
	h := newHarness(t)
	for i := range 5 {
		h.xff = fmt.Sprintf("203.0.113.%d", i+1)
		if st, _ := h.requestCode(adminPhone); st != http.StatusOK {
			t.Fatalf("request %d from %s: %d", i, h.xff, st)
		}
		h.clock.Advance(31 * time.Second)
	}
	h.xff = "198.51.100.20"
	if st, body := h.requestCode(adminPhone); st != http.StatusOK {
		t.Fatalf("the admin's own request after five from elsewhere: %d\n%s", st, body)
	}
	st, loc, body := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {h.lastCode(adminPhone)}})
	if st != http.StatusSeeOther || loc != "/admin/" {
		t.Fatalf("the admin's code: %d %s", st, body)
	}
}

// One address's requests are capped for a phone, and so are its checks:
// they use up only that address's own code.
func TestLimitsCountPerRequestingAddress(t *testing.T) {
	h := newHarness(t)
	h.xff = "203.0.113.7"
	for i := range 5 {
		if st, _ := h.requestCode(adminPhone); st != http.StatusOK {
			t.Fatalf("request %d: %d", i, st)
		}
		h.clock.Advance(31 * time.Second)
	}
	if st, _ := h.requestCode(adminPhone); st != http.StatusTooManyRequests {
		t.Fatalf("sixth request from one address in an hour: %d, want 429", st)
	}
	// The admin asks from home; the attacker then guesses from its address.
	h.xff = "198.51.100.20"
	h.requestCode(adminPhone)
	code := h.lastCode(adminPhone)
	h.xff = "203.0.113.7"
	for range 6 {
		h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {"000000"}})
	}
	h.xff = "198.51.100.20"
	if st, _, body := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {code}}); st != http.StatusSeeOther {
		t.Fatalf("the admin's code after wrong guesses from elsewhere: %d %s", st, body)
	}
}

// However many addresses ask, the SMS sent to one phone stay bounded.
func TestCodesToOnePhoneAreBounded(t *testing.T) {
	h := newHarness(t)
	for i := range 3 * phoneCodesPerHour {
		h.xff = fmt.Sprintf("203.0.%d.%d", 113+i/200, i%200+1)
		h.requestCode(adminPhone)
		h.clock.Advance(31 * time.Second)
	}
	if n := len(h.otpMessages(adminPhone)); n != phoneCodesPerHour {
		t.Fatalf("%d codes texted to one phone within the hour from %d addresses, want the cap %d", n, 3*phoneCodesPerHour, phoneCodesPerHour)
	}
}

// An address the admin signed in from is past the phone's cap: a flood of
// requests from everywhere else does not lock the admin out there.
func TestKnownAddressIsPastThePhoneCap(t *testing.T) {
	h := newHarness(t)
	h.xff = "198.51.100.20"
	h.login()
	h.post("/admin/logout", nil)
	for i := range phoneCodesPerHour + 5 {
		h.xff = fmt.Sprintf("203.0.113.%d", i+1)
		h.requestCode(adminPhone)
		h.clock.Advance(31 * time.Second)
	}
	h.xff = "192.0.2.55"
	if st, _ := h.requestCode(adminPhone); st != http.StatusTooManyRequests {
		t.Fatalf("a new address past the phone's cap: %d, want 429", st)
	}
	h.xff = "198.51.100.20"
	h.client = newClient()
	h.login()
}
