package boltkv_test

import (
	"path/filepath"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/kvtest"
)

func open(t *testing.T) kv.DB {
	db, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	kvtest.Run(t, kvtest.Engine{
		Open: open,
		Peer: func(_ *testing.T, db kv.DB) kv.DB { return db },
	})
}
