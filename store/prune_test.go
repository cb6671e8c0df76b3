package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func TestPruneForgetsOnlyOldRetryGuards(t *testing.T) {
	db := openTest(t)
	now := t0.Add(60 * 24 * time.Hour)
	for from := 0; from < pruneChunk+10; from += 1000 { // more than one chunk
		db.Write(func(tx *Tx) error {
			for i := from; i < min(from+1000, pruneChunk+10); i++ {
				tx.PutInboundReply(fmt.Sprintf("SMold%d", i), "r", now.Add(-InboundKeep-time.Hour))
			}
			return nil
		})
	}
	db.Write(func(tx *Tx) error {
		tx.PutInboundReply("SMnew", "fresh", now.Add(-time.Hour))
		tx.MarkEventApplied("evt_old", now.Add(-EventKeep-time.Hour))
		tx.MarkEventApplied("evt_new", now.Add(-time.Hour))
		return nil
	})
	n, err := db.Prune(now)
	if err != nil || n != pruneChunk+11 {
		t.Fatalf("Prune = %d, %v; want %d", n, err, pruneChunk+11)
	}
	db.Read(func(tx *Tx) error {
		if _, seen, _ := tx.InboundReply("SMold3"); seen {
			t.Error("old inbound reply kept")
		}
		if r, seen, _ := tx.InboundReply("SMnew"); !seen || r != "fresh" {
			t.Error("recent inbound reply pruned")
		}
		if seen, _ := tx.EventApplied("evt_old"); seen {
			t.Error("old event id kept")
		}
		if seen, _ := tx.EventApplied("evt_new"); !seen {
			t.Error("recent event id pruned")
		}
		return nil
	})
}

// Records written before the expiry index existed are indexed once at Open
// and then pruned like the others; the index walk stops at the cutoff.
func TestPruneIndexesRecordsFromBeforeTheIndex(t *testing.T) {
	skipOnEtcd(t) // an old bbolt file's layout
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(60 * 24 * time.Hour)
	db.Write(func(tx *Tx) error { // as an older version wrote them: no index
		tx.putJSON(bInbound, []byte("SMlegacy"), inboundRecord{Reply: "r", At: now.Add(-InboundKeep - time.Hour)})
		tx.b(bStripeEvents).Put([]byte("evt_legacy"), itob(uint64(now.Add(-EventKeep-time.Hour).UnixNano())))
		return tx.b(bMeta).Delete([]byte("expiry_v1"))
	})
	db.Close()
	setSchema(t, path, 2) // the version before the index
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Prune(now); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want the 2 legacy records", n, err)
	}
	db.Read(func(tx *Tx) error {
		if _, seen, _ := tx.InboundReply("SMlegacy"); seen {
			t.Error("legacy inbound reply kept")
		}
		if k, _ := tx.b(bExpiry).Cursor().First(); k != nil {
			t.Errorf("index entry left: %x", k)
		}
		return nil
	})
}
