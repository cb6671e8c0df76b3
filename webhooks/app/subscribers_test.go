package app

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// seedList puts n phones +1555100000i on keyword's list, joined a day
// apart, with source.
func (h *harness) seedList(keyword string, first, n int, source string) {
	h.write(func(tx *store.Tx) error {
		for i := range n {
			p := bot.Phone(fmt.Sprintf("+1555100%04d", first+i))
			s := bot.Subscription{Keyword: keyword, Phone: p, JoinedAt: t0.AddDate(0, 0, -i), Source: source}
			if _, err := tx.AddSubscription(s); err != nil {
				return err
			}
		}
		return nil
	})
}

var nextLink = regexp.MustCompile(`href="(/app/subscribers\?after=[^"]+)" rel="next"`)

// The page shows this client's list only, a page at a time from a cursor,
// each phone with its joined date and how it came; the search runs over
// this list only, whichever way its digits are written.
func TestSubscribersPagesThisListOnly(t *testing.T) {
	h := newHarness(t)
	text := bot.ConsentRecord{Text: "YOGA", SID: "SM1", To: "+15550000000"}.Source()
	h.seedList("YOGA", 0, 120, text)
	h.seedList("GYM", 500, 3, "") // B's members: +15551000500…
	a := h.signedIn(phoneA)
	r := a.get("/app/subscribers")
	mustContain(t, r.Body, "15551000000", "15551000049", "30 Mar 2026", "keyword YOGA", "Download the list (CSV)")
	if strings.Contains(r.Body, "15551000050") || strings.Contains(r.Body, "15551000500") {
		t.Error("first page shows more than 50 phones, or another list's")
	}
	seen := 0
	for path := "/app/subscribers"; path != ""; seen++ {
		r = a.get(path)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "1000500") {
			t.Fatalf("%s: %d, or B's member shown", path, r.Status)
		}
		path = ""
		if m := nextLink.FindStringSubmatch(r.Body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if seen != 3 || !strings.Contains(r.Body, "15551000119") || !strings.Contains(r.Body, "First page") {
		t.Errorf("%d pages, last:\n%s", seen, r.Body)
	}
	for q, want := range map[string]string{"+1 555 100 0011": "15551000011", "555100001": "15551000019", "(555) 100-0007": "15551000007"} {
		r := a.get("/app/subscribers?q=" + url.QueryEscape(q))
		if !strings.Contains(r.Body, want) || strings.Contains(r.Body, "15551000020") {
			t.Errorf("search %q: lacks %s or shows too much", q, want)
		}
	}
	if r := a.get("/app/subscribers?q=" + url.QueryEscape("+15551000500")); strings.Contains(r.Body, "<td>&#43;15551000500") || !strings.Contains(r.Body, "No phone on your list matches") {
		t.Error("a search for another list's member finds it")
	}
	if r := a.get("/app/subscribers?q=bob"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Search by phone number") {
		t.Errorf("a search without digits: %d", r.Status)
	}
	if r := a.get("/app/subscribers?after=bm9wZQ"); r.Status != http.StatusBadRequest {
		t.Errorf("a forged cursor: %d", r.Status)
	}
	// A cursor naming B's member seeks within A's list: it never shows B's.
	if r := a.get("/app/subscribers?after=" + encodeCursor("+15551000499")); strings.Contains(r.Body, "1000500") {
		t.Error("a cursor reaches another list")
	}
}

// The download is this list's whole CSV in the columns the import reads,
// every cell guarded against spreadsheet formulas.
func TestSubscribersCSVIsThisListGuarded(t *testing.T) {
	h := newHarness(t)
	h.seedList("YOGA", 0, 2, "=HYPERLINK(\"http://evil\")")
	h.seedList("GYM", 500, 1, "")
	r := h.signedIn(phoneA).get("/app/subscribers.csv")
	if r.Status != http.StatusOK {
		t.Fatalf("csv: %d", r.Status)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != "phone,language,joined_at,source" {
		t.Fatalf("csv:\n%s", r.Body)
	}
	// The phone's + is guarded too (a spreadsheet reads +1555… as a
	// formula); the import takes the guard off.
	if recs[1][0] != "'+15551000000" || recs[1][2] != t0.Format(time.RFC3339) || recs[1][3] != "'=HYPERLINK(\"http://evil\")" {
		t.Errorf("row: %q", recs[1])
	}
	if strings.Contains(r.Body, "1000500") {
		t.Error("another list's member in the download")
	}
}
