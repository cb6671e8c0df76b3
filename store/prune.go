package store

import (
	"time"

	"nudges/bot"
)

// Retention of the records that only guard against retries.
const (
	// InboundKeep: Twilio retries a webhook for minutes, not days.
	InboundKeep = 7 * 24 * time.Hour
	// EventKeep: Stripe retries an event for up to three days.
	EventKeep = 30 * 24 * time.Hour
	// DraftPictureKeep: a picture no announcement claimed is a dropped
	// draft's once its draft could no longer be confirmed.
	DraftPictureKeep = 2 * time.Hour
	// PictureKeep: an announcement's picture stays as long as its
	// per-recipient rows (NUDGES_OUTBOX_KEEP's default) after it is done.
	PictureKeep = 720 * time.Hour
	// pruneChunk bounds one transaction's deletions, so pruning never holds
	// the writer long.
	pruneChunk = 5000
)

// PruneInbound deletes up to pruneChunk remembered inbound replies older
// than cutoff and reports how many went; call again while it returns
// pruneChunk.
func (t *Tx) PruneInbound(cutoff time.Time) (int, error) {
	return t.pruneKind(expInbound, cutoff)
}

// Prune forgets inbound replies, Stripe event ids, status callbacks kept
// for messages that never showed up and API answers kept for retries, past their retention,
// in bounded transactions, and returns how many records went.
func (db *DB) Prune(now time.Time) (int, error) {
	total, err := db.pruneAll(expInbound, now.Add(-InboundKeep))
	if err != nil {
		return total, err
	}
	n, err := db.pruneAll(expEvent, now.Add(-EventKeep))
	total += n
	if err != nil {
		return total, err
	}
	n, err = db.PruneEarlyStatus(now)
	total += n
	if err != nil {
		return total, err
	}
	n, err = db.pruneAssets(now)
	total += n
	if err != nil {
		return total, err
	}
	n, err = db.pruneAnswers(now)
	total += n
	if err != nil {
		return total, err
	}
	for {
		err := db.Write(func(tx *Tx) error {
			var err error
			n, err = tx.pruneGuards(now.Add(-SIDGuardKeep))
			return err
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// pruneAssets forgets click marks past bot.ClickWindow, then pictures
// past their keep, each walked in chunks of one transaction.
func (db *DB) pruneAssets(now time.Time) (int, error) {
	marks, err := db.pruneWalk(func(tx *Tx, from []byte) (int, []byte, error) {
		return tx.pruneClickMarks(now, bot.ClickWindow, from)
	})
	if err != nil {
		return marks, err
	}
	pictures, err := db.pruneWalk(func(tx *Tx, from []byte) (int, []byte, error) {
		return tx.pruneMedia(now, DraftPictureKeep, PictureKeep, from)
	})
	return marks + pictures, err
}

// pruneWalk runs step in transactions of its own, each going on from the
// key the one before stopped at, until step has visited the whole bucket;
// it returns how many records went.
func (db *DB) pruneWalk(step func(tx *Tx, from []byte) (int, []byte, error)) (int, error) {
	total := 0
	var from []byte
	for {
		var n int
		var next []byte
		err := db.Write(func(tx *Tx) error {
			var err error
			n, next, err = step(tx, from)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if next == nil {
			return total, nil
		}
		from = next
	}
}
