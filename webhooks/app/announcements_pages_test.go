package app

import (
	"fmt"
	"strings"
	"testing"

	"nudges/bot"
)

// The history is paged, newest first, and lists this client's only.
func TestAnnouncementsPaged(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 25 {
		ids = append(ids, announcementIDs(h, phoneA)["id"])
	}
	other := announcementIDs(h, phoneB)["id"]
	b := h.signedIn(phoneA)
	first := b.get("/app/announcements").Body
	if n := strings.Count(first, `<article class="card announcement"`); n != historyPage {
		t.Errorf("first page lists %d, want %d", n, historyPage)
	}
	mustContain(t, first, "Announcement "+ids[24]+"</a>", fmt.Sprintf(`href="/app/announcements?before=%s" rel="next">Older`, ids[5]))
	second := b.get("/app/announcements?before=" + ids[5]).Body
	if n := strings.Count(second, `<article class="card announcement"`); n != 5 {
		t.Errorf("second page lists %d, want 5", n)
	}
	mustContain(t, second, "Announcement "+ids[0]+"</a>", `href="/app/announcements">Newest`)
	if strings.Contains(second, `rel="next"`) {
		t.Error("the last page links an older one")
	}
	for _, page := range []string{first, second, b.get("/app/announcements?before=" + other).Body} {
		if strings.Contains(page, "Announcement "+other+"<") {
			t.Errorf("A's history lists B's announcement %s", other)
		}
	}
	for _, bad := range []string{"abc", "-1", "99999999999999999999999", "%00"} {
		if r := b.get("/app/announcements?before=" + bad); r.Status != 200 || !strings.Contains(r.Body, "Announcement "+ids[24]+"</a>") {
			t.Errorf("before=%s: %d, want the first page", bad, r.Status)
		}
	}
	for _, bad := range []string{"0", "abc", "-1", "1e3", "99999999999999999999999"} {
		if r := b.get("/app/announcements/" + bad); r.Status != 404 {
			t.Errorf("/app/announcements/%s: %d, want 404", bad, r.Status)
		}
	}
}

// A client that may not send sees its announcements but no button to
// write, halt or cancel.
func TestAnnouncementsReadOnlyStates(t *testing.T) {
	h := newHarness(t)
	for _, p := range []bot.Phone{phoneSusp, phoneCanc, phonePast} {
		id := announcementIDs(h, p)["id"]
		b := h.session(p)
		list := b.get("/app/announcements").Body
		mustContain(t, list, "Announcement "+id+"</a>", "open again when your plan is active")
		detail := b.get("/app/announcements/" + id).Body
		mustContain(t, detail, "Wall check")
		compose := b.get("/app/announcements/new").Body
		mustContain(t, compose, "can be written again when your plan is active")
		for _, page := range []string{list, detail, compose} {
			for _, action := range []string{"/halt", "/cancel", "/app/announcements/preview", `href="/app/announcements/new"`} {
				if strings.Contains(page, action) {
					t.Errorf("%s: a page offers %s", p, action)
				}
			}
		}
	}
}
