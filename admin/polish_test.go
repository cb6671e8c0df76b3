package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

const metaRefresh = `<meta http-equiv="refresh" content="5">`

// While an announcement is sending, the announcements page and the
// dashboard reload themselves (a meta refresh, no JavaScript); once it is
// settled they stop.
func TestPagesRefreshThemselvesOnlyWhileSending(t *testing.T) {
	h := newHarness(t)
	seedYoga(h) // an announcement with 6 of 10 still queued
	h.login()
	for _, path := range []string{"/admin/announcements", "/admin/"} {
		_, _, body := h.get(path)
		mustContain(t, body, metaRefresh, "updates itself every 5 seconds")
	}
	h.write(func(tx *store.Tx) error {
		a, err := tx.Announcement(1)
		if err != nil || a == nil {
			return errors.Join(err, errors.New("no announcement 1"))
		}
		a.Settled, a.Counts = a.Total, map[bot.MessageStatus]int{bot.StatusDelivered: 9, bot.StatusFailed: 1}
		return tx.PutAnnouncement(a)
	})
	for _, path := range []string{"/admin/announcements", "/admin/"} {
		if _, _, body := h.get(path); strings.Contains(body, `http-equiv="refresh"`) || strings.Contains(body, "updates itself") {
			t.Errorf("%s refreshes with nothing sending", path)
		}
	}
}

// Counts take the plural form go-i18n picks: "1 recipient", "1 subscriber".
func TestConsolePlurals(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.write(func(tx *store.Tx) error {
		return tx.PutAnnouncement(&bot.Announcement{Client: yogaPhone, Keyword: "YOGA", Text: "Solo", Total: 1, Settled: 1,
			Counts: map[bot.MessageStatus]int{bot.StatusSent: 1}, CreatedAt: t0})
	})
	h.login()
	_, _, body := h.get("/admin/announcements")
	mustContain(t, body, "· 1 recipient</header>", "· 10 recipients</header>", "1 announcement is sending;")
	if strings.Contains(body, "1 recipients") {
		t.Error(`announcements page says "1 recipients"`)
	}
	_, _, body = h.get("/admin/")
	mustContain(t, body, "<span>subscriber</span>", "<span>list membership</span>", "<span>client</span>",
		"<span>announcements, 30 days</span>")
}

// With the console driver no delivery receipt can arrive: the dashboard says
// so instead of showing 0 % delivered.
func TestDeliveryRateWithoutReceipts(t *testing.T) {
	h := newHarness(t) // DevMode: the console SMS driver
	seedYoga(h)
	h.login()
	_, _, body := h.get("/admin/")
	mustContain(t, body, "n/a", "no delivery receipts with the console driver")
	if strings.Contains(body, "75.0%") {
		t.Error("delivery rate shown although no receipt can arrive")
	}
}

func TestTimesCarryTheirZone(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	_, _, body := h.get("/admin/announcements")
	mustContain(t, body, "2026-03-30 15:00 UTC")
	_, _, body = h.get("/admin/clients")
	mustContain(t, body, "2026-04-30 15:00 UTC")
}

// An unknown console page, signed in or not, is an HTML page in the
// console's style, never echo's JSON.
func TestConsoleErrorsAreHTMLPages(t *testing.T) {
	h := newHarness(t)
	check := func(path string, status int, want ...string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		st, _, body := h.get(path)
		if st != status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want %d text/html", path, st, resp.Header.Get("Content-Type"), status)
		}
		if strings.Contains(body, `{"message"`) {
			t.Errorf("GET %s answered JSON: %s", path, body)
		}
		mustContain(t, body, append(want, "style.css", "Back to the console")...)
	}
	check("/admin/nope", http.StatusNotFound, "<h1>Not found</h1>", "no such page")
	h.login()
	check("/admin/nope/deeper", http.StatusNotFound, "<h1>Not found</h1>")
}

// A handler's internal error, or a panic, is the console's 500 page, and
// what went wrong goes to the log, not the page.
func TestConsoleInternalErrorPage(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := &harness{t: t, logs: &strings.Builder{}}
	con, err := New(Config{T: locales.MustLoad(), Handler: &bot.Engine{}, Log: slog.New(slog.NewTextHandler(syncWriter{h}, nil))}, db)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.GET("/admin/boom", func(echo.Context) error { return errors.New("disk on fire") }, con.htmlErrors)
	e.GET("/admin/panic", func(echo.Context) error { panic("bad day") }, con.htmlErrors, recoverPanics())
	for _, path := range []string{"/admin/boom", "/admin/panic"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body := rec.Body.String()
		if rec.Code != http.StatusInternalServerError || strings.Contains(body, "disk on fire") || strings.Contains(body, "bad day") {
			t.Errorf("%s: %d %s", path, rec.Code, body)
		}
		mustContain(t, body, "<h1>Something went wrong</h1>", "The error is in the server log")
	}
	if logs := h.logText(); !strings.Contains(logs, "disk on fire") || !strings.Contains(logs, "bad day") {
		t.Errorf("errors not logged: %s", logs)
	}
}

// TestEveryButtonClassIsStyled: a button's class in a template has a rule in
// the stylesheet, or it looks like every other button (the destructive
// Erase looked like Search).
func TestEveryButtonClassIsStyled(t *testing.T) {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`<button[^>]*class="([^"]+)"`)
	seen := 0
	for _, p := range pages {
		body, err := templateFS.ReadFile("templates/" + p.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(body), -1) {
			for _, class := range strings.Fields(m[1]) {
				seen++
				if !strings.Contains(string(css), "button."+class) && !strings.Contains(string(css), "."+class+"{") {
					t.Errorf("%s: button class %q has no rule in style.css", p.Name(), class)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no button with a class found: the pattern is wrong")
	}
}
