package api

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nudges/bot"
)

// Replies to an announcement are threads by #n with their last messages,
// never the phone; an answer goes out as "#n text" does, once per
// Idempotency-Key, and another client's threads are 404.
func TestRepliesThreads(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1, sub2)
	ann := h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Class at 7"))
	h.text(sub1, "is class full?")
	h.text(sub2, "see you there")
	r := h.call("GET", "/api/v1/replies?limit=1", h.yoga, "")
	data := r.JSON["data"].([]any)
	if r.Code != 200 || len(data) != 1 || data[0].(map[string]any)["handle"] != "#2" {
		t.Fatalf("first page: %d %s", r.Code, r.Body)
	}
	next, _ := r.JSON["next"].(string)
	r2 := h.call("GET", next, h.yoga, "")
	th := r2.JSON["data"].([]any)[0].(map[string]any)
	msgs := th["messages"].([]any)
	if th["n"] != 1.0 || len(msgs) != 1 || msgs[0].(map[string]any)["text"] != "is class full?" || msgs[0].(map[string]any)["direction"] != "in" || r2.JSON["next"] != nil {
		t.Errorf("second page: %s", r2.Body)
	}
	for _, body := range [][]byte{r.Body, r2.Body} {
		if strings.Contains(string(body), "555000") {
			t.Errorf("a thread shows a phone: %s", body)
		}
	}
	a := h.call("POST", "/api/v1/replies/1", h.yoga, `{"text":"Not yet!"}`, "Idempotency-Key", "ans-1")
	if a.Code != 201 || len(a.JSON["messages"].([]any)) != 2 {
		t.Fatalf("answer: %d %s", a.Code, a.Body)
	}
	if again := h.call("POST", "/api/v1/replies/1", h.yoga, `{"text":"Not yet!"}`, "Idempotency-Key", "ans-1"); again.Code != 201 || string(again.Body) != string(a.Body) {
		t.Errorf("replay: %d %s", again.Code, again.Body)
	}
	var answers []string
	for _, m := range h.outboxTo(sub1) {
		if m.Kind == bot.KindReply {
			answers = append(answers, m.Body)
		}
	}
	if !slices.Equal(answers, []string{"Sunrise Yoga: Not yet!"}) {
		t.Errorf("sub1 got %q, want the answer once", answers)
	}
	if g := h.call("GET", "/api/v1/announcements/"+idOf(ann), h.yoga, ""); g.JSON["replies"] != 2.0 {
		t.Errorf("replies counted: %s", g.Body)
	}
	if b := h.call("GET", "/api/v1/replies", h.bake, ""); len(b.JSON["data"].([]any)) != 0 {
		t.Errorf("BAKE sees %s", b.Body)
	}
	h.wantProblem(h.call("POST", "/api/v1/replies/1", h.bake, `{"text":"hi"}`), 404, KindNotFound)
	h.wantProblem(h.call("POST", "/api/v1/replies/1", h.bake, `{"text":"hi","list":"YOGA"}`), 404, KindNotFound)
	if r := h.call("GET", "/api/v1/replies?list=YOGA", h.admin, ""); len(r.JSON["data"].([]any)) != 2 {
		t.Errorf("admin: %s", r.Body)
	}
	h.wantProblem(h.call("GET", "/api/v1/replies", h.admin, ""), 422, KindInvalid)
}

// Bad answers are refused with their own problem types and send nothing.
func TestRepliesBadInput(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", sub1)
	h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Class at 7"))
	h.text(sub1, "is class full?")
	for _, c := range []struct {
		path, body string
		status     int
		kind       string
	}{
		{"/api/v1/replies/1", `{"text":`, 400, KindMalformed},
		{"/api/v1/replies/1", `{"text":"hi","to":"+15550001111"}`, 400, KindMalformed},
		{"/api/v1/replies/1", `{"text":""}`, 422, "text-empty"},
		{"/api/v1/replies/1", `{"text":"ring\u0007"}`, 422, "text-control"},
		{"/api/v1/replies/1", fmt.Sprintf(`{"text":%q}`, strings.Repeat("x", 2048)), 422, "text-too-long"},
		{"/api/v1/replies/9", `{"text":"hi"}`, 404, KindNotFound},
		{"/api/v1/replies/abc", `{"text":"hi"}`, 404, KindNotFound},
		{"/api/v1/replies/0", `{"text":"hi"}`, 404, KindNotFound},
	} {
		r := h.send("POST", c.path, h.yoga, c.body)
		if r.Code != c.status || r.JSON["type"] != ProblemBase+c.kind {
			t.Errorf("%s %.60s: %d %s, want %d %s", c.path, c.body, r.Code, r.Body, c.status, c.kind)
		}
	}
	h.wantProblem(h.send("GET", "/api/v1/replies?cursor=bm90LWEtY3Vyc29y", h.yoga, ""), 422, KindInvalid)
	h.text(sub1, "STOP")
	h.wantProblem(h.call("POST", "/api/v1/replies/1", h.yoga, `{"text":"still there?"}`), 409, "subscriber-gone")
	for _, m := range h.outboxTo(sub1) {
		if m.Kind == bot.KindReply && strings.HasPrefix(m.Body, "Sunrise Yoga:") {
			t.Errorf("an answer went out: %q", m.Body)
		}
	}
}
