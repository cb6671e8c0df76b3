package admin

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

const yogaPhone = bot.Phone("+15552220001")

// seedYoga writes an active client YOGA with one subscriber, its plan and a
// sending announcement.
func seedYoga(h *harness) {
	h.write(func(tx *store.Tx) error {
		plan := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true}
		if err := tx.PutPlan(plan); err != nil {
			return err
		}
		c := &bot.Client{Phone: yogaPhone, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive,
			PlanID: plan.ID, PeriodEnd: t0.AddDate(0, 1, 0), Used: 2, CreatedAt: t0}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		if _, err := tx.Subscribe("YOGA", "+15551110001", t0.Add(-time.Hour)); err != nil {
			return err
		}
		conv := &bot.Conversation{Phone: "+15551110001", Locale: "es", FirstSeen: t0.Add(-time.Hour), LastSeen: t0}
		if err := tx.PutConversation(conv); err != nil {
			return err
		}
		if err := tx.AppendLog(bot.LogEntry{Phone: conv.Phone, At: t0, Dir: bot.DirIn, Body: "YOGA <b>please</b>"}); err != nil {
			return err
		}
		return tx.PutAnnouncement(&bot.Announcement{Client: yogaPhone, Keyword: "YOGA", Text: "Class at 7", Total: 10, Settled: 4,
			Counts: map[bot.MessageStatus]int{bot.StatusQueued: 6, bot.StatusDelivered: 3, bot.StatusFailed: 1}, CreatedAt: t0})
	})
}

func TestDashboard(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DevMode = false }) // Twilio: receipts arrive
	seedYoga(h)
	h.login()
	st, _, body := h.get("/admin/")
	if st != http.StatusOK {
		t.Fatalf("dashboard: %d", st)
	}
	mustContain(t, body, `id="subscribers">1<`, "<svg", "Subscriber growth", "Clients by status", "75.0%", "Mar 30")
	if strings.Count(body, "<polyline") != 1 {
		t.Error("chart has no line")
	}
}

func TestPlansCreateEditArchive(t *testing.T) {
	sync := &fakeSyncer{}
	h := newHarness(t, func(c *Config) { c.Plans = sync })
	h.login()
	if st, _, body := h.get("/admin/plans/new"); st != http.StatusOK || !strings.Contains(body, `name="quota"`) {
		t.Fatalf("new plan form: %d", st)
	}
	st, loc, _ := h.post("/admin/plans", url.Values{"name": {"Pro"}, "description": {"For studios"}, "price": {"29.5"},
		"currency": {"USD"}, "interval": {"month"}, "quota": {"200"}, "active": {"1"}})
	if st != http.StatusSeeOther || loc != "/admin/plans" {
		t.Fatalf("create: %d %q", st, loc)
	}
	_, _, body := h.get(loc)
	mustContain(t, body, "Plan Pro saved. Synced to Stripe.", "29.50 USD", "price_1_1")
	// The notice shows once, and only after the action: a link cannot make one.
	if _, _, again := h.get(loc); strings.Contains(again, "Plan Pro saved") {
		t.Fatal("the notice showed twice")
	}
	if _, _, forged := h.get("/admin/plans?notice=Reply+with+your+code&error=Reply+with+your+code"); strings.Contains(forged, "Reply with your code") {
		t.Fatal("a query parameter put words in the console")
	}
	var p *bot.Plan
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p == nil || p.PriceMinor != 2950 || p.Currency != "usd" || p.Quota != 200 || !p.Active || p.StripeProductID != "prod_1" {
		t.Fatalf("stored plan %+v", p)
	}
	h.get("/admin/plans/1")
	st, _, _ = h.post("/admin/plans/1", url.Values{"name": {"Pro"}, "price": {"30"}, "currency": {"usd"}, "interval": {"year"}, "quota": {"300"}, "active": {"1"}})
	if st != http.StatusSeeOther {
		t.Fatalf("edit: %d", st)
	}
	h.post("/admin/plans/1/archive", nil)
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p.Active || p.Interval != bot.Year || p.PriceMinor != 3000 || len(sync.calls) != 3 {
		t.Fatalf("after edit and archive: %+v, %d syncs", p, len(sync.calls))
	}
	h.get("/admin/plans")
	h.post("/admin/plans/1/archive", url.Values{"restore": {"1"}})
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if !p.Active {
		t.Fatal("restore did not put the plan back on sale")
	}
}

func TestPlanValidationErrors(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/plans/new")
	st, _, body := h.post("/admin/plans", url.Values{"name": {"P"}, "price": {"9.999"}, "currency": {"dollars"},
		"interval": {"day"}, "quota": {"0"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("invalid plan: %d", st)
	}
	mustContain(t, body, "A name of 2 to 40 characters", "A price like 9.00", "3-letter ISO currency", "Pick week, month or year", "whole number from 1")
	h.post("/admin/plans", url.Values{"name": {"Starter"}, "price": {"9"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"30"}})
	st, _, body = h.post("/admin/plans", url.Values{"name": {"starter"}, "price": {"9"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"30"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "another plan is called") {
		t.Fatalf("duplicate name: %d", st)
	}
	if st, _, _ := h.get("/admin/plans/99"); st != http.StatusNotFound {
		t.Fatalf("missing plan: %d", st)
	}
}

func TestPlanSyncFailureIsShown(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Plans = &fakeSyncer{fail: errors.New("stripe down")} })
	h.login()
	h.get("/admin/plans/new")
	_, loc, _ := h.post("/admin/plans", url.Values{"name": {"Pro"}, "price": {"9"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"3"}})
	_, _, body := h.get(loc)
	mustContain(t, body, "Syncing it to Stripe failed")
}

func TestPriceParsing(t *testing.T) {
	for in, want := range map[string]int64{"9": 900, "9.5": 950, "9.05": 905, "0.5": 50} {
		if got, err := parsePrice(in, "usd"); err != nil || got != want {
			t.Errorf("parsePrice(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1.234", "9.", "abc", "1e3", "100001", "5.+1", "5.-1", "+5", "-0.50", " 5", "0x10", "1_0", "99999999999999999999"} {
		if _, err := parsePrice(bad, "usd"); err == nil {
			t.Errorf("parsePrice(%q) accepted", bad)
		}
	}
	if got, err := parsePrice("500", "jpy"); err != nil || got != 500 {
		t.Errorf("yen: %d %v", got, err)
	}
	if _, err := parsePrice("500.5", "jpy"); err == nil {
		t.Error("yen with decimals accepted")
	}
	if formatPrice(500, "jpy") != "500" || formatMoney(500, "JPY") != "500 JPY" || formatPrice(905, "chf") != "9.05" {
		t.Error("zero-decimal formatting")
	}
}

func TestClientsSuspendAndResume(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.write(func(tx *store.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15552220002", Name: "Late Bakery", Keyword: "BREAD", Status: bot.ClientPastDue})
	})
	h.login()
	_, _, body := h.get("/admin/clients")
	mustContain(t, body, "Sunrise Yoga", "YOGA", "Starter", "Late Bakery", "past_due")
	h.post("/admin/clients/suspend", url.Values{"phone": {"+15552220002"}})
	_, loc, _ := h.post("/admin/clients/suspend", url.Values{"phone": {string(yogaPhone)}})
	_, _, body = h.get(loc)
	mustContain(t, body, "Sunrise Yoga is suspended", "resumes as past_due", "resumes as active")
	status := func(p bot.Phone) bot.ClientStatus {
		var c *bot.Client
		h.write(func(tx *store.Tx) error { var err error; c, err = tx.Client(p); return err })
		return c.Status
	}
	if status(yogaPhone) != bot.ClientSuspended {
		t.Fatal("not suspended")
	}
	h.post("/admin/clients/resume", url.Values{"phone": {string(yogaPhone)}})
	h.post("/admin/clients/resume", url.Values{"phone": {"+15552220002"}})
	if status(yogaPhone) != bot.ClientActive || status("+15552220002") != bot.ClientPastDue {
		t.Fatalf("resume: %s %s", status(yogaPhone), status("+15552220002"))
	}
	if st, _, _ := h.post("/admin/clients/suspend", url.Values{"phone": {"+15550000077"}}); st != http.StatusNotFound {
		t.Fatalf("unknown client: %d", st)
	}
}

func TestSubscribersSearchAndConversation(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	_, _, body := h.get("/admin/subscribers?q=" + url.QueryEscape("+1 555 111"))
	mustContain(t, body, "+15551110001", "YOGA", "es")
	_, _, body = h.get("/admin/subscribers?q=1444")
	mustContain(t, body, "No phone matches")
	// A whole number is found however it is written, as login takes it.
	for _, q := range []string{"5551110001", "(555) 111-0001", "+15551110001"} {
		_, _, body = h.get("/admin/subscribers?q=" + url.QueryEscape(q))
		mustContain(t, body, "+15551110001")
	}
	// Words are not a phone number: refused clearly, not every phone listed.
	_, _, body = h.get("/admin/subscribers?q=zzz")
	mustContain(t, body, "Search by phone number")
	if strings.Contains(body, "+15551110001") {
		t.Fatal("a search with no digits listed phones")
	}
	st, _, body := h.get("/admin/subscribers/+15551110001")
	if st != http.StatusOK {
		t.Fatalf("subscriber page: %d", st)
	}
	mustContain(t, body, "YOGA <b>please</b>", "Opted out", "Conversation")
	if st, _, _ := h.get("/admin/subscribers/+15559990000"); st != http.StatusNotFound {
		t.Fatalf("unknown phone: %d", st)
	}
	if st, _, _ := h.get("/admin/subscribers/nonsense"); st != http.StatusBadRequest {
		t.Fatalf("bad phone: %d", st)
	}
}

func TestAnnouncementsShowCountsAndProgress(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	_, _, body := h.get("/admin/announcements")
	mustContain(t, body, "Class at 7", `<progress value="4" max="10">`, "6</span> queued", "3</span> delivered", "1</span> failed")
	if strings.Contains(body, "Scheduled") {
		t.Error("a Scheduled section with nothing scheduled")
	}
	err := h.db.Update(func(tx bot.Tx) error {
		return tx.PutScheduled(&bot.Scheduled{Client: "+15550009999", Keyword: "YOGA", Text: "Tomorrow at 9",
			At: time.Date(2026, 1, 6, 14, 0, 0, 0, time.UTC), Zone: "America/New_York"})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, body = h.get("/admin/announcements")
	mustContain(t, body, "<h2>Scheduled</h2>", "<td>Tue Jan 6, 9:00 AM EST<br><small>2026-01-06 14:00 UTC</small></td><td>America/New_York</td><td>YOGA</td><td>Tomorrow at 9</td>")
	// The announcements already confirmed get their own heading, or they
	// read as part of the schedule.
	sched, sent := strings.Index(body, "Tomorrow at 9"), strings.Index(body, "Class at 7")
	head := strings.Index(body, "<h2>Sending and sent</h2>")
	if head < sched || head > sent {
		t.Errorf("no heading between the schedule (%d) and the confirmed announcements (%d): %d", sched, sent, head)
	}
}

// Rows the send window holds are counted apart from the queued ones (and
// no longer once their time has come); a halted announcement shows what
// HALT dropped, rows and recipients never added alike.
func TestAnnouncementsShowWaitingAndHalted(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	err := h.db.Update(func(tx bot.Tx) error {
		held := &bot.Announcement{Client: yogaPhone, Keyword: "YOGA", Text: "Held for the morning", Total: 6, Settled: 1, CreatedAt: t0,
			Counts: map[bot.MessageStatus]int{bot.StatusQueued: 5, bot.StatusSent: 1},
			Held:   []bot.Held{{At: t0.Add(-time.Hour), N: 1}, {At: t0.Add(2 * time.Hour), N: 3}, {At: t0.Add(5 * time.Hour), N: 1}}}
		halted := &bot.Announcement{Client: yogaPhone, Keyword: "YOGA", Text: "Stopped early", Total: 4, Settled: 4, Planned: 9, Cut: 5, Halted: true,
			Counts: map[bot.MessageStatus]int{bot.StatusSent: 2, bot.StatusHalted: 2}, CreatedAt: t0, DoneAt: t0}
		return errors.Join(tx.PutAnnouncement(held), tx.PutAnnouncement(halted))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, body := h.get("/admin/announcements")
	mustContain(t, body, "1</span> queued", "4</span> waiting for the send window", "7</span> halted")
	h.clock.Advance(3 * time.Hour)
	_, _, body = h.get("/admin/announcements")
	mustContain(t, body, "4</span> queued", "1</span> waiting for the send window")
}

func TestSimulatorJoinsAListAndCapturesOutbound(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	h.get("/admin/simulator")
	st, _, body := h.post("/admin/simulator", url.Values{"phone": {"555-123-4567"}, "text": {"join yoga"}})
	if st != http.StatusOK {
		t.Fatalf("simulate: %d", st)
	}
	mustContain(t, body, `id="reply">You joined Sunrise Yoga.<`, "Conversation of +15551234567", "join yoga")
	_, _, body = h.post("/admin/simulator", url.Values{"phone": {"+15551234567"}, "text": {"PING"}})
	mustContain(t, body, "Captured outbound", "pong", "simulated")
	var subs []bot.Subscription
	var conv *bot.Conversation
	h.write(func(tx *store.Tx) error {
		var err error
		if subs, err = tx.SubscriptionsOf("+15551234567"); err != nil {
			return err
		}
		conv, err = tx.Conversation("+15551234567")
		return err
	})
	if len(subs) != 1 || !conv.Simulated {
		t.Fatalf("simulated join not stored: %+v %+v", subs, conv)
	}
	// A client signed up through the simulator is marked as such.
	h.write(func(tx *store.Tx) error {
		if err := tx.PutConversation(&bot.Conversation{Phone: "+15551234999", Simulated: true}); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: "+15551234999", Name: "Sim Bakery", Keyword: "SIMBAKE", Status: bot.ClientActive})
	})
	_, _, body = h.get("/admin/clients")
	if !regexp.MustCompile(`Sim Bakery <small class="tag">simulated</small>`).MatchString(body) ||
		regexp.MustCompile(`Sunrise Yoga <small class="tag">simulated`).MatchString(body) {
		t.Fatalf("clients page does not tell the simulated client apart:\n%s", body)
	}
	if st, _, body := h.post("/admin/simulator", url.Values{"phone": {"me"}, "text": {"hi"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "not a phone number") {
		t.Fatalf("bad phone: %d", st)
	}
}

func TestBackupIsAValidDatabase(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	resp, err := h.client.Get(h.srv.URL + "/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="nudges-20260330-150000.db"`) {
		t.Fatalf("backup: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer db.Close()
	err = db.Read(func(tx *store.Tx) error {
		c, err := tx.Client(adminClientPhone(t, tx, "YOGA")) // by phone: with its list's size
		if err != nil || c == nil || c.Name != "Sunrise Yoga" || c.Subscribers != 1 {
			t.Errorf("client in backup: %+v %v", c, err)
		}
		s, err := tx.Session(tokenHashOf(t, h))
		if err != nil || s == nil {
			t.Errorf("the session that made the backup is not in it: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func tokenHashOf(t *testing.T, h *harness) string {
	u, _ := url.Parse(h.srv.URL + "/admin/")
	for _, c := range h.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return tokenHash(c.Value)
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestStaticAndChartHelpers(t *testing.T) {
	h := newHarness(t)
	st, _, body := h.get("/admin/static/style.css")
	if st != http.StatusOK || !strings.Contains(body, ".tiles") {
		t.Fatalf("stylesheet: %d", st)
	}
	for n, want := range map[int]int{0: 4, 3: 4, 7: 8, 30: 40, 41: 80, 1234: 2000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
	if formatMoney(905, "eur") != "9.05 EUR" || formatMoney(500, "jpy") != "500 JPY" {
		t.Error("formatMoney")
	}
}

func TestAnnouncementsShowClicks(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	links := []bot.Link{{Code: "abc123XYZ", URL: "https://shop.example.com/sale"}}
	h.write(func(tx *store.Tx) error {
		a := &bot.Announcement{Client: yogaPhone, Keyword: "YOGA", Text: "Sale http://localhost/l/abc123XYZ", Total: 1,
			Links: links, Counts: map[bot.MessageStatus]int{bot.StatusDelivered: 1}, Settled: 1, CreatedAt: t0}
		if err := tx.PutAnnouncement(a); err != nil {
			return err
		}
		return tx.PutLinks(a.ID, links)
	})
	for i, visitor := range []string{"1.2.3.4 phone", "1.2.3.4 phone", "5.6.7.8 phone"} {
		if _, found, err := h.db.FollowLink("abc123XYZ", visitor, true, t0.Add(time.Duration(i)*time.Minute), bot.ClickWindow); err != nil || !found {
			t.Fatalf("follow: %v %v", found, err)
		}
	}
	h.login()
	_, _, body := h.get("/admin/announcements")
	mustContain(t, body, "Sale http://localhost/l/abc123XYZ", "2</span> clicks")
	if strings.Count(body, "</span> clicks") != 1 {
		t.Error("an announcement without links shows a click count")
	}
}
