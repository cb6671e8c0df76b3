package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
	"nudges/e2e"
	"nudges/store"
)

// The backup download with a request limit cut short (SPEC §9); a stalled
// reader against the binary is e2e's TestStalledBackupHoldsUpNothing.

const backupAdmin = "+15550001234"

// TestBackupOutlivesTheRequestTimeout: the backup download is the one
// response allowed to take longer than the whole-request limit, as long as
// the reader keeps taking it. Run with a 500 ms limit and a reader that
// takes two seconds.
func TestBackupOutlivesTheRequestTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds an 8 MiB database")
	}
	dbPath := filepath.Join(t.TempDir(), "n.db")
	e2e.FillToMapping(t, dbPath, 8<<20, 64<<10)
	cfg, err := loadConfig(envOf("NUDGES_DB", dbPath, "NUDGES_ADMIN_PHONES", backupAdmin))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	session := seedSession(t, db, backupAdmin)
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
