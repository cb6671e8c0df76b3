package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// DefaultOutboxKeep is NUDGES_OUTBOX_KEEP's default: 30 days.
const DefaultOutboxKeep = 720 * time.Hour

// DefaultFoldChunk is how many outbox ids one folding transaction walks.
const DefaultFoldChunk = 5000

// Folds is the storage retention works on.
type Folds interface {
	// Completed returns up to n announcements completed (DoneAt) before
	// cutoff whose rows are not folded yet, oldest first.
	Completed(cutoff time.Time, n int) ([]uint64, error)
	// FoldRows deletes a's settled rows among outbox ids from..a.LastRow,
	// walking at most n ids: each row, the conversation-log line it left
	// when sent, and its sid index entry, which becomes a compact retry
	// guard kept until Prune (SIDGuardKeep). It returns the next id to look
	// at and whether the range is done.
	FoldRows(a *Announcement, from uint64, n int, now time.Time) (next uint64, done bool, err error)
	// AnnouncementRows returns a's rows among outbox ids from..a.LastRow,
	// walking at most n ids, the next id to look at and whether the range
	// is done.
	AnnouncementRows(a *Announcement, from uint64, n int) (rows []OutMessage, next uint64, done bool, err error)
}

// Retention folds a settled announcement's per-recipient rows into its
// counts once it has been complete for Keep: the counts (and the report)
// stay, the rows go, so a year of daily broadcasts does not grow the file
// by the sum of all their recipients.
type Retention struct {
	Store Store
	Keep  time.Duration // NUDGES_OUTBOX_KEEP
	Chunk int           // outbox ids per transaction; DefaultFoldChunk if 0
	Log   *slog.Logger
}

// Fold folds every announcement complete for longer than Keep at now, in
// bounded transactions, and returns how many it folded.
func (r *Retention) Fold(ctx context.Context, now time.Time) (int, error) {
	folded := 0
	for ctx.Err() == nil {
		var ids []uint64
		err := r.Store.View(func(tx Tx) error {
			var err error
			ids, err = tx.Completed(now.Add(-r.Keep), 16)
			return err
		})
		if err != nil || len(ids) == 0 {
			return folded, err
		}
		for _, id := range ids {
			if err := r.foldOne(ctx, id, now); err != nil {
				return folded, fmt.Errorf("fold announcement %d: %w", id, err)
			}
			folded++
		}
	}
	return folded, ctx.Err()
}

// foldOne walks announcement id's rows a chunk per transaction, the
// position saved with the deletions.
func (r *Retention) foldOne(ctx context.Context, id uint64, now time.Time) error {
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := r.Store.Update(func(tx Tx) error {
			a, err := tx.Announcement(id)
			if err != nil || a == nil || a.Folded {
				done = true
				return err
			}
			from := max(a.FoldedTo, a.FirstRow)
			if a.LastRow == 0 { // nothing recorded to fold (none added)
				a.Folded, done = true, true
				return tx.PutAnnouncement(a)
			}
			next, end, err := tx.FoldRows(a, from, orDefault(r.Chunk, DefaultFoldChunk), now)
			if err != nil {
				return err
			}
			a.FoldedTo, a.Folded, done = next, end, end
			return tx.PutAnnouncement(a)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
