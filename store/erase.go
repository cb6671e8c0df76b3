package store

import (
	"bytes"
	"fmt"

	"nudges/bot"
)

// Erase removes what the service keeps about p: its conversation, its log
// and its lists. Its consent records stay with the number replaced by a
// keyed hash, and a suppression entry (the same hash) keeps it opted out.
func (t *Tx) Erase(p bot.Phone) error {
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
	label, err := t.ErasedLabel(p)
	if err != nil {
		return err
	}
	if err := t.RedactConsent(p, label); err != nil {
		return err
	}
	return t.Suppress(p)
}

// deletePrefix deletes every key of bucket that starts with prefix.
func (t *Tx) deletePrefix(bucket, prefix []byte) error {
	cur := t.b(bucket).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Seek(prefix) {
		if err := cur.Delete(); err != nil {
			return err
		}
	}
	return nil
}
