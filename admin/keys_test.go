package admin

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"nudges/bot"
)

var newKeyRE = regexp.MustCompile(`<code id="new-key">(nk_[A-Za-z0-9_-]+)</code>`)

// An admin makes a key on /admin/keys, sees it once, and revokes it; the
// key works in between and not after.
func TestAdminKeys(t *testing.T) {
	h := newHarness(t)
	h.login()
	if st, _, body := h.get("/admin/keys"); st != http.StatusOK || !strings.Contains(body, "No API keys yet") {
		t.Fatalf("keys page: %d", st)
	}
	st, _, body := h.post("/admin/keys", url.Values{"name": {"CRM sync"}})
	m := newKeyRE.FindStringSubmatch(body)
	if st != http.StatusOK || m == nil {
		t.Fatalf("make a key: %d %s", st, body)
	}
	token := m[1]
	k, err := bot.Authenticate(h.db, t0, token)
	if err != nil || k == nil || !k.IsAdmin() || k.Admin != adminPhone || k.Name != "CRM sync" {
		t.Fatalf("the new key: %+v %v", k, err)
	}
	_, _, body = h.get("/admin/keys")
	if strings.Contains(body, token) || !strings.Contains(body, "CRM sync") || !strings.Contains(body, k.ID) {
		t.Errorf("the list shows the key again or lacks it:\n%s", body)
	}
	if st, _, _ := h.post("/admin/keys/revoke", url.Values{"id": {k.ID}}); st != http.StatusOK {
		t.Errorf("revoke: %d", st)
	}
	if k, _ := bot.Authenticate(h.db, t0, token); k != nil {
		t.Error("a revoked key still works")
	}
	if _, _, body := h.get("/admin/keys"); !strings.Contains(body, "revoked") {
		t.Error("the list does not say the key is revoked")
	}
}

// Without a session or a CSRF token nothing is made or revoked; bad
// input is refused with a message, not a 500.
func TestAdminKeysGuarded(t *testing.T) {
	h := newHarness(t)
	if st, _, _ := h.get("/admin/keys"); st != http.StatusSeeOther {
		t.Errorf("keys page without a session: %d", st)
	}
	h.get("/admin/login")
	if st, _, _ := h.post("/admin/keys", url.Values{"name": {"x"}}); st != http.StatusSeeOther && st != http.StatusForbidden {
		t.Errorf("make a key without a session: %d", st)
	}
	h.login()
	if st, _, _ := h.post("/admin/keys", url.Values{"name": {"x"}, "_csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("make a key with a forged CSRF token: %d", st)
	}
	keys, _ := bot.APIKeysOf(h.db, "")
	if len(keys) != 0 {
		t.Fatalf("keys made without a session or token: %+v", keys)
	}
	h.get("/admin/keys")
	if st, _, body := h.post("/admin/keys", url.Values{"name": {strings.Repeat("é", 101)}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 100") {
		t.Errorf("long name: %d", st)
	}
	h.get("/admin/keys")
	if st, _, _ := h.post("/admin/keys", url.Values{"name": {"bad \xff"}}); st != http.StatusUnprocessableEntity {
		t.Errorf("invalid UTF-8 name: %d", st)
	}
	h.get("/admin/keys")
	for _, id := range []string{"key_nope", "", strings.Repeat("k", 2048), "🙂"} {
		if st, _, _ := h.post("/admin/keys/revoke", url.Values{"id": {id}}); st != http.StatusNotFound {
			t.Errorf("revoke %.20q: %d", id, st)
		}
	}
	h.get("/admin/keys")
	if st, _, _ := h.post("/admin/keys/revoke", url.Values{"id": {"x"}, "_csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("revoke with a forged CSRF token: %d", st)
	}
}
