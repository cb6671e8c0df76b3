package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/webhooks/hookout"
)

var t0 = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

const (
	yogaPhone  = bot.Phone("+15550009999") // client YOGA
	bakePhone  = bot.Phone("+15550008888") // client BAKE
	adminPhone = bot.Phone("+15550000001")
)

// harness is the API on a real store with two clients, a key for each and
// an admin key. Every request and response it makes is checked against
// the OpenAPI document.
type harness struct {
	t                 *testing.T
	db                *store.DB
	clock             *bot.FixedClock
	e                 *echo.Echo
	v                 validator.Validator
	yoga, bake, admin string // keys
	// The SMS side, for announcements and replies: the turn engine, the
	// Service the API calls (its fan-out run before a call returns), and
	// the picture server's address guard (loopback allowed).
	tr     bot.Translator
	brain  *flows.Brain
	engine *bot.Engine
	svc    *flows.Service
	seq    int
}

// world builds the SMS side on h's store and clock.
func (h *harness) world() {
	h.tr = locales.MustLoad()
	h.brain = &flows.Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080", Support: "help@nudges.example"}
	life := &bot.Lifecycle{Store: h.db, Report: bot.ReportTo(h.tr), Clock: h.clock}
	fan := &bot.FanOut{Store: h.db, Compose: flows.Composer(h.tr), Report: bot.ReportTo(h.tr), Clock: h.clock, Halt: life.Halt}
	notify := func() {
		if err := fan.Drain(context.Background()); err != nil {
			h.t.Errorf("fan-out: %v", err)
		}
	}
	h.engine = &bot.Engine{Store: h.db, Brain: h.brain, Clock: h.clock, T: h.tr, DefaultLocale: bot.English, Notify: notify}
	guard := hookout.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	h.svc = &flows.Service{Store: h.db, Clock: h.clock, T: h.tr, Brain: h.brain, Notify: notify,
		Pictures: &bot.Pictures{Fetch: PictureFetcher{Client: guard.Client(5 * time.Second)}, Keep: h.db,
			BaseURL: "http://localhost:8080", Token: func() (string, error) { return bot.RandomCode(20) }}}
}

// text sends body from phone as an SMS and returns the reply.
func (h *harness) text(phone bot.Phone, body string) string {
	h.t.Helper()
	h.clock.Advance(time.Second)
	h.seq++
	r, err := h.engine.Handle(context.Background(), bot.Inbound{SID: fmt.Sprintf("SMapi%04d", h.seq), From: phone, To: "+15550000000", Body: body})
	if err != nil {
		h.t.Fatalf("%s %q: %v", phone, body, err)
	}
	return r.Text
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Write(func(tx *store.Tx) error {
		plan := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 3, Active: true}
		if err := tx.PutPlan(plan); err != nil {
			return err
		}
		for _, c := range []bot.Client{{Phone: yogaPhone, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, PlanID: plan.ID},
			{Phone: bakePhone, Name: "Corner Bakery", Keyword: "BAKE", Status: bot.ClientActive, PlanID: plan.ID}} {
			if err := tx.PutClient(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, clock: bot.NewFixedClock(t0), e: echo.New(), v: docValidator(t)}
	h.world()
	New(Config{Store: db, Clock: h.clock, Service: h.svc}).Register(h.e)
	h.yoga = h.key(yogaPhone, "")
	h.bake = h.key(bakePhone, "")
	h.admin = h.key("", adminPhone)
	return h
}

func (h *harness) key(client, admin bot.Phone) string {
	token, _, err := bot.CreateAPIKey(h.db, t0, client, admin, "test")
	if err != nil {
		h.t.Fatal(err)
	}
	return token
}

func docValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		t.Fatalf("the OpenAPI document is not valid: %v", errs)
	}
	return v
}

// reply is one answer, its body decoded.
type reply struct {
	Code   int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// call sends a request the document allows and checks the answer against it.
func (h *harness) call(method, path, token, body string, header ...string) reply {
	h.t.Helper()
	if ok, errs := h.v.ValidateHttpRequest(h.request(method, path, token, body, header)); !ok {
		h.t.Errorf("%s %s: request does not match the OpenAPI document: %s", method, path, describe(errs))
	}
	return h.send(method, path, token, body, header...)
}

// send sends a request that may break the document (bad input) and checks
// only the answer against it.
func (h *harness) send(method, path, token, body string, header ...string) reply {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, h.request(method, path, token, body, header))
	res := rec.Result()
	data, _ := io.ReadAll(res.Body)
	if err := checkResponse(h.v, h.request(method, path, token, body, header), res.StatusCode, res.Header, data); err != nil {
		h.t.Errorf("%s %s: %v", method, path, err)
	}
	if res.StatusCode >= 500 {
		h.t.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	r := reply{Code: res.StatusCode, Header: res.Header, Body: data}
	json.Unmarshal(data, &r.JSON)
	return r
}

// checkResponse validates one answer against the document.
func checkResponse(v validator.Validator, req *http.Request, status int, header http.Header, body []byte) error {
	res := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	if ok, errs := v.ValidateHttpResponse(req, res); !ok {
		return fmt.Errorf("response %d %s does not match the OpenAPI document: %s", status, body, describe(errs))
	}
	return nil
}

func (h *harness) request(method, path, token, body string, header []string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func describe[E error](errs []E) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n\t" + e.Error())
	}
	return b.String()
}

// wantProblem checks r is a problem of kind with status.
func (h *harness) wantProblem(r reply, status int, kind string) {
	h.t.Helper()
	if r.Code != status || r.Header.Get("Content-Type") != "application/problem+json" ||
		r.JSON["type"] != ProblemBase+kind || r.JSON["status"] != float64(status) {
		h.t.Errorf("got %d %s %s, want a %d %s problem", r.Code, r.Header.Get("Content-Type"), r.Body, status, kind)
	}
}
