package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"nudges/store"
)

// A database written by a newer binary stops `nudges serve` with one line
// that names the versions and what to do, before anything is served.
func TestServeRefusesNewerSchemaInOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte{0, 0, 0, 0, 0, 0, 0, store.SchemaVersion + 1})
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(envOf("NUDGES_DB", path, "NUDGES_ADDR", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), cfg)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("serve on a newer file: %v; want one line saying it is newer", err)
	}
}
