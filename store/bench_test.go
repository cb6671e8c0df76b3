package store

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
	"nudges/store/kv/boltkv"
)

// Benchmarks of the store's hot paths. Two kinds:
//   - "InTx": the repository work alone, many operations per transaction,
//     the commit left out of the timing (what a turn costs before its fsync);
//   - "Commit": one durable commit per operation, sequential or grouped by
//     bbolt's Batch from parallel callers (what a turn costs with its fsync).
//
// go test ./store -run '^$' -bench . -benchtime 2s

func openBench(b *testing.B) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchPhone(i int) bot.Phone { return bot.Phone(fmt.Sprintf("+1555%07d", i%10_000_000)) }

// inTx runs op b.N times, chunk operations per write transaction, with the
// commits outside the timer.
func inTx(b *testing.B, db *DB, op func(tx *Tx, i int) error) {
	b.Helper()
	const chunk = 1000
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		err := db.Write(func(tx *Tx) error {
			for j := 0; j < chunk && i < b.N; j, i = j+1, i+1 {
				if err := op(tx, i); err != nil {
					return err
				}
			}
			b.StopTimer()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// seedConversations stores n conversations with a typical amount of state.
func seedConversations(b *testing.B, db *DB, n int) {
	b.Helper()
	err := db.Write(func(tx *Tx) error {
		for i := range n {
			c := &bot.Conversation{Phone: benchPhone(i), Locale: bot.English, FirstSeen: t0, LastSeen: t0}
			c.SetVar("state", "idle")
			if err := tx.PutConversation(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkConversationGetInTx(b *testing.B) {
	db := openBench(b)
	seedConversations(b, db, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	err := db.Read(func(tx *Tx) error {
		for i := 0; i < b.N; i++ {
			if _, err := tx.Conversation(benchPhone(i % 10_000)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkConversationPutInTx(b *testing.B) {
	db := openBench(b)
	seedConversations(b, db, 10_000)
	inTx(b, db, func(tx *Tx, i int) error {
		c, err := tx.Conversation(benchPhone(i % 10_000))
		if err != nil {
			return err
		}
		c.LastSeen = t0.Add(1)
		return tx.PutConversation(c)
	})
}

func BenchmarkSubscribeInTx(b *testing.B) {
	db := openBench(b)
	err := db.Write(func(tx *Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15559990000", Keyword: "YOGA", Name: "Sunrise Yoga", Status: bot.ClientActive})
	})
	if err != nil {
		b.Fatal(err)
	}
	inTx(b, db, func(tx *Tx, i int) error {
		_, err := tx.Subscribe("YOGA", benchPhone(i), t0)
		return err
	})
}

func BenchmarkEnqueueInTx(b *testing.B) {
	db := openBench(b)
	inTx(b, db, func(tx *Tx, i int) error {
		return tx.Enqueue(&bot.OutMessage{To: benchPhone(i), Body: "Sunrise Yoga: class moved to 6pm today",
			Kind: bot.KindReply, Priority: bot.PriorityHigh, CreatedAt: t0, NextAt: t0})
	})
}

func BenchmarkAppendLogInTx(b *testing.B) {
	db := openBench(b)
	inTx(b, db, func(tx *Tx, i int) error {
		return tx.AppendLog(bot.LogEntry{Phone: benchPhone(i), At: t0, Dir: bot.DirIn, Body: "JOIN YOGA"})
	})
}

// turnWrites is what one engine turn writes besides the flow's own work:
// dedupe lookup, conversation get/put, two log lines, the inbound record.
func turnWrites(tx *Tx, i int) error {
	sid := fmt.Sprintf("SM%032x", i)
	if _, seen, err := tx.InboundReply(sid); err != nil || seen {
		return err
	}
	p := benchPhone(i % 10_000)
	c, err := tx.Conversation(p)
	if err != nil {
		return err
	}
	c.LastSeen = t0
	if err := tx.AppendLog(bot.LogEntry{Phone: p, At: t0, Dir: bot.DirIn, Body: "LIST"}); err != nil {
		return err
	}
	if err := tx.PutConversation(c); err != nil {
		return err
	}
	if err := tx.AppendLog(bot.LogEntry{Phone: p, At: t0, Dir: bot.DirOut, Body: "You are not on any list."}); err != nil {
		return err
	}
	return tx.PutInboundReply(sid, "You are not on any list.", t0)
}

func BenchmarkTurnWritesInTx(b *testing.B) {
	db := openBench(b)
	seedConversations(b, db, 10_000)
	inTx(b, db, turnWrites)
}

// BenchmarkTurnWritesCommit is one durable commit per turn's writes, one
// caller at a time: bounded by the disk's sequential commit rate.
func BenchmarkTurnWritesCommit(b *testing.B) {
	db := openBench(b)
	seedConversations(b, db, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Write(func(tx *Tx) error { return turnWrites(tx, i) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTurnWritesBatchParallel is the same from many goroutines through
// WriteBatch (what the engine does): commits are shared by concurrent turns.
func BenchmarkTurnWritesBatchParallel(b *testing.B) {
	db := openBench(b)
	seedConversations(b, db, 10_000)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32) // 64 goroutines on 2 cores: like 64 phones texting at once
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1))
			if err := db.WriteBatch(func(tx *Tx) error { return turnWrites(tx, i) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRawCommit is bbolt alone: one 100-byte Put per transaction,
// committed sequentially. Its rate is this disk's fsync-bound ceiling for
// unbatched durable writes (each commit is two fdatasyncs). NoSync shows the
// same commits without the disk.
func BenchmarkRawCommit(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("NoSync=%v", noSync), func(b *testing.B) {
			db := openBench(b)
			bdb := db.kv.(*boltkv.DB).Bolt()
			bdb.NoSync = noSync
			val := make([]byte, 100)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := bdb.Update(func(tx *bolt.Tx) error {
					return tx.Bucket(bMeta).Put([]byte(fmt.Sprintf("bench%09d", i)), val)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}
