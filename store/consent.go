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
//	suppress      HMAC-SHA256(secret, phone) → nothing: erased phones
var (
	bConsent    = []byte("consent")
	bConsentKw  = []byte("consent_kw")
	bSuppress   = []byte("suppress")
	suppressKey = []byte("suppress_secret") // in bMeta: 32 random bytes
)

// appendFill is how full pages of an append-only bucket are split.
const appendFill = 0.95

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
	// Appends only: full pages, not the half-full ones random inserts want.
	t.b(bConsent).SetFillPercent(appendFill)
	t.b(bConsentKw).SetFillPercent(appendFill)
	row, err := (&bulkEncoder{}).consent(r) // by hand: an import writes one per row
	if err != nil {
		return fmt.Errorf("encode consent record: %w", err)
	}
	if err := t.b(bConsent).Put(itob(seq), row); err != nil {
		return fmt.Errorf("save consent record: %w", err)
	}
	if r.Keyword == "" {
		return nil
	}
	return t.b(bConsentKw).Put(append(pair(r.Keyword, ""), itob(seq)...), nil)
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
	page := func(tx *Tx, after uint64, n int) ([]bot.ConsentRecord, error) {
		return tx.ConsentPage(keyword, after, n)
	}
	return eachPage(db, chunk, page, func(r bot.ConsentRecord) uint64 { return r.ID }, fn)
}

// eachPage calls fn for every item that page returns, reading up to chunk
// items per read transaction and calling fn outside it; next is the cursor
// after an item. A slow fn holds no transaction open.
func eachPage[T, K any](db *DB, chunk int, page func(tx *Tx, after K, n int) ([]T, error), next func(T) K, fn func(T) error) error {
	var after K
	for {
		var items []T
		err := db.Read(func(tx *Tx) error {
			var err error
			items, err = page(tx, after, chunk)
			return err
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(items) < chunk {
			return nil
		}
		after = next(items[len(items)-1])
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
	if k, _ := t.b(bSuppress).Cursor().First(); k == nil {
		return false, nil // nobody erased yet: no hash to compute
	}
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

// RedactConsent replaces p with label in every consent record that names
// it: the records stay, the number goes. It reads chunk records per read
// transaction (matching the raw bytes first) and rewrites each chunk's
// matches in one short write transaction, so an erase never holds the
// writer for the length of the ledger. It is idempotent: run again after a
// crash, it finishes the job.
func (db *DB) RedactConsent(p bot.Phone, label string, chunk int) error {
	needle := []byte(`"phone":"` + string(p) + `"`)
	var after uint64
	for {
		var ids [][]byte
		last, n := after, 0
		err := db.Read(func(tx *Tx) error {
			cur := tx.b(bConsent).Cursor()
			for k, v := cur.Seek(itob(after + 1)); k != nil && n < chunk; k, v = cur.Next() {
				n, last = n+1, btoi(k)
				if bytes.Contains(v, needle) {
					ids = append(ids, bytes.Clone(k))
				}
			}
			return nil
		})
		if err == nil {
			err = db.redactAll(ids, p, label)
		}
		if err != nil || n < chunk {
			return err
		}
		after = last
	}
}

// redactAll redacts the records ids names, as many per write transaction
// as the store takes (all at once on bbolt).
func (db *DB) redactAll(ids [][]byte, p bot.Phone, label string) error {
	for len(ids) > 0 {
		n := len(ids)
		if db.maxOps > 0 {
			n = min(n, db.maxOps)
		}
		if err := db.Write(func(tx *Tx) error { return tx.redact(ids[:n], p, label) }); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (t *Tx) redact(ids [][]byte, p bot.Phone, label string) error {
	for _, id := range ids {
		var r bot.ConsentRecord
		if ok, err := t.getJSON(bConsent, id, &r); err != nil || !ok || r.Phone != p {
			if err != nil {
				return fmt.Errorf("redact consent %d: %w", btoi(id), err)
			}
			continue
		}
		r.Phone = bot.Phone(label)
		if err := t.putJSON(bConsent, id, r); err != nil {
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
