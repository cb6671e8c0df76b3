package app

import (
	"errors"
	"net/http"
	"strconv"

	"nudges/bot"
	"nudges/flows"
	"nudges/store"
)

// A preview's confirm form carries a one-time token. Sending spends it in
// the store (the API's idempotency answers, under the client's own scope)
// before the announcement is made, and keeps the outcome under it: the
// same form posted again finds the token spent and sends nothing. A crash
// between the two leaves the token spent and nothing sent, never twice.

// onceLen is the length of a confirm token.
const onceLen = 24

// Outcomes kept under a spent token.
const (
	oncePending = http.StatusProcessing // being sent now
	onceRefused = http.StatusUnprocessableEntity
	onceFailed  = http.StatusInternalServerError
)

// onceScope is the idempotency scope of client p's confirm tokens.
func onceScope(p bot.Phone) string { return "app:" + string(p) }

// onceToken reports whether s has a confirm token's shape.
func onceToken(s string) bool {
	if len(s) != onceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// claimOnce spends client p's token; if it was spent already it returns
// the first use's outcome and spends nothing.
func (d *Dashboard) claimOnce(p bot.Phone, token string) (*bot.Answer, error) {
	var first *bot.Answer
	err := d.db.Write(func(tx *store.Tx) error {
		var err error
		if first, err = tx.Answer(onceScope(p), token); err != nil || first != nil {
			return err
		}
		return tx.PutAnswer(onceScope(p), token, bot.Answer{At: d.cfg.Web.Clock.Now(), Status: oncePending})
	})
	return first, err
}

// settleOnce keeps what the spent token made: the announcement a, or the
// refusal or failure err.
func (d *Dashboard) settleOnce(p bot.Phone, token string, a *flows.Announcement, err error) error {
	out := bot.Answer{At: d.cfg.Web.Clock.Now(), Status: onceFailed}
	var r *flows.Refused
	switch {
	case err == nil:
		out.Status, out.Body = http.StatusCreated, []byte(strconv.FormatUint(a.ID, 10))
	case errors.As(err, &r):
		out.Status, out.Body = onceRefused, []byte(r.Message)
	}
	return d.db.Write(func(tx *store.Tx) error { return tx.PutAnswer(onceScope(p), token, out) })
}
