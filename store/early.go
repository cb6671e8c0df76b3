package store

import (
	"fmt"
	"time"

	"nudges/bot"
)

// bEarlyStatus keeps provider status callbacks that arrived before the
// dispatcher recorded the message's sid (provider sid → bot.EarlyStatus).
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

// EarlyStatus implements bot.Sends.
func (t *Tx) EarlyStatus(sid string) (*bot.EarlyStatus, error) {
	var e bot.EarlyStatus
	ok, err := t.getJSON(bEarlyStatus, []byte(sid), &e)
	if !ok || err != nil {
		return nil, err
	}
	return &e, nil
}

// PutEarlyStatus implements bot.Sends.
func (t *Tx) PutEarlyStatus(sid string, e bot.EarlyStatus) error {
	if err := t.putJSON(bEarlyStatus, []byte(sid), e); err != nil {
		return err
	}
	return t.expires(expEarly, e.At, sid)
}

// DeleteEarlyStatus implements bot.Sends.
func (t *Tx) DeleteEarlyStatus(sid string) error {
	e, err := t.EarlyStatus(sid)
	if err != nil || e == nil {
		return err
	}
	if err := t.b(bExpiry).Delete(expiryKey(expEarly, e.At, sid)); err != nil {
		return err
	}
	return t.b(bEarlyStatus).Delete([]byte(sid))
}

// pruneEarlyStatus deletes up to pruneChunk kept callbacks older than
// cutoff and reports how many went.
func (t *Tx) pruneEarlyStatus(cutoff time.Time) (int, error) {
	return t.pruneKind(expEarly, cutoff)
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
