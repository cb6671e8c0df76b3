package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/api"
)

// noCreate are the states that read Settings but may not add keys,
// endpoints or test events.
var noCreate = []bot.ClientStatus{bot.ClientSuspended, bot.ClientCanceled}

// keyOf makes an API key of owner's for the wall table.
func keyOf(h *harness, owner bot.Phone) map[string]string {
	_, k, err := bot.CreateAPIKey(h.db, h.clock.Now(), owner, "", "wall")
	if err != nil {
		h.t.Fatal(err)
	}
	return map[string]string{"id": k.ID}
}

var newKey = regexp.MustCompile(`<code id="new-key">(nk_[A-Za-z0-9_-]+)</code>`)

// makeKey makes a key named name from b's Settings › API keys and returns it.
func makeKey(t *testing.T, b *browser, name string) string {
	t.Helper()
	r := b.post("/app/settings/keys", "/app/settings/keys", url.Values{"name": {name}})
	m := newKey.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("make key: %d\n%s", r.Status, r.Body)
	}
	return m[1]
}

// storedKeys are p's keys as stored.
func storedKeys(t *testing.T, h *harness, p bot.Phone) []bot.APIKey {
	t.Helper()
	keys, err := bot.APIKeysOf(h.db, p)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A key made in the dashboard is on the answer to the POST, marked
// no-store, and nowhere after: the list shows its hint, and the store
// keeps its SHA-256, not the key.
func TestKeyShownOnceStoredHashed(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	if r := b.get("/app/settings/keys"); r.Status != http.StatusOK || !strings.Contains(r.Body, "No keys yet") {
		t.Fatalf("keys page: %d\n%s", r.Status, r.Body)
	}
	tok := b.post("/app/settings/keys", "/app/settings/keys", url.Values{"name": {"Website form"}})
	key := newKey.FindStringSubmatch(tok.Body)
	if key == nil {
		t.Fatalf("no key on the answer: %d\n%s", tok.Status, tok.Body)
	}
	keys := storedKeys(t, h, phoneA)
	if len(keys) != 1 || keys[0].Hash != bot.HashAPIKey(key[1]) || keys[0].Name != "Website form" || keys[0].Client != phoneA {
		t.Fatalf("stored: %+v", keys)
	}
	raw, _ := json.Marshal(keys[0])
	if strings.Contains(string(raw), key[1]) {
		t.Fatalf("the stored record holds the key itself: %s", raw)
	}
	again := b.get("/app/settings/keys")
	if strings.Contains(again.Body, key[1]) {
		t.Fatal("the key is shown again after its POST")
	}
	mustContain(t, again.Body, keys[0].Hint, "Website form", "2026-03-30", "never", "/app/settings/keys/"+keys[0].ID+"/revoke")
	if storedKeys(t, h, phoneB) != nil {
		t.Fatal("A's key listed under B")
	}
}

// The answer that shows a key must not be cached.
func TestKeyAnswerNotCached(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	form := url.Values{"name": {"x"}, "_csrf": {b.token("/app/settings/keys")}}
	req := httptest.NewRequest(http.MethodPost, "/app/settings/keys", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "no-store") {
		t.Fatalf("%d Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
}

// apiGet calls the API in-process with key as the bearer token.
func apiGet(t *testing.T, e *echo.Echo, key, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// A key made in A's dashboard lists A's subscribers through the API and
// never B's; its use shows as "last used"; revoked, it stops working.
func TestDashboardKeyActsOnOwnListOnly(t *testing.T) {
	h := newHarness(t)
	h.write(func(tx *store.Tx) error {
		for kw, p := range map[string]bot.Phone{"YOGA": "+15557770001", "GYM": "+15557770002"} {
			if _, err := tx.Subscribe(kw, p, t0); err != nil {
				return err
			}
		}
		return nil
	})
	e := echo.New()
	api.New(api.Config{Store: h.db, Clock: h.clock}).Register(e)
	b := h.signedIn(phoneA)
	key := makeKey(t, b, "CRM")
	st, body := apiGet(t, e, key, "/api/v1/subscribers")
	if st != http.StatusOK || !strings.Contains(body, "+15557770001") || strings.Contains(body, "+15557770002") {
		t.Fatalf("A's key lists: %d %s", st, body)
	}
	if st, body := apiGet(t, e, key, "/api/v1/subscribers?list=GYM"); st == http.StatusOK || strings.Contains(body, "+15557770002") {
		t.Fatalf("A's key reads B's list: %d %s", st, body)
	}
	if st, _ := apiGet(t, e, key, "/api/v1/subscribers/+15557770002"); st != http.StatusNotFound {
		t.Fatalf("A's key gets B's subscriber: %d", st)
	}
	page := b.get("/app/settings/keys").Body
	if strings.Contains(page, ">never<") || !strings.Contains(page, h.clock.Now().UTC().Format("2006-01-02 15:04")) {
		t.Fatalf("last use not shown:\n%s", page)
	}
	id := storedKeys(t, h, phoneA)[0].ID
	if r := b.post("/app/settings/keys", "/app/settings/keys/"+id+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	mustContain(t, b.get("/app/settings/keys").Body, "The key is revoked", "revoked 2026-03-30")
	h.clock.Advance(2 * time.Minute)
	if st, _ := apiGet(t, e, key, "/api/v1/subscribers"); st != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d", st)
	}
}

// A's session cannot revoke B's key (404), and B's key keeps working.
func TestKeyRevokeIsWalled(t *testing.T) {
	h := newHarness(t)
	bKey := makeKey(t, h.signedIn(phoneB), "B's")
	id := storedKeys(t, h, phoneB)[0].ID
	a := h.signedIn(phoneA)
	if r := a.post("/app/settings/keys", "/app/settings/keys/"+id+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Fatalf("A revokes B's key: %d", r.Status)
	}
	if strings.Contains(a.get("/app/settings/keys").Body, id) {
		t.Fatal("A's page lists B's key")
	}
	if k, err := bot.Authenticate(h.db, h.clock.Now(), bKey); err != nil || k == nil {
		t.Fatalf("B's key after A's try: %v %v", k, err)
	}
}

// A name past 100 characters, or not UTF-8, is refused with a reason and
// makes no key; past 20 live keys, making one is refused.
func TestKeyBadInput(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	for _, name := range []string{strings.Repeat("n", 2048), "bad \xff utf-8"} {
		r := b.post("/app/settings/keys", "/app/settings/keys", url.Values{"name": {name}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "at most 100 characters") || newKey.MatchString(r.Body) {
			t.Errorf("name %.20q: %d", name, r.Status)
		}
	}
	if n := len(storedKeys(t, h, phoneA)); n != 0 {
		t.Fatalf("%d keys made from bad names", n)
	}
	for range maxLiveKeys {
		makeKey(t, b, "many")
	}
	r := b.post("/app/settings/keys", "/app/settings/keys", url.Values{"name": {"one more"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "revoke one") {
		t.Fatalf("key %d: %d", maxLiveKeys+1, r.Status)
	}
}

// A suspended client sees its keys and may revoke them, but not make one.
func TestSuspendedClientReadsKeysButCannotMakeOne(t *testing.T) {
	h := newHarness(t)
	keyOf(h, phoneSusp)
	b := h.signedIn(phoneSusp)
	if r := b.get("/app/settings/keys"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Revoke") {
		t.Fatalf("page: %d", r.Status)
	}
	r := b.post("/app/settings/keys", "/app/settings/keys", url.Values{"name": {"x"}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "suspended") {
		t.Fatalf("make while suspended: %d %s", r.Status, r.Body)
	}
	keys := storedKeys(t, h, phoneSusp)
	if len(keys) != 1 {
		t.Fatalf("%d keys", len(keys))
	}
	if r := b.post("/app/settings/keys", "/app/settings/keys/"+keys[0].ID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke while suspended: %d", r.Status)
	}
}

// A key's name is text on the page, never markup.
func TestKeyNameEscaped(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	makeKey(t, b, `<script>alert(1)</script>`)
	page := b.get("/app/settings/keys").Body
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("name not escaped:\n%s", page)
	}
}
