package store

import (
	"fmt"
	"testing"
	"time"
)

func TestPruneForgetsOnlyOldRetryGuards(t *testing.T) {
	db := openTest(t)
	now := t0.Add(60 * 24 * time.Hour)
	db.Write(func(tx *Tx) error {
		for i := range pruneChunk + 10 { // more than one chunk
			tx.PutInboundReply(fmt.Sprintf("SMold%d", i), "r", now.Add(-InboundKeep-time.Hour))
		}
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
