package etcdkv_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// BenchmarkTurn: 32 goroutines (32 phones) each run turn-sized Updates —
// read the phone's conversation, write it back and append a log entry
// under a new id — on bbolt, on one member and on three members in this
// process (each goroutine's client talks to one member, as each process
// would talk to its own). Bounded: run with -benchtime=3000x.
func BenchmarkTurn(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		db, err := boltkv.Open(filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		runTurns(b, []kv.DB{db})
	})
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("etcd-%d", n), func(b *testing.B) {
			var dbs []kv.DB
			for _, m := range etcdtest.Start(b, n) {
				cli, err := m.Client()
				if err != nil {
					b.Fatal(err)
				}
				db := etcdkv.New(cli, etcdkv.Options{Prefix: "/bench/", MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps})
				defer db.Close()
				dbs = append(dbs, db)
			}
			runTurns(b, dbs)
		})
	}
}

func runTurns(b *testing.B, dbs []kv.DB) {
	const workers = 32
	err := dbs[0].Update(func(tx kv.Tx) error {
		for _, name := range []string{"conversations", "log"} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, phone := dbs[w%len(dbs)], fmt.Appendf(nil, "+1555000%04d", w)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := turn(db, phone); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "turns/s")
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
}

func turn(db kv.DB, phone []byte) error {
	return db.Update(func(tx kv.Tx) error {
		conv, log := tx.Bucket([]byte("conversations")), tx.Bucket([]byte("log"))
		state := append([]byte(nil), conv.Get(phone)...)
		if err := conv.Put(phone, append(state[:min(len(state), 200)], 'x')); err != nil {
			return err
		}
		id, err := log.NextSequence()
		if err != nil {
			return err
		}
		return log.Put(fmt.Appendf(phone, "\x00%016x", id), []byte(`{"in":"YOGA","out":"You joined"}`))
	})
}
