package bot_test

import (
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// A key is shown once, kept only as its hash, works until revoked, and a
// client revokes only its own keys.
func TestAPIKeyLifecycle(t *testing.T) {
	db := importDB(t)
	token, k, err := bot.CreateAPIKey(db, importNow, "+15550009999", "", "website")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "nk_") || len(token) < 30 || k.Hash != bot.HashAPIKey(token) {
		t.Fatalf("token %q, key %+v", token, k)
	}
	err = db.Read(func(tx *store.Tx) error {
		got, err := tx.APIKey(k.ID)
		if err == nil && (got == nil || strings.Contains(got.Hash+got.Hint, token[7:])) {
			t.Errorf("stored key %+v holds the secret", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bot.Authenticate(db, importNow, token)
	if err != nil || got == nil || got.ID != k.ID || got.IsAdmin() {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	if got, _ := bot.Authenticate(db, importNow, token+"x"); got != nil {
		t.Error("a wrong key authenticated")
	}
	if err := bot.RevokeAPIKey(db, importNow, k.ID, "+15550008888"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("another client revoked the key: %v", err)
	}
	if err := bot.RevokeAPIKey(db, importNow, k.ID, "+15550009999"); err != nil {
		t.Fatal(err)
	}
	if got, _ := bot.Authenticate(db, importNow, token); got != nil {
		t.Error("a revoked key still works")
	}
	keys, _ := bot.APIKeysOf(db, "+15550009999")
	if len(keys) != 1 || keys[0].Revoked.IsZero() {
		t.Errorf("keys %+v", keys)
	}
}

// LastUsed is written at most once a minute, not once a request.
func TestAPIKeyLastUsedAtMostOnceAMinute(t *testing.T) {
	db := importDB(t)
	token, k, err := bot.CreateAPIKey(db, importNow, "", "+15550000001", "")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		keys, _ := bot.APIKeysOf(db, "")
		return keys[0].LastUsed
	}
	for _, d := range []time.Duration{0, 30 * time.Second, 59 * time.Second} {
		bot.Authenticate(db, importNow.Add(d), token)
	}
	if got := lastUsed(); !got.Equal(importNow) {
		t.Errorf("last used %v, want %v (first use only)", got, importNow)
	}
	bot.Authenticate(db, importNow.Add(61*time.Second), token)
	if got := lastUsed(); !got.Equal(importNow.Add(61 * time.Second)) {
		t.Errorf("last used %v after a minute", got)
	}
	if !k.IsAdmin() {
		t.Error("an admin's key is not an admin key")
	}
}

// Bad requests for a key are refused with EINVALID or ENOTFOUND.
func TestAPIKeyRefusals(t *testing.T) {
	db := importDB(t)
	for _, c := range []struct {
		client, admin bot.Phone
		name, code    string
	}{
		{"", "", "x", bot.EINVALID},
		{"+15550009999", "+15550000001", "x", bot.EINVALID},
		{"+15550009999", "", strings.Repeat("é", 101), bot.EINVALID},
		{"+15550009999", "", "bad\xff", bot.EINVALID},
		{"+15550007777", "", "no such client", bot.ENOTFOUND},
	} {
		if _, _, err := bot.CreateAPIKey(db, importNow, c.client, c.admin, c.name); bot.ErrorCode(err) != c.code {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
