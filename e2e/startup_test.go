package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"nudges/store"
)

// startupError runs the server with o, which must stop at start-up, and
// returns its error: the last line of its output, "nudges: …". An error of
// several lines fails the test.
func startupError(t *testing.T, o Options) string {
	t.Helper()
	out, err := Command(t, o)
	if err == nil {
		t.Fatalf("the server started and exited cleanly:\n%s", out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last, ok := strings.CutPrefix(lines[len(lines)-1], "nudges: ")
	if !ok {
		t.Fatalf("start-up failed (%v) without a one-line error last:\n%s", err, out)
	}
	return last
}

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
	if msg := startupError(t, Options{DB: path}); !strings.Contains(msg, "newer") {
		t.Fatalf("serve on a newer file: %s; want one line saying it is newer", msg)
	}
}

// TestReadOnlyDatabaseStopsStartUpClearly: a database on a read-only file
// system cannot be served; start-up fails with one line naming the file.
func TestReadOnlyDatabaseStopsStartUpClearly(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	dir := tinyDisk(t, 1<<20)
	dbPath := filepath.Join(dir, "n.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only: %v", err)
	}
	if msg := startupError(t, Options{DB: dbPath}); !strings.Contains(msg, dbPath) || !strings.Contains(msg, "read-only") {
		t.Fatalf("serve on a read-only database: %s; want one line naming %s", msg, dbPath)
	}
}
