package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"nudges/store/kv/etcdkv"
)

// The store's tests run on bbolt, and once more on etcd: TestOnEtcd runs
// this test binary again with NUDGES_TEST_STORE=etcd, which makes every
// store the tests open (openPath) a key prefix of one etcd member embedded
// in the test process, in a temporary directory on loopback ports.
const variantEnv = "NUDGES_TEST_STORE"

var onEtcd = os.Getenv(variantEnv) == "etcd"

// member is the etcd variant's embedded member.
var member *etcdkv.Member

func TestMain(m *testing.M) {
	if !onEtcd {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "nudges-store-etcd-")
	if err == nil {
		member, err = startMember(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd variant:", err)
		os.Exit(2)
	}
	code := m.Run()
	member.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func startMember(dir string) (*etcdkv.Member, error) {
	peer, err := freeURL()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	return etcdkv.StartMember(etcdkv.MemberConfig{Dir: dir, Name: "t", PeerURL: peer, LogLevel: "fatal"})
}

func freeURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return "http://" + l.Addr().String(), nil
}

// TestOnEtcd runs the store's tests again on etcd (skipped with -short).
func TestOnEtcd(t *testing.T) {
	if onEtcd || testing.Short() {
		t.Skip("the etcd variant runs without -short, once")
	}
	cmd := exec.Command(os.Args[0], "-test.short", "-test.count=1")
	cmd.Env = append(os.Environ(), variantEnv+"=etcd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("store tests on etcd: %v\n%s", err, out)
	}
}

// openPath opens the test store path names: that bbolt file, or on the
// etcd variant the key prefix named after it, so that opening the same
// path again is a restart of the same store.
func openPath(tb testing.TB, path string) (*DB, error) {
	if !onEtcd {
		return Open(path)
	}
	cli, err := member.Client()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(path))
	k := etcdkv.New(cli, etcdkv.Options{Prefix: "/t/" + hex.EncodeToString(sum[:8]) + "/",
		MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps})
	db, err := OpenKV(k)
	if err != nil {
		k.Close()
	}
	return db, err
}

// skipOnEtcd skips a test of bbolt's file itself.
func skipOnEtcd(t *testing.T) {
	if onEtcd {
		t.Skip("about the bbolt file")
	}
}

func openTestPath(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "n.db")
	db, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}
