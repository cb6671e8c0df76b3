package store

import (
	"bytes"
	"fmt"
	"time"

	"nudges/bot"
)

// bEarlyStatus keeps provider status callbacks that arrived before the
// dispatcher recorded the message's sid (provider sid → earlyStatus).
// Twilio does not retry a status callback, so dropping one would lose the
// delivery result, or a carrier opt-out (21610), for good. Record applies
// and deletes the entry when it stores the sid; PruneEarlyStatus forgets
// entries for sids that never show up.
var bEarlyStatus = []byte("early_status")

// EarlyStatusKeep is how long a callback for an unknown sid is kept waiting
// for its message: Record follows Send by milliseconds, so a sid unknown
// after a day belongs to no message of ours (or to one left unknown by a
// crash, which never gets a sid).
const EarlyStatusKeep = 24 * time.Hour

// earlyStatus is a status callback kept for a sid not yet recorded.
type earlyStatus struct {
	Status bot.MessageStatus `json:"status"`
	Code   int               `json:"code,omitempty"`
	At     time.Time         `json:"at"`
}

// keepEarlyStatus remembers a callback for a sid the outbox does not know
// yet. Several callbacks for one sid fold as ApplyStatus would apply them to
// a message Record has just marked sent: only a status ranked above sent is
// worth keeping, the first such one wins, and its code goes with it.
func (t *Tx) keepEarlyStatus(sid string, status bot.MessageStatus, code int, now time.Time) error {
	if statusRank(status) <= statusRank(bot.StatusSent) {
		return nil // Record lands the message at sent anyway
	}
	if t.b(bEarlyStatus).Get([]byte(sid)) != nil {
		return nil // a terminal status is kept already; later ones change nothing
	}
	return t.putJSON(bEarlyStatus, []byte(sid), earlyStatus{Status: status, Code: code, At: now})
}

// applyEarlyStatus applies and forgets the callback kept for m's sid, if
// any; m has just been recorded sent.
func (t *Tx) applyEarlyStatus(m *bot.OutMessage, now time.Time, s *settler) error {
	b := t.b(bEarlyStatus)
	if m.SID == "" {
		return nil
	}
	key := []byte(m.SID)
	data := b.Get(key)
	if data == nil {
		return nil
	}
	var e earlyStatus
	if err := jsonDecode(data, &e); err != nil {
		return fmt.Errorf("decode early status for %s: %w", m.SID, err)
	}
	if err := b.Delete(key); err != nil {
		return err
	}
	_, err := t.applyStatus(m, e.Status, e.Code, now, s)
	return err
}

// pruneEarlyStatus deletes up to pruneChunk kept callbacks older than
// cutoff and reports how many went.
func (t *Tx) pruneEarlyStatus(cutoff time.Time) (int, error) {
	b := t.b(bEarlyStatus)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if len(old) >= pruneChunk {
			return nil
		}
		var e earlyStatus
		if err := jsonDecode(v, &e); err != nil {
			return fmt.Errorf("decode early status %s: %w", k, err)
		}
		if e.At.Before(cutoff) {
			old = append(old, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, fmt.Errorf("prune early status %s: %w", k, err)
		}
	}
	return len(old), nil
}

// PruneEarlyStatus forgets status callbacks kept for sids that never showed
// up within EarlyStatusKeep of now, in bounded transactions, and returns how
// many went. Run it with the other prunes.
func (db *DB) PruneEarlyStatus(now time.Time) (int, error) {
	cutoff := now.Add(-EarlyStatusKeep)
	total := 0
	for {
		var n int
		err := db.Write(func(tx *Tx) error {
			var err error
			n, err = tx.pruneEarlyStatus(cutoff)
			return err
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("prune early statuses: %w", err)
		}
		if n < pruneChunk {
			return total, nil
		}
	}
}
