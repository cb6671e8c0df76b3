package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

const (
	sub1 = bot.Phone("+15550001111")
	sub2 = bot.Phone("+15550002222")
)

// join puts phones on list by SMS.
func (h *harness) join(list string, phones ...bot.Phone) {
	h.t.Helper()
	for _, p := range phones {
		if r := h.text(p, list); !strings.Contains(r, "joined") && !strings.Contains(r, "Welcome") {
			h.t.Fatalf("%s joining %s: %q", p, list, r)
		}
	}
}

func annBody(fields ...string) string {
	var parts []string
	for i := 0; i+1 < len(fields); i += 2 {
		v, _ := json.Marshal(fields[i+1])
		parts = append(parts, fmt.Sprintf("%q:%s", fields[i], v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// used is how many announcements client p has counted this period.
func (h *harness) used(p bot.Phone) int {
	h.t.Helper()
	var n int
	err := h.db.View(func(tx bot.Tx) error {
		c, err := tx.Client(p)
		if err == nil {
			n = c.Used
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func idOf(r reply) string { return fmt.Sprint(r.JSON["id"]) }

func (h *harness) outboxTo(p bot.Phone) []bot.OutMessage {
	h.t.Helper()
	var out []bot.OutMessage
	err := h.db.View(func(tx bot.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			if m.To == p {
				out = append(out, *m)
			}
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// An announcement made through the API goes out as CONFIRM's does, once
// per Idempotency-Key; it is got with its counts and links, listed, and
// halted once.
func TestAnnouncementLifecycle(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1, sub2)
	body := annBody("text", "Class at 7: https://example.com/yoga")
	r := h.call("POST", "/api/v1/announcements", h.yoga, body, "Idempotency-Key", "ann-1")
	if r.Code != 201 || r.JSON["status"] != "sending" || r.JSON["recipients"] != 2.0 || r.JSON["sending_now"] != 2.0 ||
		r.JSON["waiting_for_window"] != 0.0 || r.JSON["list"] != "YOGA" {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	links := r.JSON["links"].([]any)
	short := links[0].(map[string]any)["short_url"].(string)
	if len(links) != 1 || !strings.HasPrefix(short, "http://localhost:8080/l/") {
		t.Errorf("links %v", links)
	}
	if got := h.outboxTo(sub1); len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sunrise Yoga: Class at 7: "+short+"\n") {
		t.Errorf("sub1 gets %+v", got)
	}
	again := h.call("POST", "/api/v1/announcements", h.yoga, body, "Idempotency-Key", "ann-1")
	if again.Code != 201 || !bytes.Equal(again.Body, r.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s", again.Code, again.Body)
	}
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Other"), "Idempotency-Key", "ann-1"), 422, KindIdempotencyReused)
	list := h.call("GET", "/api/v1/announcements", h.yoga, "")
	if data := list.JSON["data"].([]any); len(data) != 1 || list.JSON["next"] != nil {
		t.Fatalf("list after a replay: %s", list.Body)
	}
	if n := len(h.outboxTo(sub2)); n != 1 {
		t.Errorf("sub2 has %d rows after a replay, want 1", n)
	}
	path := "/api/v1/announcements/" + idOf(r)
	got := h.call("GET", path, h.yoga, "")
	if got.Code != 200 || got.JSON["counts"].(map[string]any)["queued"] != 2.0 || got.JSON["sending_now"] != nil {
		t.Errorf("get: %s", got.Body)
	}
	halted := h.call("POST", path+"/halt", h.yoga, "", "Idempotency-Key", "halt-1")
	if halted.Code != 200 || halted.JSON["status"] != "halted" || halted.JSON["counts"].(map[string]any)["halted"] != 2.0 {
		t.Errorf("halt: %d %s", halted.Code, halted.Body)
	}
	if replay := h.call("POST", path+"/halt", h.yoga, "", "Idempotency-Key", "halt-1"); replay.Code != 200 {
		t.Errorf("halt replayed: %d %s", replay.Code, replay.Body)
	}
	h.wantProblem(h.call("POST", path+"/halt", h.yoga, ""), 409, "already-finished")
	h.wantProblem(h.call("POST", path+"/cancel", h.yoga, ""), 409, "not-scheduled")
}

// send_at schedules as LATER does: the id stays when it goes out; cancel
// takes a scheduled one off and gives it back, and it is gone after.
func TestScheduledAnnouncement(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1)
	at := h.clock.Now().Add(2 * time.Hour).Format(time.RFC3339)
	r := h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Later", "send_at", at))
	if r.Code != 201 || r.JSON["status"] != "scheduled" || r.JSON["send_at"] != at || r.JSON["sending_now"] != nil {
		t.Fatalf("schedule: %d %s", r.Code, r.Body)
	}
	if reply := h.text(yogaPhone, "SCHEDULED"); !strings.Contains(reply, "Later") || h.used(yogaPhone) != 1 {
		t.Errorf("SCHEDULED: %q, %d counted", reply, h.used(yogaPhone))
	}
	path := "/api/v1/announcements/" + idOf(r)
	h.wantProblem(h.call("POST", path+"/halt", h.yoga, ""), 409, "still-scheduled")
	c := h.call("POST", path+"/cancel", h.yoga, "")
	if c.Code != 200 || c.JSON["status"] != "canceled" {
		t.Errorf("cancel: %d %s", c.Code, c.Body)
	}
	h.wantProblem(h.call("GET", path, h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.call("POST", path+"/cancel", h.yoga, ""), 404, KindNotFound)
	if used := h.used(yogaPhone); used != 0 {
		t.Errorf("%d announcements counted after the cancel, want 0", used)
	}
}

// An admin key names the list; a client key reaches its own only: another
// client's announcements are 404 whatever is tried.
func TestAnnouncementWalls(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1)
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.admin, annBody("text", "hi")), 422, KindInvalid)
	r := h.call("POST", "/api/v1/announcements", h.admin, annBody("text", "From the admin", "list", "yoga"))
	if r.Code != 201 || r.JSON["list"] != "YOGA" {
		t.Fatalf("admin create: %d %s", r.Code, r.Body)
	}
	path := "/api/v1/announcements/" + idOf(r)
	if g := h.call("GET", path+"?list=YOGA", h.admin, ""); g.Code != 200 {
		t.Errorf("admin get: %d %s", g.Code, g.Body)
	}
	h.wantProblem(h.call("GET", path+"?list=BAKE", h.admin, ""), 404, KindNotFound)
	for _, p := range []string{path, path + "?list=YOGA"} {
		h.wantProblem(h.call("GET", p, h.bake, ""), 404, KindNotFound)
	}
	h.wantProblem(h.call("POST", path+"/halt", h.bake, ""), 404, KindNotFound)
	h.wantProblem(h.call("POST", path+"/cancel", h.bake, ""), 404, KindNotFound)
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.bake, annBody("text", "x", "list", "YOGA")), 404, KindNotFound)
	if l := h.call("GET", "/api/v1/announcements", h.bake, ""); len(l.JSON["data"].([]any)) != 0 {
		t.Errorf("BAKE lists %s", l.Body)
	}
	h.wantProblem(h.call("GET", "/api/v1/announcements/999", h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.send("GET", "/api/v1/announcements/abc", h.yoga, ""), 404, KindNotFound)
	h.wantProblem(h.send("GET", "/api/v1/announcements", "", ""), 401, KindUnauthorized)
	keys, _ := bot.APIKeysOf(h.db, yogaPhone)
	if err := bot.RevokeAPIKey(h.db, t0, keys[0].ID, yogaPhone); err != nil {
		t.Fatal(err)
	}
	h.wantProblem(h.send("POST", "/api/v1/announcements", h.yoga, annBody("text", "revoked")), 401, KindUnauthorized)
}

// Pages of announcements follow their next link, newest first.
func TestAnnouncementPages(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1)
	var ids []string
	for i := range 3 {
		at := h.clock.Now().Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339)
		ids = append(ids, idOf(h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", fmt.Sprint("n", i), "send_at", at))))
	}
	var got []string
	next := "/api/v1/announcements?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("pages never end")
		}
		r := h.call("GET", next, h.yoga, "")
		for _, a := range r.JSON["data"].([]any) {
			got = append(got, fmt.Sprint(a.(map[string]any)["id"]))
		}
		next, _ = r.JSON["next"].(string)
	}
	if strings.Join(got, ",") != ids[2]+","+ids[1]+","+ids[0] {
		t.Errorf("ids %v, want %v newest first", got, ids)
	}
	h.wantProblem(h.send("GET", "/api/v1/announcements?cursor=!!", h.yoga, ""), 422, KindInvalid)
}

// Bad input gets a problem with its own type, never a 5xx, and sends nothing.
func TestAnnouncementBadInput(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1)
	soon := func(d time.Duration) string { return h.clock.Now().Add(d).Format(time.RFC3339) }
	for _, c := range []struct {
		body   string
		status int
		kind   string
	}{
		{`{"text":`, 400, KindMalformed},
		{`[]`, 400, KindMalformed},
		{`{"text":"hi","extra":1}`, 400, KindMalformed},
		{`{"text":"hi"} {"text":"again"}`, 400, KindMalformed},
		{`{"text":7}`, 400, KindMalformed},
		{annBody("text", "hi", "send_at", "tomorrow 9am"), 400, KindMalformed},
		{annBody("text", strings.Repeat("x", 2048)), 422, "text-too-long"},
		{annBody("text", strings.Repeat("é", 1590)), 422, "text-too-long"},
		{annBody("text", "   "), 422, "text-empty"},
		{annBody("text", "ring\u0007"), 422, "text-control"},
		{annBody("text", "hi", "send_at", soon(-time.Minute)), 422, "send-at-out-of-range"},
		{annBody("text", "hi", "send_at", soon(31*24*time.Hour)), 422, "send-at-out-of-range"},
		{annBody("text", "hi", "send_at", soon(time.Hour), "picture_url", "https://pics.example.com/a.png"), 422, "picture-refused"},
		{annBody("text", "hi", "picture_url", "ftp://pics.example.com/a.png"), 422, KindInvalid},
		{annBody("text", "hi", "picture_url", "http://10.0.0.1/a.png"), 422, "picture-refused"},
		{annBody("text", "hi", "pad", strings.Repeat("x", 70<<10)), 413, KindTooLarge},
	} {
		r := h.send("POST", "/api/v1/announcements", h.yoga, c.body)
		if r.Code != c.status || r.JSON["type"] != ProblemBase+c.kind {
			t.Errorf("%.80s: %d %s, want %d %s", c.body, r.Code, r.Body, c.status, c.kind)
		}
	}
	if l := h.call("GET", "/api/v1/announcements", h.yoga, ""); len(l.JSON["data"].([]any)) != 0 {
		t.Errorf("bad input made %s", l.Body)
	}
	r := h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Café ☕ at 7"))
	if r.Code != 201 || !strings.Contains(h.outboxTo(sub1)[0].Body, "Café ☕ at 7") {
		t.Errorf("emoji: %d %s", r.Code, r.Body)
	}
}

// CONFIRM's refusals come as their own problems: no subscribers, not
// active, no announcement left.
func TestAnnouncementRefusals(t *testing.T) {
	h := newHarness(t)
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "nobody")), 409, "no-subscribers")
	h.join("YOGA", sub1)
	for i := range 3 {
		if r := h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", fmt.Sprint("n", i))); r.Code != 201 {
			t.Fatalf("announcement %d: %d %s", i, r.Code, r.Body)
		}
	}
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "fourth")), 409, "quota-used-up")
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "later", "send_at", h.clock.Now().Add(time.Hour).Format(time.RFC3339))), 409, "quota-used-up")
	err := h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bakePhone)
		if err != nil {
			return err
		}
		c.Status = bot.ClientPastDue
		return tx.PutClient(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.bake, annBody("text", "hi")), 409, "client-not-active")
}

// A picture_url is fetched through the guard, checked and kept: the
// subscribers get an MMS of the kept copy.
func TestAnnouncementPicture(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1)
	var pic bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a.png" {
			w.Write(pic.Bytes())
			return
		}
		w.Write([]byte("<html>not a picture</html>"))
	}))
	defer srv.Close()
	h.wantProblem(h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "page", "picture_url", srv.URL+"/page")), 422, "picture-refused")
	r := h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Look", "picture_url", srv.URL+"/a.png"))
	kept, _ := r.JSON["picture_url"].(string)
	if r.Code != 201 || !strings.HasPrefix(kept, "http://localhost:8080/m/") {
		t.Fatalf("picture: %d %s", r.Code, r.Body)
	}
	if rows := h.outboxTo(sub1); len(rows) != 1 || rows[0].MediaURL != kept {
		t.Errorf("sub1 gets %+v", rows)
	}
}
