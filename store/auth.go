package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"nudges/bot"
)

// The console's login state lives in bucket "auth", one key prefix per kind:
//
//	secret            → 32 random bytes, the install's key for hashing codes
//	otp \0 phone \0 address → the OTP flow's record of one requesting
//	                    address for one phone (JSON, owned by the caller)
//	sess \0 tokenhash → Session
//	rl \0 key         → rateWindow (a fixed-window counter)
//	                    Client.ResumeStatus existed had; read on resume only
var (
	authSecretKey = []byte("secret")
	prefixOTP     = "otp"
	prefixSession = "sess"
	prefixRate    = "rl"
)

// Session is one signed-in console session, stored under the hash of its
// cookie token (the token itself is never stored).
type Session struct {
	Phone     bot.Phone `json:"phone"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

type rateWindow struct {
	Start time.Time `json:"start"`
	Count int       `json:"count"`
}

// AuthSecret returns the install's secret for keyed hashes, creating it on
// first use (which needs a write transaction).
func (t *Tx) AuthSecret() ([]byte, error) {
	b := t.b(bAuth)
	if v := b.Get(authSecretKey); v != nil {
		return append([]byte(nil), v...), nil
	}
	if !t.tx.Writable() {
		return nil, errors.New("auth secret not created yet")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("make auth secret: %w", err)
	}
	if err := b.Put(authSecretKey, secret); err != nil {
		return nil, fmt.Errorf("save auth secret: %w", err)
	}
	return secret, nil
}

// OTPRecord decodes the login record of p's codes asked for from addr
// into v; false if there is none.
func (t *Tx) OTPRecord(p bot.Phone, addr string, v any) (bool, error) {
	return t.getJSON(bAuth, pair(prefixOTP, string(pair(string(p), addr))), v)
}

// PutOTPRecord stores the login record of p's codes asked for from addr.
func (t *Tx) PutOTPRecord(p bot.Phone, addr string, v any) error {
	return t.putJSON(bAuth, pair(prefixOTP, string(pair(string(p), addr))), v)
}

// Session returns the session stored under tokenHash, or nil.
func (t *Tx) Session(tokenHash string) (*Session, error) {
	s := &Session{}
	ok, err := t.getJSON(bAuth, pair(prefixSession, tokenHash), s)
	if !ok || err != nil {
		return nil, err
	}
	return s, nil
}

// PutSession stores s under tokenHash.
func (t *Tx) PutSession(tokenHash string, s Session) error {
	return t.putJSON(bAuth, pair(prefixSession, tokenHash), s)
}

// DeleteSession ends the session stored under tokenHash.
func (t *Tx) DeleteSession(tokenHash string) error {
	return t.b(bAuth).Delete(pair(prefixSession, tokenHash))
}

// PruneSessions deletes sessions expired at now and returns how many.
func (t *Tx) PruneSessions(now time.Time) (int, error) {
	prefix := pair(prefixSession, "")
	var dead [][]byte
	cur := t.b(bAuth).Cursor()
	for k, v := cur.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = cur.Next() {
		var s Session
		if err := jsonDecode(v, &s); err != nil {
			return 0, fmt.Errorf("decode session: %w", err)
		}
		if !now.Before(s.ExpiresAt) {
			dead = append(dead, append([]byte(nil), k...))
		}
	}
	for _, k := range dead {
		if err := t.b(bAuth).Delete(k); err != nil {
			return 0, fmt.Errorf("delete session: %w", err)
		}
	}
	return len(dead), nil
}

// CountHit adds one hit to the fixed-window counter key (a window starts at
// its first hit and lasts window) and returns the hits in the window so far.
func (t *Tx) CountHit(key string, now time.Time, window time.Duration) (int, error) {
	k := pair(prefixRate, key)
	var w rateWindow
	if _, err := t.getJSON(bAuth, k, &w); err != nil {
		return 0, err
	}
	if w.Start.IsZero() || !now.Before(w.Start.Add(window)) {
		w = rateWindow{Start: now}
	}
	w.Count++
	if err := t.putJSON(bAuth, k, w); err != nil {
		return 0, fmt.Errorf("count hit: %w", err)
	}
	return w.Count, nil
}

// Hits returns the hits counted for key in its current window.
func (t *Tx) Hits(key string, now time.Time, window time.Duration) (int, error) {
	var w rateWindow
	ok, err := t.getJSON(bAuth, pair(prefixRate, key), &w)
	if !ok || err != nil || !now.Before(w.Start.Add(window)) {
		return 0, err
	}
	return w.Count, nil
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}
