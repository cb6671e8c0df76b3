package store

import (
	"bytes"
	"fmt"
	"math"

	"nudges/bot"
)

// Erase removes what the service keeps about p: its conversation, its log
// and its lists, in one transaction; a suppression entry (a keyed hash of
// the number) keeps it opted out. On a store whose write transactions are
// limited (etcd) the log goes after that, in chunks the store takes
// (eraseLog). Then its consent records get that hash for the number, in
// chunks (RedactConsent). false when p is a client's phone: nothing is
// erased then, since a list and billing hang on it.
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
	if err := db.eraseLog(p); err != nil {
		return true, err
	}
	return true, db.RedactConsent(p, label, redactChunk)
}

// eraseLog deletes p's log on a store with a transaction limit, a chunk
// per transaction (on bbolt erase already did, in its one transaction).
func (db *DB) eraseLog(p bot.Phone) error {
	if db.maxOps <= 0 {
		return nil
	}
	for {
		var n, chunk int
		err := db.Write(func(tx *Tx) error {
			var err error
			chunk = tx.fit(pruneChunk, 1) - 1 // the seek past the last reads one more
			n, err = tx.deletePrefix(bLog, pair(string(p), ""), max(1, chunk))
			return err
		})
		if err != nil {
			return fmt.Errorf("erase log of %s: %w", p, err)
		}
		if n < max(1, chunk) {
			return nil
		}
	}
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
	if t.limit <= 0 { // else Erase deletes the log in chunks (eraseLog)
		if _, err := t.deletePrefix(bLog, pair(string(p), ""), math.MaxInt); err != nil {
			return fmt.Errorf("erase log: %w", err)
		}
	}
	if err := t.eraseHandles(p); err != nil {
		return fmt.Errorf("erase %s: %w", p, err)
	}
	return t.Suppress(p)
}

// deletePrefix deletes up to n keys of bucket that start with prefix and
// reports how many went.
func (t *Tx) deletePrefix(bucket, prefix []byte, n int) (int, error) {
	b := t.b(bucket)
	cur := b.Cursor()
	done := 0
	for k, _ := cur.Seek(prefix); done < n && k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Seek(prefix) {
		if err := b.Delete(bytes.Clone(k)); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}
