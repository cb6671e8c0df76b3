package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
	"nudges/store"
	"nudges/store/kv/kvopen"
)

// openSeed opens a bbolt file (the server must not be running) or a store
// URL (etcd://…, shared with running servers).
func openSeed(target string) (*store.DB, error) {
	if !strings.Contains(target, "://") {
		return store.Open(target)
	}
	cfg, err := kvopen.Parse(target)
	if err != nil {
		return nil, err
	}
	k, err := kvopen.Open(cfg)
	if err != nil {
		return nil, err
	}
	db, err := store.OpenKV(k)
	if err != nil {
		k.Close()
	}
	return db, err
}

// seed writes five active clients, YOGA, BAKERY, CAFE, GYM and BOOKS (the
// spreadLists), so that joins in the mix find a list.
func seed(path string, out io.Writer) error {
	db, err := openSeed(path)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	var clients []bot.Client
	for i, kw := range spreadLists {
		clients = append(clients, bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555999%04d", i+1)), Keyword: kw,
			Name: kw + " club", Status: bot.ClientActive, CreatedAt: now, LiveAt: now})
	}
	err = db.Update(func(tx bot.Tx) error {
		for i := range clients {
			if err := tx.PutClient(&clients[i]); err != nil {
				return fmt.Errorf("seed client %s: %w", clients[i].Keyword, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %s: clients %s, active\n", path, strings.Join(spreadLists, ", "))
	return nil
}

// seedList writes the client YOGA (active, 30 announcements a month) and n
// subscribers +15552000000… with conversations, in transactions of 10,000
// (fewer on etcd), so that no write grows with the list.
func seedList(path string, n int, out io.Writer) error {
	db, err := openSeed(path)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UTC().Add(-time.Hour)
	err = db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: broadcastClient, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now, Locale: bot.English})
	})
	if err != nil {
		return fmt.Errorf("seed client: %w", err)
	}
	chunk := seedChunk
	if limit := db.TxLimit(); limit > 0 {
		chunk = limit / 8
	}
	for start := 0; start < n; start += chunk {
		err := db.Update(func(tx bot.Tx) error {
			for i := start; i < min(start+chunk, n); i++ {
				p := bot.Phone(fmt.Sprintf("+1555%07d", 2_000_000+i))
				if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: bot.English, FirstSeen: now, LastSeen: now}); err != nil {
					return err
				}
				if _, err := tx.Subscribe("YOGA", p, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed subscribers from %d: %w", start, err)
		}
	}
	return nil
}

const seedChunk = 10_000

// retentionFigure settles every queued row in-process as sent (with a sid,
// as the dispatcher would), folds the announcements as retention does after
// NUDGES_OUTBOX_KEEP, and prints what the file grew by per recipient once
// compacted, against the compacted file before the broadcast.
func retentionFigure(path string, baseline int64, n int, out io.Writer) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	outbox := &bot.Lifecycle{Store: db}
	now := time.Now().UTC()
	settled := 0
	for {
		msgs, _, err := outbox.Claim(now, 4096, nil)
		if err != nil || len(msgs) == 0 {
			if err != nil {
				db.Close()
				return err
			}
			break
		}
		outs := make([]bot.Outcome, len(msgs))
		for i, m := range msgs {
			outs[i] = bot.Outcome{ID: m.ID, Status: bot.StatusSent, SID: fmt.Sprintf("SM%032x", m.ID), Tries: 1}
		}
		if err := outbox.Record(now, outs); err != nil {
			db.Close()
			return err
		}
		settled += len(msgs)
	}
	r := bot.Retention{Store: db}
	folded, err := r.Fold(context.Background(), now.Add(time.Second))
	db.Close()
	if err != nil {
		return err
	}
	size, err := compactSize(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "retention: settled %d rows in-process, folded %d announcement(s); compacted file %d → %d bytes = %.0f bytes per recipient\n",
		settled, folded, baseline, size, float64(size-baseline)/float64(n))
	return nil
}

// compactSize is the size of a compacted copy of the database at path: the
// live data, without the free pages bbolt keeps for reuse.
func compactSize(path string) (int64, error) {
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	tmp := path + ".compact"
	defer os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, nil)
	if err != nil {
		return 0, err
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		return 0, fmt.Errorf("compact: %w", err)
	}
	defer dst.Close()
	var size int64
	err = dst.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }) // pages in use, not the file's preallocation
	return size, err
}
