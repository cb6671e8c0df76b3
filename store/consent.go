package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"nudges/bot"
)

// Consent ledger buckets:
//
//	consent       seq → ConsentRecord, append-only
//	consent_kw    KEYWORD \0 seq → nothing: a list's records in order
//	consent_phone phone \0 seq → nothing: a phone's records, for an erase
//	suppress      HMAC-SHA256(secret, phone) → nothing: erased phones
var (
	bConsent      = []byte("consent")
	bConsentKw    = []byte("consent_kw")
	bConsentPhone = []byte("consent_phone")
	bSuppress     = []byte("suppress")
	suppressKey   = []byte("suppress_secret") // in bMeta: 32 random bytes
)

var (
	_ bot.ConsentLog   = (*Tx)(nil)
	_ bot.Suppressions = (*Tx)(nil)
)

// AppendConsent implements bot.ConsentLog.
func (t *Tx) AppendConsent(r *bot.ConsentRecord) error {
	seq, err := t.nextID(bConsent)
	if err != nil {
		return err
	}
	r.ID = seq
	if err := t.putJSON(bConsent, itob(seq), r); err != nil {
		return err
	}
	if r.Keyword != "" {
		if err := t.b(bConsentKw).Put(append(pair(r.Keyword, ""), itob(seq)...), nil); err != nil {
			return err
		}
	}
	return t.b(bConsentPhone).Put(append(pair(string(r.Phone), ""), itob(seq)...), nil)
}

// ConsentPage returns up to n records after the one with id after (0: from
// the first), oldest first; with keyword, only that list's records.
func (t *Tx) ConsentPage(keyword string, after uint64, n int) ([]bot.ConsentRecord, error) {
	var out []bot.ConsentRecord
	add := func(v []byte) error {
		var r bot.ConsentRecord
		if err := jsonDecode(v, &r); err != nil {
			return fmt.Errorf("decode consent record: %w", err)
		}
		out = append(out, r)
		return nil
	}
	if keyword == "" {
		cur := t.b(bConsent).Cursor()
		for k, v := cur.Seek(itob(after + 1)); k != nil && len(out) < n; k, v = cur.Next() {
			if err := add(v); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	prefix := pair(keyword, "")
	cur := t.b(bConsentKw).Cursor()
	for k, _ := cur.Seek(append(bytes.Clone(prefix), itob(after+1)...)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, _ = cur.Next() {
		v := t.b(bConsent).Get(k[len(prefix):])
		if v == nil {
			return nil, fmt.Errorf("consent index out of step at %q", k)
		}
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EachConsent calls fn for every consent record (of keyword's list, when
// given), oldest first. It reads chunk records per read transaction and
// calls fn outside it, so a slow reader holds nothing up.
func (db *DB) EachConsent(keyword string, chunk int, fn func(bot.ConsentRecord) error) error {
	var after uint64
	for {
		var page []bot.ConsentRecord
		err := db.Read(func(tx *Tx) error {
			var err error
			page, err = tx.ConsentPage(keyword, after, chunk)
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < chunk {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// phoneKey is the keyed hash an erased phone is remembered by; nil when no
// phone was ever suppressed and tx cannot make the secret.
func (t *Tx) phoneKey(p bot.Phone) ([]byte, error) {
	secret := t.b(bMeta).Get(suppressKey)
	if secret == nil {
		if !t.tx.Writable() {
			return nil, nil
		}
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("make suppression secret: %w", err)
		}
		if err := t.b(bMeta).Put(suppressKey, secret); err != nil {
			return nil, fmt.Errorf("save suppression secret: %w", err)
		}
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(p))
	return m.Sum(nil), nil
}

// Suppressed implements bot.Suppressions.
func (t *Tx) Suppressed(p bot.Phone) (bool, error) {
	k, err := t.phoneKey(p)
	if err != nil || k == nil {
		return false, err
	}
	return t.b(bSuppress).Get(k) != nil, nil
}

// Suppress remembers p as erased, by its keyed hash only.
func (t *Tx) Suppress(p bot.Phone) error {
	k, err := t.phoneKey(p)
	if err != nil {
		return err
	}
	if k == nil {
		return errors.New("suppress needs a write transaction")
	}
	return t.b(bSuppress).Put(k, nil)
}

// Unsuppress implements bot.Suppressions.
func (t *Tx) Unsuppress(p bot.Phone) error {
	k, err := t.phoneKey(p)
	if err != nil || k == nil {
		return err
	}
	return t.b(bSuppress).Delete(k)
}

// RedactConsent replaces p in its consent records with label and drops them
// from the phone index: the records stay, the number goes.
func (t *Tx) RedactConsent(p bot.Phone, label string) error {
	prefix := pair(string(p), "")
	idx := t.b(bConsentPhone)
	var keys [][]byte
	cur := idx.Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		id := k[len(prefix):]
		var r bot.ConsentRecord
		if ok, err := t.getJSON(bConsent, id, &r); err != nil || !ok {
			return fmt.Errorf("redact consent %x: %w", id, err)
		}
		r.Phone = bot.Phone(label)
		if err := t.putJSON(bConsent, id, r); err != nil {
			return err
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ErasedLabel is what stands for an erased phone in the consent records: a
// short form of its keyed hash, the same for every record of that phone.
func (t *Tx) ErasedLabel(p bot.Phone) (string, error) {
	k, err := t.phoneKey(p)
	if err != nil || k == nil {
		return "", errors.New("erased label needs a write transaction")
	}
	return "erased:" + hex.EncodeToString(k[:8]), nil
}
