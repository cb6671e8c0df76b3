package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

func addBody(phone, list string) string {
	l := ""
	if list != "" {
		l = fmt.Sprintf(`"list":%q,`, list)
	}
	return fmt.Sprintf(`{%s"phone":%q,"consent":{"source":"signup form","time":"2026-03-30T14:00:00Z","text":"Yes, text me"}}`, l, phone)
}

func subPath(p, list string) string {
	s := "/api/v1/subscribers/" + url.PathEscape(p)
	if list != "" {
		s += "?list=" + list
	}
	return s
}

// No key, a wrong key and a revoked key are all 401 problems; the document
// itself needs no key.
func TestAuth(t *testing.T) {
	h := newHarness(t)
	h.wantProblem(h.send("GET", "/api/v1/stats", "", ""), 401, KindUnauthorized)
	h.wantProblem(h.send("GET", "/api/v1/stats", "nk_wrong", ""), 401, KindUnauthorized)
	h.wantProblem(h.send("GET", "/api/v1/stats", "sk_"+h.yoga[3:], ""), 401, KindUnauthorized)
	r := h.call("GET", "/api/v1/stats", h.yoga, "")
	if r.Code != 200 {
		t.Fatalf("stats with a good key: %d %s", r.Code, r.Body)
	}
	keys, _ := bot.APIKeysOf(h.db, yogaPhone)
	if err := bot.RevokeAPIKey(h.db, t0, keys[0].ID, yogaPhone); err != nil {
		t.Fatal(err)
	}
	h.wantProblem(h.send("GET", "/api/v1/stats", h.yoga, ""), 401, KindUnauthorized)
	if r := h.call("GET", "/api/v1/openapi.json", "", ""); r.Code != 200 || r.JSON["openapi"] != "3.1.0" {
		t.Errorf("openapi.json: %d", r.Code)
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/nothing", nil)) // not in the document: checked by hand
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), ProblemBase+KindNotFound) {
		t.Errorf("unknown path: %d %s", rec.Code, rec.Body)
	}
}

// A subscriber added with a consent object is there to get, list and
// remove; phones come in any format and go out in E.164, times in UTC.
func TestSubscriberLifecycle(t *testing.T) {
	h := newHarness(t)
	r := h.call("POST", "/api/v1/subscribers", h.yoga, addBody("(555) 000-1001", ""), "Idempotency-Key", "a1")
	if r.Code != 201 || r.JSON["phone"] != "+15550001001" || r.JSON["list"] != "YOGA" || r.JSON["joined_at"] != "2026-03-30T14:00:00Z" {
		t.Fatalf("add: %d %s", r.Code, r.Body)
	}
	if r := h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+1 555 000 1001", ""), "Idempotency-Key", "a2"); r.Code != 200 {
		t.Errorf("add again: %d %s", r.Code, r.Body)
	}
	if r := h.call("GET", subPath("5550001001", ""), h.yoga, ""); r.Code != 200 || r.JSON["phone"] != "+15550001001" {
		t.Errorf("get: %d %s", r.Code, r.Body)
	}
	if r := h.call("GET", "/api/v1/stats", h.yoga, ""); !strings.Contains(string(r.Body), `"subscribers":1`) {
		t.Errorf("stats: %s", r.Body)
	}
	if r := h.call("DELETE", subPath("+15550001001", ""), h.yoga, ""); r.Code != 204 {
		t.Errorf("remove: %d %s", r.Code, r.Body)
	}
	h.wantProblem(h.call("GET", subPath("+15550001001", ""), h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.call("DELETE", subPath("+15550001001", ""), h.yoga, ""), 404, KindNotFound)
}

// Pages follow their next link to the end, in phone order, none twice.
func TestSubscriberPages(t *testing.T) {
	h := newHarness(t)
	for i := range 7 {
		h.call("POST", "/api/v1/subscribers", h.admin, addBody(fmt.Sprintf("+1555000200%d", i), "YOGA"))
	}
	var got []string
	next := "/api/v1/subscribers?list=YOGA&limit=3"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("pages never end")
		}
		r := h.call("GET", next, h.admin, "")
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", next, r.Code, r.Body)
		}
		for _, s := range r.JSON["data"].([]any) {
			got = append(got, s.(map[string]any)["phone"].(string))
		}
		next, _ = r.JSON["next"].(string)
	}
	if len(got) != 7 || got[0] != "+15550002000" || got[6] != "+15550002006" {
		t.Errorf("phones %v", got)
	}
	h.wantProblem(h.send("GET", "/api/v1/subscribers?list=YOGA&cursor=!!", h.admin, ""), 422, KindInvalid)
	h.wantProblem(h.call("GET", "/api/v1/subscribers", h.admin, ""), 422, KindInvalid)
}

// A client's key never reaches another client's list: its subscribers
// are 404, as if they did not exist, whichever way the list is named.
func TestClientKeysAreWalled(t *testing.T) {
	h := newHarness(t)
	h.call("POST", "/api/v1/subscribers", h.bake, addBody("+15550003001", ""))
	h.wantProblem(h.call("GET", subPath("+15550003001", ""), h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.call("GET", subPath("+15550003001", "BAKE"), h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.call("DELETE", subPath("+15550003001", "BAKE"), h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.call("GET", "/api/v1/subscribers?list=BAKE", h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+15550003002", "BAKE")), 404, KindNotFound)
	if r := h.call("GET", "/api/v1/subscribers", h.yoga, ""); len(r.JSON["data"].([]any)) != 0 {
		t.Errorf("YOGA's key lists %s", r.Body)
	}
	if r := h.call("GET", "/api/v1/stats", h.yoga, ""); strings.Contains(string(r.Body), "BAKE") {
		t.Errorf("YOGA's stats show BAKE: %s", r.Body)
	}
	if r := h.call("GET", subPath("+15550003001", "bake"), h.admin, ""); r.Code != 200 {
		t.Errorf("admin key: %d %s", r.Code, r.Body)
	}
	if r := h.call("GET", "/api/v1/stats", h.admin, ""); !strings.Contains(string(r.Body), "BAKE") || !strings.Contains(string(r.Body), "YOGA") {
		t.Errorf("admin stats: %s", r.Body)
	}
}

// The same Idempotency-Key and request get the first answer again and add
// nothing twice; the key with another request is refused.
func TestIdempotency(t *testing.T) {
	h := newHarness(t)
	first := h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+15550004001", ""), "Idempotency-Key", "k-1")
	h.call("DELETE", subPath("+15550004001", ""), h.yoga, "")
	again := h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+15550004001", ""), "Idempotency-Key", "k-1")
	if first.Code != 201 || again.Code != 201 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s, first %d %s", again.Code, again.Body, first.Code, first.Body)
	}
	h.wantProblem(h.call("GET", subPath("+15550004001", ""), h.yoga, ""), 404, KindNotFound) // the replay did nothing
	h.wantProblem(h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+15550004002", ""), "Idempotency-Key", "k-1"), 422, KindIdempotencyReused)
	if r := h.call("POST", "/api/v1/subscribers", h.bake, addBody("+15550004002", ""), "Idempotency-Key", "k-1"); r.Code != 201 {
		t.Errorf("another key's k-1: %d %s", r.Code, r.Body)
	}
	h.wantProblem(h.send("POST", "/api/v1/subscribers", h.yoga, addBody("+15550004003", ""), "Idempotency-Key", "bad\x01"), 400, KindMalformed)
	h.wantProblem(h.send("POST", "/api/v1/subscribers", h.yoga, addBody("+15550004003", ""), "Idempotency-Key", strings.Repeat("k", 256)), 400, KindMalformed)
	if _, err := h.db.Prune(t0.Add(25 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r := h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+15550004002", ""), "Idempotency-Key", "k-1"); r.Code != 201 {
		t.Errorf("k-1 after a day: %d %s", r.Code, r.Body)
	}
}

// Past a burst of 50, a key gets 429 with Retry-After; another key is not
// held back, and a second later the key works again.
func TestRateLimit(t *testing.T) {
	h := newHarness(t)
	for i := range Burst {
		if r := h.call("GET", "/api/v1/stats", h.yoga, ""); r.Code != 200 {
			t.Fatalf("request %d: %d", i+1, r.Code)
		}
	}
	r := h.call("GET", "/api/v1/stats", h.yoga, "")
	h.wantProblem(r, 429, KindRateLimited)
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if r := h.call("GET", "/api/v1/stats", h.bake, ""); r.Code != 200 {
		t.Errorf("another key: %d", r.Code)
	}
	h.clock.Advance(time.Second)
	for i := range Rate {
		if r := h.call("GET", "/api/v1/stats", h.yoga, ""); r.Code != 200 {
			t.Errorf("request %d a second later: %d", i+1, r.Code)
		}
	}
	h.wantProblem(h.call("GET", "/api/v1/stats", h.yoga, ""), 429, KindRateLimited)
}

// An opted-out or erased phone is never added: 409.
func TestOptedOutIsConflict(t *testing.T) {
	h := newHarness(t)
	err := h.db.Update(func(tx bot.Tx) error {
		return tx.PutConversation(&bot.Conversation{Phone: "+15550005001", OptedOut: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	h.wantProblem(h.call("POST", "/api/v1/subscribers", h.yoga, addBody("+15550005001", "")), 409, KindOptedOut)
}

// Bad input gets a problem, never a 5xx, and never adds anyone.
func TestBadInput(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("x", 2048)
	consent := `"consent":{"source":"form","time":"2026-03-30T14:00:00Z"}`
	for _, c := range []struct {
		body   string
		status int
		kind   string
	}{
		{`{"phone":`, 400, KindMalformed},
		{`[]`, 400, KindMalformed},
		{`{"phone":"+15550006001",` + consent + `,"extra":1}`, 400, KindMalformed},
		{`{"phone":12,` + consent + `}`, 400, KindMalformed},
		{`{"phone":"+15550006001","consent":{"source":"form","time":"yesterday"}}`, 400, KindMalformed},
		{`{"phone":"` + long + `",` + consent + `}`, 422, KindInvalid},
		{`{"phone":"📞 555 000 6001",` + consent + `}`, 422, KindInvalid},
		{`{"phone":"12",` + consent + `}`, 422, KindInvalid},
		{`{"phone":"+15550006001"}`, 422, KindInvalid},
		{`{"phone":"+15550006001","consent":{"source":"` + long + `","time":"2026-03-30T14:00:00Z"}}`, 422, KindInvalid},
		{`{"phone":"+15550006001","consent":{"source":"form","time":"2026-03-30T14:00:00Z","text":"` + long + `"}}`, 422, KindInvalid},
		{`{"phone":"+15550006001","consent":{"source":"","time":"2026-03-30T14:00:00Z"}}`, 422, KindInvalid},
		{`{"phone":"+15550006001","consent":{"source":"form","time":"2027-01-01T00:00:00Z"}}`, 422, KindInvalid},
		{`{"phone":"+15550006001","list":"` + long + `",` + consent + `}`, 404, KindNotFound},
		{`{"phone":"+15550006001","pad":"` + strings.Repeat("x", 70<<10) + `"}`, 413, KindTooLarge},
	} {
		r := h.send("POST", "/api/v1/subscribers", h.yoga, c.body)
		if r.Code != c.status || r.JSON["type"] != ProblemBase+c.kind {
			t.Errorf("%.80s: %d %s, want %d %s", c.body, r.Code, r.Body, c.status, c.kind)
		}
	}
	for _, p := range []string{long, "📞", "%2Bx", "+1555000600🙂"} {
		if r := h.send("GET", "/api/v1/subscribers/"+p, h.yoga, ""); r.Code != 422 && r.Code != 404 && r.Code != 400 {
			t.Errorf("GET %.40s: %d %s", p, r.Code, r.Body)
		}
	}
	h.wantProblem(h.send("GET", "/api/v1/subscribers?limit=9999", h.yoga, ""), 422, KindInvalid)
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, h.request("PUT", "/api/v1/subscribers", h.yoga, "{}", nil)) // not in the document: checked by hand
	if (rec.Code != 404 && rec.Code != 405) || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("PUT: %d %s", rec.Code, rec.Body)
	}
	if r := h.call("GET", "/api/v1/stats", h.yoga, ""); !strings.Contains(string(r.Body), `"subscribers":0`) {
		t.Errorf("bad input added someone: %s", r.Body)
	}
}

// The check against the document can fail: an answer that breaks it (a
// phone not in E.164, a field it does not name) is caught.
func TestValidationCatchesDrift(t *testing.T) {
	v := docValidator(t)
	req, _ := http.NewRequest("GET", "/api/v1/subscribers/%2B15550001001", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	good := `{"object":"subscriber","phone":"+15550001001","list":"YOGA","joined_at":"2026-03-30T14:00:00Z"}`
	if err := checkResponse(v, req, 200, h, []byte(good)); err != nil {
		t.Fatalf("a good answer fails: %v", err)
	}
	for _, bad := range []string{
		`{"object":"subscriber","phone":"5550001001","list":"YOGA","joined_at":"2026-03-30T14:00:00Z"}`,
		`{"object":"subscriber","phone":"+15550001001","list":"YOGA","joined_at":"2026-03-30T14:00:00Z","secret":1}`,
		`{"object":"subscriber","phone":"+15550001001","list":"YOGA"}`,
		`{"object":"subscriber","phone":"+15550001001","list":"YOGA","joined_at":"2026-03-30T09:00:00-05:00"}`,
	} {
		if err := checkResponse(v, req, 200, h, []byte(bad)); err == nil {
			t.Errorf("%s passed validation", bad)
		}
	}
	if err := checkResponse(v, req, 418, h, []byte(good)); err == nil {
		t.Error("a status the document does not list passed validation")
	}
}

// A suspended or canceled client's list takes no new members by the API,
// as by SMS or its join page (a past-due one still does); removing stays.
func TestAddToInactiveListRefused(t *testing.T) {
	h := newHarness(t)
	set := func(st bot.ClientStatus) {
		t.Helper()
		err := h.db.Update(func(tx bot.Tx) error {
			c, err := tx.Client(bakePhone)
			if err != nil {
				return err
			}
			c.Status = st
			return tx.PutClient(c)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []bot.ClientStatus{bot.ClientSuspended, bot.ClientCanceled} {
		set(st)
		r := h.call("POST", "/api/v1/subscribers", h.bake, addBody("+15550001001", ""), "Idempotency-Key", "in-"+string(st))
		h.wantProblem(r, 409, "client-not-active")
	}
	set(bot.ClientPastDue)
	if r := h.call("POST", "/api/v1/subscribers", h.bake, addBody("+15550001001", ""), "Idempotency-Key", "pd"); r.Code != 201 {
		t.Fatalf("past due: %d %s", r.Code, r.Body)
	}
}
