package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// Resilience under the real HTTP stack: Twilio retries under load and a
// disk that fills up. Each test is bounded in time; -short skips them.

// startResilient serves db, seeded with TwoClients, with Twilio on
// (signatures required, sends to a local fake).
func startResilient(t *testing.T, db string) *Server {
	t.Helper()
	Update(t, db, TwoClients)
	return Start(t, Options{DB: db, Twilio: twiliotest.New(t), Rate: "1000", PublicURL: growthPublic})
}

// delivery is one copy of an inbound SMS to post.
type delivery struct {
	sid, from, body string
}

// TestReplaysUnderLoadChangeStateOnce sends 300 inbound SMS from 60 phones,
// each delivered 1–6 times (as Twilio retries), all shuffled and posted by
// 32 concurrent senders over real HTTP. Every copy of a MessageSid must get
// the same answer, and each MessageSid must change state exactly once.
func TestReplaysUnderLoadChangeStateOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("about 1,000 requests over loopback")
	}
	db := filepath.Join(t.TempDir(), "n.db")
	s := startResilient(t, db)
	words := []string{"JOIN YOGA", "LIST", "JOIN BAKERY", "LEAVE YOGA", "HELP", "hello?"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 6))
	var all []delivery
	sids := map[bot.Phone]int{}
	for i := range 300 {
		d := delivery{sid: fmt.Sprintf("SMreplay%06d", i), from: fmt.Sprintf("+1555300%04d", i%60), body: words[rng.IntN(len(words))]}
		sids[bot.Phone(d.from)]++
		for range 1 + rng.IntN(6) {
			all = append(all, d)
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	answers := postAll(t, s, all, 32)
	for sid, got := range answers {
		for _, body := range got[1:] {
			if body != got[0] {
				t.Errorf("%s answered differently on a retry:\n%s\n%s", sid, got[0], body)
			}
		}
	}
	s.Stop(t, 15*time.Second)
	checkOneTurnPerSID(t, db, sids)
	t.Logf("%d deliveries of %d MessageSids", len(all), len(answers))
}

// postAll posts every delivery from n senders and returns the answers by
// MessageSid; anything but a 200 fails the test.
func postAll(t *testing.T, s *Server, all []delivery, n int) map[string][]string {
	t.Helper()
	work := make(chan delivery)
	var mu sync.Mutex
	answers := map[string][]string{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for d := range work {
				code, body, err := s.Inbound(d.sid, d.from, d.body)
				if err != nil || code != http.StatusOK {
					t.Errorf("%s %q: %d %v %s", d.sid, d.body, code, err, body)
					continue
				}
				mu.Lock()
				answers[d.sid] = append(answers[d.sid], body)
				mu.Unlock()
			}
		})
	}
	for _, d := range all {
		work <- d
	}
	close(work)
	wg.Wait()
	return answers
}

// checkOneTurnPerSID checks each phone's log holds one inbound line per
// MessageSid it sent, and each list's count matches its members.
func checkOneTurnPerSID(t *testing.T, path string, sids map[bot.Phone]int) {
	t.Helper()
	Read(t, path, func(tx *store.Tx) error {
		for p, want := range sids {
			log, err := tx.LogOf(p, 1000)
			if err != nil {
				return err
			}
			in := 0
			for _, e := range log {
				if e.Dir == bot.DirIn {
					in++
				}
			}
			if in != want {
				t.Errorf("%s: %d turns logged for %d MessageSids", p, in, want)
			}
		}
		for _, kw := range []string{"YOGA", "BAKERY"} {
			members := 0
			if err := tx.EachSubscriber(kw, func(bot.Subscription) error { members++; return nil }); err != nil {
				return err
			}
			c, err := tx.ClientByKeyword(kw)
			if err == nil && c != nil {
				c, err = tx.Client(c.Phone) // by phone: with its list's size
			}
			if err != nil {
				return err
			}
			if c.Subscribers != members {
				t.Errorf("%s: count says %d subscribers, list has %d", kw, c.Subscribers, members)
			}
		}
		return nil
	})
}

// tinyDisk mounts a tmpfs of size bytes on a fresh directory, unmounted when
// the test ends. It skips the test unless running as root with mount(2).
func tinyDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("a real full or read-only disk needs root to mount a tmpfs")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the disk-full case is not covered on this machine", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes to dir until the disk is full and returns the filler's path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling the disk: %v", err)
			}
			return path
		}
	}
}

// TestDiskFullAnswers5xxThenRecovers fills a tiny tmpfs under the live
// database: turns that cannot be committed answer 500 with a log line, none
// answers anything else; once space is back, Twilio's retry of the same
// MessageSid succeeds and the file reopens intact.
func TestDiskFullAnswers5xxThenRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("serves the real app on a tmpfs")
	}
	dir := tinyDisk(t, 4<<20)
	dbPath := filepath.Join(dir, "n.db")
	s := startResilient(t, dbPath)
	filler := fill(t, dir)
	failed := ""
	for i := 0; i < 500 && failed == ""; i++ {
		sid := fmt.Sprintf("SMfull%04d", i)
		code, body, err := s.Inbound(sid, fmt.Sprintf("+1555400%04d", i), "JOIN YOGA")
		switch {
		case err != nil:
			t.Fatal(err)
		case code >= 500:
			failed = sid
		case code != http.StatusOK:
			t.Fatalf("%s on a full disk: %d %s", sid, code, body)
		}
	}
	if failed == "" {
		t.Fatal("500 turns committed on a full disk: the test filled nothing")
	}
	if logs, _ := os.ReadFile(s.Log); !strings.Contains(string(logs), "inbound sms failed") || !strings.Contains(string(logs), "no space left on device") {
		t.Errorf("no clear log line for the failed turn:\n%s", logs)
	}
	code, _ := Get(t, s.URL+"/readyz")
	t.Logf("%s failed on the full disk; /readyz then said %d", failed, code)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	code, body, err := s.Inbound(failed, "+15554000000", "JOIN YOGA")
	if err != nil || code != http.StatusOK || !strings.Contains(body, "<Message>") {
		t.Fatalf("Twilio's retry of %s once space is back: %d %v %s", failed, code, err, body)
	}
	s.Stop(t, 30*time.Second)
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
}
