package e2e

import (
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

	"nudges/bot"
	"nudges/store"
)

// TestStalledBackupHoldsUpNothing: with the database's mapping full, a
// backup whose reader stops reading must not stop the file growing: every
// webhook is answered meanwhile, /readyz says ready, and SIGTERM still
// stops the process in time. A full download is a sound database.
func TestStalledBackupHoldsUpNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary (about 15 s)")
	}
	const mapped = 16 << 20 // beyond the kernel's socket buffers
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "n.db")
	FillToMapping(t, dbPath, mapped, 64<<10)
	s := Start(t, devAdmin(dbPath))
	session := login(t, s)
	stalledBackup(t, s.Addr, session)
	time.Sleep(time.Second) // the server is blocked writing to it, if it ever blocks

	client := &http.Client{Timeout: 10 * time.Second}
	long := strings.Repeat("is class on tonight? ", 70)
	grown := 0
	for i := 0; i < 1500 && grown < 20; i++ {
		form := url.Values{"MessageSid": {fmt.Sprintf("SMstall%05d", i)}, "From": {fmt.Sprintf("+1555600%04d", i)},
			"To": {Number}, "Body": {long}}
		resp, err := client.PostForm(s.URL+"/twilio/sms", form)
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
	if resp, err := client.Get(s.URL + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz during a stalled backup: %v %v", resp, err)
	}
	checkFullBackup(t, s.URL, session)
	s.Stop(t, 15*time.Second)
	if left, _ := filepath.Glob(filepath.Join(dir, ".nudges-backup-*")); len(left) > 0 {
		t.Errorf("temporary backup files left behind: %v", left)
	}
}

// login signs in as the admin through the console (the dev-mode code is in
// the server's log) and returns the session cookie's value.
func login(t *testing.T, s *Server) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	csrf := func(path string) string {
		resp, err := c.Get(s.URL + path)
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
		resp, err := c.PostForm(s.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("/admin/login", url.Values{"_csrf": {csrf("/admin/login")}, "phone": {admin}})
	var code string
	WaitFor(t, 5*time.Second, "the login code in the log", func() bool {
		logs, _ := os.ReadFile(s.Log)
		m := regexp.MustCompile(`console login code.*code=(\d{6})`).FindSubmatch(logs)
		if m != nil {
			code = string(m[1])
		}
		return m != nil
	})
	post("/admin/verify", url.Values{"_csrf": {csrf("/admin/login")}, "phone": {admin}, "code": {code}})
	u, _ := url.Parse(s.URL + "/admin/")
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
