package admin

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

func (h *harness) seedClient(kw string, subs ...bot.Phone) {
	h.t.Helper()
	h.write(func(tx *store.Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: "+15550008800", Name: "Sunrise Yoga", Keyword: kw, Status: bot.ClientActive}); err != nil {
			return err
		}
		for _, p := range subs {
			s := bot.Subscription{Keyword: kw, Phone: p, JoinedAt: t0, Source: `text "JOIN ` + kw + `", MessageSid SM1, to +15550000000`}
			if _, err := tx.AddSubscription(s); err != nil {
				return err
			}
			if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: "es", FirstSeen: t0}); err != nil {
				return err
			}
		}
		return nil
	})
}

// getCSV fetches path and parses it as CSV, failing on anything else.
func (h *harness) getCSV(path string) (int, [][]string) {
	h.t.Helper()
	resp, err := h.client.Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		h.t.Errorf("%s: content type %q", path, ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		h.t.Fatalf("%s is not CSV: %v\n%s", path, err, body)
	}
	return resp.StatusCode, rows
}

func TestConsentCSVRoundTripsAndNeedsLogin(t *testing.T) {
	h := newHarness(t)
	h.seedClient("YOGA")
	tricky := "yes, \"please\"\nsign me up"
	h.write(func(tx *store.Tx) error {
		for i, kw := range []string{"YOGA", "BREAD", "YOGA"} {
			r := bot.ConsentRecord{At: t0.Add(time.Duration(i) * time.Minute), Phone: bot.Phone(fmt.Sprintf("+1555000100%d", i)),
				Keyword: kw, Kind: bot.ConsentJoin, Text: tricky, SID: fmt.Sprintf("SM%d", i), To: "+15550000000"}
			if err := tx.AppendConsent(&r); err != nil {
				return err
			}
		}
		return nil
	})
	if st, _ := h.getCSV("/admin/consent.csv"); st != http.StatusSeeOther {
		t.Errorf("consent export without login: %d", st)
	}
	h.login()
	st, rows := h.getCSV("/admin/consent.csv?keyword=yoga")
	if st != http.StatusOK || len(rows) != 3 {
		t.Fatalf("YOGA export: %d %q", st, rows)
	}
	if strings.Join(rows[0], ",") != strings.Join(consentHeader, ",") {
		t.Errorf("header %q", rows[0])
	}
	r := rows[2]
	if r[0] != t0.Add(2*time.Minute).Format(time.RFC3339) || r[1] != "'+15550001002" || r[2] != "YOGA" || r[3] != "join" ||
		r[5] != tricky || r[6] != "SM2" || r[7] != "'+15550000000" || !strings.Contains(r[4], "MessageSid SM2") {
		t.Errorf("row %q", r)
	}
	if _, all := h.getCSV("/admin/consent.csv"); len(all) != 4 {
		t.Errorf("whole ledger: %d rows", len(all))
	}
}

func TestClientExportLinkGivesTheListOnce(t *testing.T) {
	h := newHarness(t)
	h.seedClient("YOGA", "+15550001001", "+15550001002")
	h.write(func(tx *store.Tx) error {
		return tx.PutExport(&bot.Export{Token: "tok123", Keyword: "YOGA", Client: "+15550008800", CreatedAt: t0, ExpiresAt: t0.Add(bot.ExportTTL)})
	})
	st, rows := h.getCSV("/x/tok123")
	if st != http.StatusOK || len(rows) != 3 {
		t.Fatalf("export: %d %q", st, rows)
	}
	want := []string{"phone,language,joined_at,source",
		`'+15550001001,es,2026-03-30T15:00:00Z,text "JOIN YOGA", MessageSid SM1, to +15550000000`} // phones guarded too
	if strings.Join(rows[0], ",") != want[0] || strings.Join(rows[1], ",") != want[1] {
		t.Errorf("rows %q", rows)
	}
	if st, _ := h.getCSV("/x/tok123"); st != http.StatusNotFound {
		t.Errorf("second download: %d", st)
	}
	h.write(func(tx *store.Tx) error {
		return tx.PutExport(&bot.Export{Token: "old", Keyword: "YOGA", CreatedAt: t0, ExpiresAt: t0.Add(bot.ExportTTL)})
	})
	h.clock.Advance(bot.ExportTTL)
	if st, _ := h.getCSV("/x/old"); st != http.StatusNotFound {
		t.Errorf("expired link: %d", st)
	}
}

// upload posts the import form; csrf "" leaves the token out.
func (h *harness) upload(keyword, consent, name, content, csrf string) (int, string, string) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("keyword", keyword)
	if consent != "" {
		mw.WriteField("consent", consent)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		io.WriteString(fw, content)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/admin/import?_csrf="+url.QueryEscape(csrf), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return h.do(req)
}

// waitImport follows the status page until it stops refreshing.
func (h *harness) waitImport(loc string) string {
	h.t.Helper()
	for range 500 {
		resp, err := h.client.Get(h.srv.URL + loc)
		if err != nil {
			h.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Refresh") == "" {
			return html.UnescapeString(string(body))
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatal("import never finished")
	return ""
}

func TestImportPageImportsALargeFileAndReportsRows(t *testing.T) {
	h := newHarness(t)
	h.seedClient("YOGA", "+15550001001")
	h.login()
	if st, _, body := h.get("/admin/import"); st != http.StatusOK {
		t.Fatalf("form: %d %s", st, body)
	}
	var b strings.Builder
	b.WriteString("phone,language\n+15550001001,en\nnope,en\n")
	for i := range 5000 { // ~90 KB: past the console's 64 KiB limit for other forms
		fmt.Fprintf(&b, "+1 555 2%02d %04d,es\n", i/10000, i%10000)
	}
	if st, _, body := h.upload("YOGA", "yes", "list.csv", b.String(), ""); st != http.StatusForbidden {
		t.Errorf("upload without CSRF token: %d %s", st, body)
	}
	if st, _, body := h.upload("YOGA", "", "list.csv", b.String(), h.csrf); st != http.StatusBadRequest || !strings.Contains(body, "agreed") {
		t.Errorf("upload without consent: %d", st)
	}
	if st, _, body := h.upload("NOPE", "yes", "list.csv", b.String(), h.csrf); st != http.StatusBadRequest || !strings.Contains(body, "No client") {
		t.Errorf("upload onto an unknown list: %d", st)
	}
	kicks := h.kicks.Load()
	st, loc, _ := h.upload("yoga", "yes", "list.csv", b.String(), h.csrf)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/import/") {
		t.Fatalf("upload: %d %q", st, loc)
	}
	page := h.waitImport(loc)
	mustContain(t, page, "<dt>Added</dt><dd>5000</dd>", "<dt>Already on the list</dt><dd>1</dd>",
		"<dt>Invalid</dt><dd>1</dd>", `<td class="n">3</td>`, "list.csv", string(adminPhone))
	var n int
	h.db.Read(func(tx *store.Tx) error {
		c, err := tx.Client(adminClientPhone(t, tx, "YOGA"))
		n = c.Subscribers
		return err
	})
	if n != 5001 {
		t.Errorf("YOGA has %d subscribers", n)
	}
	if h.kicks.Load() != kicks {
		t.Error("an import woke the dispatcher: somebody was texted")
	}
	h.db.Read(func(tx *store.Tx) error {
		if ms, _ := tx.RecentOutboxTo("+15552000001", 10, 100000); len(ms) != 0 {
			t.Errorf("an imported phone was texted: %+v", ms)
		}
		return nil
	})
	_, rows := h.getCSV("/admin/consent.csv?keyword=YOGA")
	if len(rows) != 5001 || !strings.Contains(rows[1][4], "import by admin "+string(adminPhone)+", file list.csv") {
		t.Errorf("consent records of the import: %d, %q", len(rows), rows[1])
	}
}

func TestSubscribersPagedFilteredWithTotal(t *testing.T) {
	h := newHarness(t)
	var subs []bot.Phone
	for i := range 60 {
		subs = append(subs, bot.Phone(fmt.Sprintf("+1555300%04d", i)))
	}
	h.seedClient("YOGA", subs...)
	h.write(func(tx *store.Tx) error {
		for i := range 70 {
			if err := tx.PutConversation(&bot.Conversation{Phone: bot.Phone(fmt.Sprintf("+1555400%04d", i)), FirstSeen: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	h.login()
	_, _, body := h.get("/admin/subscribers?page=3")
	mustContain(t, body, "130 phones match", "showing 101–130 (page 3 of 3)", "+15554000069", `rel="prev"`)
	if strings.Contains(body, `rel="next"`) {
		t.Error("a next link on the last page")
	}
	_, _, body = h.get("/admin/subscribers?list=YOGA")
	mustContain(t, body, "60 phones match", "showing 1–50 (page 1 of 2)", "list=YOGA&page=2")
	if strings.Contains(body, "+15554000001") {
		t.Error("the YOGA filter shows a phone not on it")
	}
	_, _, body = h.get("/admin/subscribers?list=YOGA&q=" + url.QueryEscape("+1 555 300 005"))
	mustContain(t, body, "10 phones match")
}

// An operator types the first digits of a US number as people say them,
// without the +1; a page number past the last (an old bookmark, a list
// that shrank) shows the last page rather than "130 match" over no rows.
func TestSubscribersSearchWithoutCountryCodeAndPastTheLastPage(t *testing.T) {
	h := newHarness(t)
	var subs []bot.Phone
	for i := range 60 {
		subs = append(subs, bot.Phone(fmt.Sprintf("+1555300%04d", i)))
	}
	h.seedClient("YOGA", subs...)
	h.login()
	for _, q := range []string{"555 300 005", "(555) 300-005", "555300005"} {
		_, _, body := h.get("/admin/subscribers?q=" + url.QueryEscape(q))
		mustContain(t, body, "10 phones match", "+15553000059", "Phones starting +1555300005.")
	}
	_, _, body := h.get("/admin/subscribers?q=" + url.QueryEscape("+555 300"))
	mustContain(t, body, "No phone matches")
	_, _, body = h.get("/admin/subscribers?q=" + url.QueryEscape("+1 555 300 005"))
	if strings.Contains(body, "Phones starting") {
		t.Error("a notice for a prefix searched as typed")
	}
	_, _, body = h.get("/admin/subscribers?page=9")
	mustContain(t, body, "showing 51–60 (page 2 of 2)", "+15553000059")
}

func TestEraseFromTheSubscriberPage(t *testing.T) {
	h := newHarness(t)
	h.seedClient("YOGA", "+15550001001")
	h.login()
	path := "/admin/subscribers/" + url.PathEscape("+15550001001")
	_, _, body := h.get(path)
	mustContain(t, body, "Erase this phone")
	if st, loc, _ := h.post(path+"/erase", nil); st != http.StatusSeeOther || loc != path {
		t.Errorf("erase unconfirmed: %d %q", st, loc)
	}
	if st, loc, _ := h.post(path+"/erase", url.Values{"confirm": {"yes"}}); st != http.StatusSeeOther || loc != "/admin/subscribers" {
		t.Fatalf("erase: %d %q", st, loc)
	}
	if st, _, _ := h.get(path); st != http.StatusNotFound {
		t.Errorf("erased phone's page: %d", st)
	}
	var suppressed bool
	h.db.Read(func(tx *store.Tx) error { var err error; suppressed, err = tx.Suppressed("+15550001001"); return err })
	if !suppressed {
		t.Error("not suppressed after erase")
	}
	st, loc, _ := h.upload("YOGA", "yes", "again.csv", "phone\n+15550001001\n", h.csrf)
	if st != http.StatusSeeOther {
		t.Fatalf("re-import: %d", st)
	}
	mustContain(t, h.waitImport(loc), "<dt>Added</dt><dd>0</dd>", "<dt>Skipped as opted out</dt><dd>1</dd>")
	client := "/admin/subscribers/" + url.PathEscape("+15550008800")
	h.get(client)
	if st, loc, _ := h.post(client+"/erase", url.Values{"confirm": {"yes"}}); st != http.StatusSeeOther || loc != client {
		t.Errorf("erase of a client: %d %q", st, loc)
	}
}

func TestImportStatusRefreshesWhileRunning(t *testing.T) {
	h := newHarness(t)
	h.login()
	j := &webkit.ImportJob{ID: "abc", Keyword: "YOGA", File: "big.csv", By: adminPhone, Started: t0}
	j.Report(420, 1000, bot.ImportResult{Rows: 4000, Added: 3990, Invalid: 10})
	h.con.jobs.Add(j)
	resp, err := h.client.Get(h.srv.URL + "/admin/import/abc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Refresh") == "" {
		t.Error("a running import's page does not refresh itself")
	}
	mustContain(t, string(body), "42 % of the file read", "<dt>Added</dt><dd>3990</dd>")
	if st, _, _ := h.get("/admin/import/nope"); st != http.StatusNotFound {
		t.Errorf("unknown import: %d", st)
	}
}

// A chat app draws a card for a link by fetching it: its fetcher (or a
// HEAD) must get no phone numbers and must not use up the one-time link.
func TestClientExportLinkSurvivesPreviews(t *testing.T) {
	h := newHarness(t)
	h.seedClient("YOGA", "+15550001001")
	h.write(func(tx *store.Tx) error {
		return tx.PutExport(&bot.Export{Token: "tok123", Keyword: "YOGA", Client: "+15550008800", CreatedAt: t0, ExpiresAt: t0.Add(bot.ExportTTL)})
	})
	for _, probe := range []struct{ method, agent string }{
		{http.MethodHead, "Mozilla/5.0"},
		{http.MethodGet, "WhatsApp/2.23.20.0 A"},
		{http.MethodGet, "Mozilla/5.0 (compatible; Slackbot-LinkExpanding 1.0)"},
		{http.MethodGet, "facebookexternalhit/1.1 Facebot Twitterbot/1.0"},
	} {
		req, _ := http.NewRequest(probe.method, h.srv.URL+"/x/tok123", nil)
		req.Header.Set("User-Agent", probe.agent)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "+1555") || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s %q: %d %s %q", probe.method, probe.agent, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if st, rows := h.getCSV("/x/tok123"); st != http.StatusOK || len(rows) != 2 {
		t.Errorf("the person's download after the previews: %d %q", st, rows)
	}
}

// adminClientPhone is the phone of keyword's client: reading the client by
// phone fills in its list's size.
func adminClientPhone(t *testing.T, tx *store.Tx, keyword string) bot.Phone {
	t.Helper()
	c, err := tx.ClientByKeyword(keyword)
	if err != nil || c == nil {
		t.Fatalf("client %s: %v", keyword, err)
	}
	return c.Phone
}
