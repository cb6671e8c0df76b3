package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

const numClient = bot.Phone("+15550004444")

// stubOps plays Twilio for the console's assign and release.
type stubOps struct {
	mu       sync.Mutex
	owned    map[bot.Phone]string // number → sid
	released []string
}

func (s *stubOps) Assign(_ context.Context, c bot.Client, p bot.Phone) (bot.OwnNumber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sid, ok := s.owned[p]
	if !ok {
		return bot.OwnNumber{}, bot.Errorf(bot.ENOTFOUND, "%s is not a number of this Twilio account", p)
	}
	return bot.OwnNumber{Kind: c.Own.Kind, Phone: p, PhoneSID: sid, ServiceSID: "MG1", State: bot.NumberVerifying}, nil
}

func (s *stubOps) Release(_ context.Context, n bot.OwnNumber) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = append(s.released, n.PhoneSID)
	return nil
}

type numHarness struct {
	*harness
	ops     *stubOps
	readied []bot.Phone
	kicks   int
}

func newNumberHarness(t *testing.T, own *bot.OwnNumber) *numHarness {
	t.Helper()
	nh := &numHarness{ops: &stubOps{owned: map[bot.Phone]string{"+18335550199": "PN199", "+15550004499": "PN499"}}}
	nh.harness = newHarness(t, func(c *Config) {
		c.Numbers, c.LocalRate, c.TollFreeRate = nh.ops, 1, 3
		c.NumberKick = func() { nh.kicks++ }
		c.NumberReady = func(tx bot.Tx, cl *bot.Client, now time.Time) error {
			nh.readied = append(nh.readied, cl.Own.Phone)
			return tx.PutClient(cl)
		}
	})
	nh.write(func(tx *store.Tx) error {
		p := &bot.Plan{Name: "Toll-free", Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, Number: bot.NumberTollFree}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: numClient, Name: "Sunrise Yoga", Keyword: "SUN", Status: bot.ClientActive, PlanID: p.ID, Own: own})
	})
	return nh
}

func (h *numHarness) own() *bot.OwnNumber {
	h.t.Helper()
	var c *bot.Client
	if err := h.db.Read(func(tx *store.Tx) (err error) { c, err = tx.Client(numClient); return err }); err != nil {
		h.t.Fatal(err)
	}
	return c.Own
}

// act posts a number action and follows the redirect to the client page.
func (h *numHarness) act(action string, form url.Values) string {
	h.t.Helper()
	st, loc, body := h.post(clientPath(numClient)+"/number/"+action, form)
	if st != http.StatusSeeOther || loc != clientPath(numClient) {
		h.t.Fatalf("%s: %d %q %.300s", action, st, loc, body)
	}
	_, _, body = h.get(loc)
	return body
}

func TestClientPageNeedsASessionAndCSRF(t *testing.T) {
	h := newNumberHarness(t, &bot.OwnNumber{Kind: bot.NumberLocal, State: bot.NumberVerifying, Phone: "+15550004499", PhoneSID: "PN499"})
	if st, loc, _ := h.get(clientPath(numClient)); st != http.StatusSeeOther || loc != "/admin/login" {
		t.Fatalf("no session: %d %q", st, loc)
	}
	h.get("/admin/login")
	for _, a := range []string{"retry", "registered", "rate", "assign", "release"} {
		if st, _, _ := h.post(clientPath(numClient)+"/number/"+a, url.Values{"rate": {"2"}}); st != http.StatusForbidden && st != http.StatusSeeOther {
			t.Errorf("%s without a session: %d", a, st)
		}
	}
	h.login()
	for _, a := range []string{"retry", "registered", "rate", "assign", "release"} {
		if st, _, _ := h.post(clientPath(numClient)+"/number/"+a, url.Values{"_csrf": {"forged"}, "rate": {"2"}, "confirm": {"1"}}); st != http.StatusForbidden {
			t.Errorf("%s with a forged token: %d", a, st)
		}
	}
	if o := h.own(); o.State != bot.NumberVerifying || o.Rate != 0 || len(h.ops.released) != 0 {
		t.Fatalf("a refused request changed the number: %+v", o)
	}
}

func TestClientPageBadInput(t *testing.T) {
	h := newNumberHarness(t, &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100", PhoneSID: "PN1"})
	h.login()
	for path, want := range map[string]int{
		"/admin/clients/not-a-phone": 400, "/admin/clients/%2B15550007777": 404, "/admin/clients/%2B1555000444%3Cb%3E": 400,
	} {
		if st, _, _ := h.get(path); st != want {
			t.Errorf("GET %s: %d, want %d", path, st, want)
		}
	}
	if st, _, _ := h.post("/admin/clients/%2B15550007777/number/retry", nil); st != http.StatusNotFound {
		t.Errorf("unknown client: %d", st)
	}
	if st, _, _ := h.post(clientPath(numClient)+"/number/explode", nil); st != http.StatusNotFound {
		t.Errorf("unknown action: %d", st)
	}
	for _, rate := range []string{"fast", "0", "-1", "NaN", "1e9"} {
		if body := h.act("rate", url.Values{"rate": {rate}}); !strings.Contains(body, "segments per second: a number above 0") {
			t.Errorf("rate %q accepted", rate)
		}
	}
	for want, f := range map[string]url.Values{
		"The number to assign":                   {"number": {"nope"}, "kind": {"local"}},
		"Pick whether the number is local":       {"number": {"+18335550199"}, "kind": {"mobile"}},
		"is not a number of this Twilio account": {"number": {"+18335550777"}, "kind": {"toll-free"}},
	} {
		if body := h.act("assign", f); !strings.Contains(body, want) {
			t.Errorf("assign %v: no %q", f, want)
		}
	}
	if body := h.act("release", nil); !strings.Contains(body, "Tick the box") {
		t.Error("released without the confirmation")
	}
	if body := h.act("registered", nil); !strings.Contains(body, "Only a local number") {
		t.Error("a toll-free number was marked registered")
	}
	if body := h.act("retry", nil); !strings.Contains(body, "nothing to retry") {
		t.Error("retry of a bought number")
	}
	if o := h.own(); o.Phone != "+18335550100" || o.State != bot.NumberVerifying || o.Rate != 0 || len(h.ops.released) != 0 {
		t.Fatalf("bad input changed the number: %+v", o)
	}
}

func TestClientPageNumberActions(t *testing.T) {
	h := newNumberHarness(t, &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberProvisioning, Tries: 3,
		NextTry: t0.Add(time.Hour), Reason: "no SMS-capable number is available"})
	h.login()
	_, _, body := h.get(clientPath(numClient))
	mustContain(t, body, "Sunrise Yoga", "provisioning", "no SMS-capable number is available", "Retry provisioning now", "3 segments/s")
	_, _, list := h.get("/admin/clients")
	mustContain(t, list, "toll-free · provisioning · 3/s")

	body = h.act("retry", nil)
	if o := h.own(); !o.NextTry.IsZero() || h.kicks != 1 {
		t.Fatalf("retry: %+v, kicks %d", o, h.kicks)
	}
	mustContain(t, body, "operator: retry provisioning")

	body = h.act("assign", url.Values{"number": {"+15550004499"}, "kind": {"local"}})
	if o := h.own(); o.Phone != "+15550004499" || o.PhoneSID != "PN499" || o.Kind != bot.NumberLocal || o.State != bot.NumberVerifying || o.Tries != 0 {
		t.Fatalf("assign: %+v", o)
	}
	mustContain(t, body, "operator: assigned +15550004499")

	h.act("rate", url.Values{"rate": {"2.5"}})
	if o := h.own(); o.Rate != 2.5 {
		t.Fatalf("rate: %+v", o)
	}
	h.act("registered", nil)
	if o := h.own(); o.State != bot.NumberReady || len(h.readied) != 1 {
		t.Fatalf("registered: %+v, readied %v", o, h.readied)
	}
	h.act("release", url.Values{"confirm": {"1"}})
	if o := h.own(); o.State != bot.NumberReleased || len(h.ops.released) != 1 || h.ops.released[0] != "PN499" {
		t.Fatalf("release: %+v, released %v", o, h.ops.released)
	}
}

// Another client's number cannot be assigned a second time.
func TestAssignRefusesAnotherClientsNumber(t *testing.T) {
	h := newNumberHarness(t, nil)
	h.write(func(tx *store.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15550005555", Name: "Bakery", Keyword: "BREAD", Status: bot.ClientActive,
			Own: &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberReady, Phone: "+18335550199", PhoneSID: "PN199"}})
	})
	h.login()
	if body := h.act("assign", url.Values{"number": {"+18335550199"}, "kind": {"toll-free"}}); !strings.Contains(body, "is Bakery's number") {
		t.Fatal("no conflict shown")
	}
	if h.own() != nil {
		t.Fatal("assigned")
	}
}

func TestPlanNumberSetting(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/plans/new")
	form := url.Values{"name": {"Own line"}, "price": {"29.00"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"30"}, "active": {"1"}, "number": {"toll-free"}}
	if st, _, body := h.post("/admin/plans", form); st != http.StatusSeeOther {
		t.Fatalf("create: %d %.300s", st, body)
	}
	var ps []bot.Plan
	h.db.Read(func(tx *store.Tx) (err error) { ps, err = tx.Plans(); return err })
	if len(ps) != 1 || ps[0].Number != bot.NumberTollFree {
		t.Fatalf("plans %+v", ps)
	}
	_, _, body := h.get("/admin/plans/" + "1")
	mustContain(t, body, `value="toll-free" selected`)
	form.Set("number", "satellite")
	h.get("/admin/plans/1")
	if st, _, body := h.post("/admin/plans/1", form); st != http.StatusUnprocessableEntity || !strings.Contains(body, "Pick shared, local or toll-free") {
		t.Fatalf("bad number: %d", st)
	}
	form.Set("number", "shared")
	h.get("/admin/plans/1")
	h.post("/admin/plans/1", form)
	h.db.Read(func(tx *store.Tx) (err error) { ps, err = tx.Plans(); return err })
	if ps[0].Number != bot.NumberShared {
		t.Fatalf("back to shared: %+v", ps[0])
	}
}
