package store

import (
	"sync/atomic"
	"testing"

	"nudges/bot"
)

// retryCounter is an observer that counts the conflict retries it hears.
type retryCounter struct {
	bot.NopObserver
	n atomic.Int64
}

func (r *retryCounter) Retried(n int) { r.n.Add(int64(n)) }

// A write whose read changes under it before its commit runs again, and
// the observer hears that one retry (etcd); bbolt's single writer never
// retries, so the observer hears nothing.
func TestConflictRetriesObserved(t *testing.T) {
	db, path := openTestPath(t)
	obs := &retryCounter{}
	db.SetObserver(obs)
	key := []byte("retry-test")
	runs := 0
	err := db.Write(func(tx *Tx) error {
		runs++
		v := tx.b(bMeta).Get(key)
		if runs == 1 && onEtcd {
			other, err := openPath(t, path)
			if err != nil {
				return err
			}
			defer other.Close()
			if err := other.Write(func(tx *Tx) error { return tx.b(bMeta).Put(key, []byte("other")) }); err != nil {
				return err
			}
		}
		return tx.b(bMeta).Put(key, append(v, 'x'))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	if onEtcd {
		want = 1
	}
	if got := obs.n.Load(); got != want || runs != int(want)+1 {
		t.Errorf("retries observed %d after %d runs, want %d", got, runs, want)
	}
	var got []byte
	db.Read(func(tx *Tx) error { got = append(got, tx.b(bMeta).Get(key)...); return nil })
	if onEtcd && string(got) != "otherx" {
		t.Errorf("after the retry the key is %q, want the other write's value extended", got)
	}
}
