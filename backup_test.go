package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
	"nudges/store"
)

// The backup download through the real binary and the real HTTP stack: a
// stalled reader holds nothing up, and a slow one may take longer than the
// request limit (SPEC §9).

// fillToMapping seeds path with a client and ballast until bbolt's high
// water mark is within margin of the file's size, a power of two: the
// running server's mapping is then full, and its next growth must remap.
func fillToMapping(t *testing.T, path string, size, margin int64) {
	t.Helper()
	seedCrashList(t, path, 0)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chunk := make([]byte, 32<<10)
	for i := 0; ; i++ {
		var used int64
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("ballast"))
			if err != nil {
				return err
			}
			rand.Read(chunk)
			used = tx.Size()
			return b.Put(fmt.Appendf(nil, "%08d", i), chunk)
		})
		if err != nil {
			t.Fatal(err)
		}
		if used >= size-margin {
			break
		}
	}
	if st, err := os.Stat(path); err != nil || st.Size() != size {
		t.Fatalf("seeded file: %v %v, want %d bytes", st.Size(), err, size)
	}
}

// login signs in as the admin through the console (the dev-mode code is in
// the server's log) and returns the session cookie's value.
func login(t *testing.T, base, logPath string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	csrf := func(path string) string {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token on %s", path)
		}
		return string(m[1])
	}
	post := func(path string, form url.Values) {
		resp, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("/admin/login", url.Values{"_csrf": {csrf("/admin/login")}, "phone": {limitsAdmin}})
	var code string
	waitFor(t, 5*time.Second, "the login code in the log", func() bool {
		logs, _ := os.ReadFile(logPath)
		m := regexp.MustCompile(`console login code.*code=(\d{6})`).FindSubmatch(logs)
		if m != nil {
			code = string(m[1])
		}
		return m != nil
	})
	post("/admin/verify", url.Values{"_csrf": {csrf("/admin/login")}, "phone": {limitsAdmin}, "code": {code}})
	u, _ := url.Parse(base + "/admin/")
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "nudges_session" {
			return ck.Value
		}
	}
	t.Fatal("no session after the code")
	return ""
}

// stalledBackup asks for the backup on a connection with a tiny receive
// buffer and never reads it.
func stalledBackup(t *testing.T, addr, session string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /admin/backup HTTP/1.1\r\nHost: %s\r\nCookie: nudges_session=%s\r\n\r\n", addr, session)
	return c
}

// TestStalledBackupHoldsUpNothing: with the database's mapping full, a
// backup whose reader stops reading must not stop the file growing: every
// webhook is answered meanwhile, /readyz says ready, and SIGTERM still
// stops the process in time. A full download is a sound database.
func TestStalledBackupHoldsUpNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (about 15 s)")
	}
	const mapped = 16 << 20 // beyond the kernel's socket buffers
	bin, dir := buildNudges(t)
	dbPath := filepath.Join(dir, "n.db")
	fillToMapping(t, dbPath, mapped, 64<<10)
	addr := freeAddr(t)
	logPath := filepath.Join(dir, "server.log")
	cmd := startServer(t, bin, devEnv(addr, dbPath), addr, logPath)
	base := "http://" + addr
	session := login(t, base, logPath)
	stalledBackup(t, addr, session)
	time.Sleep(time.Second) // the server is blocked writing to it, if it ever blocks

	client := &http.Client{Timeout: 10 * time.Second}
	long := strings.Repeat("is class on tonight? ", 70)
	grown := 0
	for i := 0; i < 1500 && grown < 20; i++ {
		form := url.Values{"MessageSid": {fmt.Sprintf("SMstall%05d", i)}, "From": {fmt.Sprintf("+1555600%04d", i)},
			"To": {crashNumber}, "Body": {long}}
		resp, err := client.PostForm(base+"/twilio/sms", form)
		if err != nil {
			t.Fatalf("webhook %d during a stalled backup: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook %d during a stalled backup: %d", i, resp.StatusCode)
		}
		if st, err := os.Stat(dbPath); err == nil && st.Size() > mapped {
			grown++
		}
	}
	if grown == 0 {
		t.Fatal("the database never grew past its mapping: the test proves nothing")
	}
	if resp, err := client.Get(base + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz during a stalled backup: %v %v", resp, err)
	}
	checkFullBackup(t, base, session)
	stopWithin(t, cmd, 15*time.Second)
	if left, _ := filepath.Glob(filepath.Join(dir, ".nudges-backup-*")); len(left) > 0 {
		t.Errorf("temporary backup files left behind: %v", left)
	}
}

// checkFullBackup downloads the backup and opens it as a database.
func checkFullBackup(t *testing.T, base, session string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/backup", nil)
	req.AddCookie(&http.Cookie{Name: "nudges_session", Value: session})
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, resp.Body)
	f.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n < 15<<20 || fmt.Sprint(n) != resp.Header.Get("Content-Length") {
		t.Fatalf("backup: %d, %d bytes (Content-Length %s), %v", resp.StatusCode, n, resp.Header.Get("Content-Length"), err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer db.Close()
	err = db.View(func(tx bot.Tx) error {
		c, err := tx.ClientByKeyword("YOGA")
		if err == nil && c == nil {
			err = fmt.Errorf("client YOGA missing")
		}
		return err
	})
	if err != nil {
		t.Fatalf("backup content: %v", err)
	}
}

// TestBackupOutlivesTheRequestTimeout: the backup download is the one
// response allowed to take longer than the whole-request limit, as long as
// the reader keeps taking it. Run with a 500 ms limit and a reader that
// takes two seconds.
func TestBackupOutlivesTheRequestTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds an 8 MiB database")
	}
	dbPath := filepath.Join(t.TempDir(), "n.db")
	fillToMapping(t, dbPath, 8<<20, 64<<10)
	cfg, err := loadConfig(envOf("NUDGES_DB", dbPath, "NUDGES_ADMIN_PHONES", limitsAdmin))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	session := seedSession(t, db, limitsAdmin)
	short := httpLimits{Header: time.Second, Request: 500 * time.Millisecond, Idle: time.Second, Grace: time.Second}
	base, _ := serveAppWith(t, cfg, db, func(a *app) { a.limits = short })
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/backup", nil)
	req.AddCookie(&http.Cookie{Name: "nudges_session", Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start, n := time.Now(), int64(0)
	for {
		k, err := io.CopyN(io.Discard, resp.Body, 512<<10)
		n += k
		if err != nil {
			break
		}
		time.Sleep(125 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK || fmt.Sprint(n) != resp.Header.Get("Content-Length") || n < 7<<20 {
		t.Fatalf("backup read over %v: %d, %d bytes of %s", time.Since(start), resp.StatusCode, n, resp.Header.Get("Content-Length"))
	}
	t.Logf("%d bytes over %v with a %v request limit", n, time.Since(start).Round(time.Millisecond), short.Request)
}

// seedSession stores a console session for phone, as a sign-in does (the
// cookie's token, stored by its SHA-256), and returns the cookie's value.
func seedSession(t *testing.T, db *store.DB, phone string) string {
	t.Helper()
	token := "limits-test-session-token-0123456789"
	sum := sha256.Sum256([]byte(token))
	now := time.Now()
	err := db.Write(func(tx *store.Tx) error {
		return tx.PutSession(hex.EncodeToString(sum[:]), store.Session{Phone: bot.Phone(phone), CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return token
}
