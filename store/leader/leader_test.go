package leader

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
)

const election = "/test/leader/dispatcher"

func client(t *testing.T, m *etcdkv.Member) *clientv3.Client {
	t.Helper()
	cli, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// campaign starts a's campaign and returns a channel of its term.
func campaign(t *testing.T, e Elector) <-chan Term {
	ch := make(chan Term, 1)
	go func() {
		term, err := e.Campaign(context.Background())
		if err != nil {
			t.Error(err)
			close(ch)
			return
		}
		ch <- term
	}()
	return ch
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: not after 30 s", what)
	}
	var zero T
	return zero
}

// TestFailover: two candidates; the leader's session dies (its lease
// revoked, as etcd does when the process stops renewing it); the other
// takes over with a larger token, and the deposed leader's fenced writes
// fail. Then the new leader resigns and a third takes over.
func TestFailover(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	db := etcdkv.New(client(t, m), etcdkv.Options{Prefix: "/test/leader/data/"})
	a := NewEtcd(client(t, m), election, "a", 5)
	b := NewEtcd(client(t, m), election, "b", 5)
	ta := wait(t, campaign(t, a), "a leads")
	tb := campaign(t, b)
	select {
	case <-tb:
		t.Fatal("two leaders at once")
	case <-time.After(300 * time.Millisecond):
	}
	if err := fencedPut(db, ta); err != nil {
		t.Fatalf("the leader's fenced write: %v", err)
	}
	if _, err := client(t, m).Revoke(context.Background(), ta.(*etcdTerm).s.Lease()); err != nil {
		t.Fatal(err)
	}
	wait(t, ta.Lost(), "a's term lost")
	termB := wait(t, tb, "b takes over")
	if termB.Token() <= ta.Token() {
		t.Errorf("b's token %d not after a's %d", termB.Token(), ta.Token())
	}
	if err := fencedPut(db, ta); !errors.Is(err, kv.ErrFenced) {
		t.Errorf("deposed leader's fenced write = %v, want ErrFenced", err)
	}
	if err := fencedPut(db, termB); err != nil {
		t.Errorf("new leader's fenced write: %v", err)
	}
	c := campaign(t, NewEtcd(client(t, m), election, "c", 5))
	start := time.Now()
	if err := termB.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	wait(t, termB.Lost(), "b's term ends on resign")
	wait(t, c, "c takes over after b resigns")
	t.Logf("handover on resign: %v", time.Since(start))
}

// TestSessionExpires: a leader whose client goes away (kill -9) is
// replaced when its session's TTL runs out.
func TestSessionExpires(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	dying, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	ta := wait(t, campaign(t, NewEtcd(dying, election, "a", 1)), "a leads")
	tb := campaign(t, NewEtcd(client(t, m), election, "b", 1))
	start := time.Now()
	dying.Close()
	termB := wait(t, tb, "b takes over")
	t.Logf("takeover after the leader's client closed: %v", time.Since(start))
	if termB.Token() <= ta.Token() {
		t.Errorf("b's token %d not after a's %d", termB.Token(), ta.Token())
	}
}

func fencedPut(db kv.DB, term Term) error {
	return db.Update(func(tx kv.Tx) error {
		tx.Fence(term.Fence())
		b, err := tx.CreateBucketIfNotExists([]byte("claims"))
		if err != nil {
			return err
		}
		return b.Put([]byte("claim"), []byte("x"))
	})
}

// TestRun: Run does the job while leading, and resigns when ctx ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan Term, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Always{}, func(ctx context.Context, term Term) error {
			ran <- term
			<-ctx.Done()
			return nil
		})
	}()
	term := wait(t, ran, "job runs")
	cancel()
	if err := wait(t, done, "Run returns"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-term.Lost():
	default:
		t.Error("term not resigned when Run ended")
	}
}

// TestRunStopsWithoutQuorum: a leader whose cluster lost its quorum
// cannot resign (nor campaign again); Run still returns within
// ResignTimeout of its context ending, instead of waiting for a quorum.
func TestRunStopsWithoutQuorum(t *testing.T) {
	if testing.Short() {
		t.Skip("three members")
	}
	members := etcdtest.Start(t, 3)
	e := NewEtcd(client(t, members[0]), election, "a", 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	leading := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, e, func(ctx context.Context, _ Term) error {
			leading <- struct{}{}
			<-ctx.Done()
			return nil
		})
	}()
	wait(t, leading, "a leads")
	members[1].Close()
	members[2].Close()
	time.Sleep(2 * time.Second) // the member knows it has no quorum
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		t.Logf("Run returned in %v: %v", time.Since(start), err)
	case <-time.After(7 * time.Second):
		t.Fatal("Run still waiting 7 s after its context ended")
	}
}
