package store

import (
	"bytes"
	"fmt"

	"nudges/bot"
)

// Erase removes what the service keeps about p: its conversation, its log
// and its lists, in one transaction; a suppression entry (a keyed hash of
// the number) keeps it opted out. Then its consent records get that hash
// for the number, in chunks (RedactConsent). false when p is a client's
// phone: nothing is erased then, since a list and billing hang on it.
func (db *DB) Erase(p bot.Phone) (bool, error) {
	var label string
	var client bool
	err := db.Write(func(tx *Tx) error {
		c, err := tx.Client(p)
		if err != nil || c != nil {
			client = c != nil
			return err
		}
		if label, err = tx.ErasedLabel(p); err != nil {
			return err
		}
		return tx.erase(p)
	})
	if err != nil || client {
		return false, err
	}
	return true, db.RedactConsent(p, label, redactChunk)
}

// redactChunk is how many consent records one read transaction of an
// erase scans.
const redactChunk = 10_000

func (t *Tx) erase(p bot.Phone) error {
	subs, err := t.SubscriptionsOf(p)
	if err != nil {
		return fmt.Errorf("erase %s: %w", p, err)
	}
	for _, s := range subs {
		if _, err := t.Unsubscribe(s.Keyword, p); err != nil {
			return fmt.Errorf("erase %s from %s: %w", p, s.Keyword, err)
		}
	}
	if err := t.b(bConversations).Delete([]byte(p)); err != nil {
		return fmt.Errorf("erase conversation: %w", err)
	}
	if err := t.deletePrefix(bLog, pair(string(p), "")); err != nil {
		return fmt.Errorf("erase log: %w", err)
	}
	if err := t.eraseHandles(p); err != nil {
		return fmt.Errorf("erase %s: %w", p, err)
	}
	return t.Suppress(p)
}

// deletePrefix deletes every key of bucket that starts with prefix.
func (t *Tx) deletePrefix(bucket, prefix []byte) error {
	b := t.b(bucket)
	cur := b.Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Seek(prefix) {
		if err := b.Delete(bytes.Clone(k)); err != nil {
			return err
		}
	}
	return nil
}
