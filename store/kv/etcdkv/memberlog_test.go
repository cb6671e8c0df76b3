package etcdkv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
)

// TestQuietCore: the "server closed" errors are dropped only while the
// member closes; the same message with another error, and any error
// while it runs, are written.
func TestQuietCore(t *testing.T) {
	var buf bytes.Buffer
	closing := new(atomic.Bool)
	lg := memberLogger("error", &buf, closing)
	closed := []error{errors.New("mux: server closed"), errors.New("mux: listener closed"), fmt.Errorf("accept tcp: %w", net.ErrClosed)}
	lg.Error(serveFailed, zap.Error(closed[0]))
	closing.Store(true)
	for _, err := range closed {
		lg.Error(serveFailed, zap.Error(err))
	}
	lg.Error(serveFailed, zap.Error(errors.New("listen tcp 10.0.0.1:2380: bind: address already in use")))
	lg.With(zap.String("member", "m1")).Error("something else failed", zap.Error(closed[0]))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (one closed error before closing, the real error, the other message):\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"mux: server closed", "address already in use", "something else failed"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %s\nwant %q", i, lines[i], want)
		}
	}
}

// TestMemberStopsQuietly: starting and closing a member logs no error.
func TestMemberStopsQuietly(t *testing.T) {
	var buf syncBuffer
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peer := "http://" + l.Addr().String()
	l.Close()
	m, err := StartMember(MemberConfig{Dir: filepath.Join(t.TempDir(), "m"), Name: "m", PeerURL: peer, Log: &buf})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if s := buf.String(); s != "" {
		t.Errorf("a member's start and stop logged:\n%s", s)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
