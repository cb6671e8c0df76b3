package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
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

// Connection limits, shutdown and the backup download, through the real
// binary (SPEC §9). Each test is bounded in time; -short skips them.

const limitsAdmin = "+15550001234"

// buildNudges builds the binary into a fresh directory.
func buildNudges(t *testing.T) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin, dir
}

// devEnv is the environment of a dev-mode server (console SMS driver, dev
// checkout) on addr with db and one admin phone.
func devEnv(addr, db string) []string {
	return append(os.Environ(), "NUDGES_ADDR="+addr, "NUDGES_DB="+db, "NUDGES_ADMIN_PHONES="+limitsAdmin,
		"TWILIO_ACCOUNT_SID=", "TWILIO_AUTH_TOKEN=", "STRIPE_SECRET_KEY=", "STRIPE_WEBHOOK_SECRET=",
		"NUDGES_PUBLIC_URL=", "NUDGES_SEND_RATE=100")
}

// stopWithin sends SIGTERM and waits at most limit for a clean exit.
func stopWithin(t *testing.T, cmd *exec.Cmd, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(limit):
		t.Fatalf("still running %v after SIGTERM", limit)
	}
	return time.Since(start)
}

// slowBody opens a connection that sends its headers and then a body one
// byte at a time, forever.
func slowBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /twilio/sms HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nBody=", addr)
	go func() {
		for {
			time.Sleep(500 * time.Millisecond)
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	return c
}

// idleConn opens a keep-alive connection, completes one request on it and
// leaves it open.
func idleConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

// TestStopWithin15sWhateverClientsDo: slow-body, slow-header and idle
// connections never hold up a SIGTERM past 15 s, and the stop is clean.
func TestStopWithin15sWhateverClientsDo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (about 15 s)")
	}
	bin, dir := buildNudges(t)
	addr := freeAddr(t)
	dbPath := filepath.Join(dir, "n.db")
	cmd := startServer(t, bin, devEnv(addr, dbPath), addr, filepath.Join(dir, "server.log"))
	for range 10 {
		slowBody(t, addr)
		idleConn(t, addr)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: ") // headers never finished
	}
	time.Sleep(time.Second) // every connection is open and trickling
	took := stopWithin(t, cmd, 15*time.Second)
	t.Logf("stopped %v after SIGTERM with 30 clients holding connections", took.Round(time.Millisecond))
	if logs, _ := os.ReadFile(filepath.Join(dir, "server.log")); regexp.MustCompile(`level=ERROR| ERROR `).Match(logs) {
		t.Errorf("errors logged by a stop with trickling clients:\n%s", logs)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatalf("database after the stop: %v", err)
	}
	db.Close()
}

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

// The server carries the promised limits.
func TestServerLimitsAreThePromisedOnes(t *testing.T) {
	srv := newServer(http.NotFoundHandler(), defaultLimits)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second ||
		srv.WriteTimeout != 30*time.Second || srv.IdleTimeout != 120*time.Second {
		t.Fatalf("server limits: headers %v, read %v, write %v, idle %v; want 10 s, 30 s, 30 s, 120 s",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if defaultLimits.Grace+3*time.Second > 15*time.Second {
		t.Fatalf("a %v grace leaves too little of the 15 s stop for the workers", defaultLimits.Grace)
	}
}

// closedBy reports whether the server closes c (EOF or a reset, perhaps
// after a 408 response) before limit.
func closedBy(c net.Conn, limit time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowAndIdleConnectionsAreCutOff runs the service with short limits
// (the same code as the real ones): a client trickling its headers or its
// body, or idling on a keep-alive connection, is disconnected by the server.
func TestSlowAndIdleConnectionsAreCutOff(t *testing.T) {
	cfg, err := loadConfig(envOf("NUDGES_DB", filepath.Join(t.TempDir(), "n.db")))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	short := httpLimits{Header: 300 * time.Millisecond, Request: time.Second, Idle: 500 * time.Millisecond, Grace: time.Second}
	base, _ := serveAppWith(t, cfg, db, func(a *app) { a.limits = short })
	addr := strings.TrimPrefix(base, "http://")
	header, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer header.Close()
	fmt.Fprintf(header, "GET /healthz HTTP/1.1\r\nHost: ")
	conns := map[string]net.Conn{"slow headers": header, "slow body": slowBody(t, addr), "idle": idleConn(t, addr)}
	for what, c := range conns {
		if !closedBy(c, 10*time.Second) {
			t.Errorf("%s: connection still open 10 s on, with limits %+v", what, short)
		}
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
