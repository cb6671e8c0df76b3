package flows

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

var update = flag.Bool("update", false, "rewrite the expected replies in testdata/dialogues")

// Dialogue files (testdata/dialogues/*.txt) script conversations:
//
//	# comment
//	> +15550001111 YOGA            a text from that phone
//	>mms +15550001111 look         the same with one picture attached (>mms2: two)
//	>sid SM123 +15550001111 HI     with an explicit MessageSid (replays)
//	>optout STOP +15550001111 Stop  Twilio's Advanced Opt-Out answered it
//	>@+15550100001 +15550001111 JOIN   a text to that number (a client's own)
//	                                   instead of the service number; any
//	                                   kind takes @NUMBER (>optout@+1555…)
//	< +15550001111 You joined …    the inline reply (continuation lines
//	  second line of the reply      start with two spaces)
//	<< +15550002222 Sunrise: …     a message the turn put in the outbox
//	<<@2026-03-08T17:00Z +1907…    the same, held until then (send window)
//	<<(+15550100001) +1555…        the same, sent from a client's own number
//	! client +15550009999 YOGA Sunrise Yoga   a directive (see directives)
//
// Bodies may use {x*N} for N copies of x, \n for a new line, \uXXXX for a
// character by its code, and "" for empty.
// Expected lines (< and <<) are rewritten by `go test ./flows -update`.

// harness runs one dialogue against a fresh database.
type harness struct {
	t      *testing.T
	db     *store.DB
	clock  *bot.FixedClock
	engine *bot.Engine
	fan    *bot.FanOut
	brain  *Brain
	seq    int
	lastID uint64
	// claimed are messages `! claim` took for sending, not yet recorded.
	claimed []bot.OutMessage
}

// directives are the `!` lines; other test files add theirs in init.
var directives = map[string]func(h *harness, args string) error{
	"client":  directiveClient,
	"advance": directiveAdvance,
}

// harnessSetup runs after the harness is built; other test files add
// wiring (payments, plans) in init.
var harnessSetup []func(h *harness)

// Start is the dialogues' clock: a Monday afternoon.
var Start = time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "nudges.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := bot.NewFixedClock(Start)
	brain := &Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080", Support: "support@nudges.example"}
	h := &harness{t: t, db: db, clock: clock, brain: brain}
	tr := locales.MustLoad()
	h.engine = &bot.Engine{Store: db, Brain: brain, Clock: clock, T: tr, DefaultLocale: bot.English}
	// The fan-out runs before Handle returns, two list entries per
	// transaction, so a broadcast's rows follow its CONFIRM in order.
	h.fan = &bot.FanOut{Store: db, Compose: Composer(tr), Report: bot.ReportTo(tr), Clock: clock, Chunk: 2}
	h.engine.Notify = func() {
		if err := h.fan.Drain(context.Background()); err != nil {
			t.Errorf("fan-out: %v", err)
		}
	}
	for _, f := range harnessSetup {
		f(h)
	}
	return h
}

func TestDialogues(t *testing.T) {
	files, err := filepath.Glob("testdata/dialogues/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dialogues: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := newHarness(t).run(string(data))
			if *update {
				if err := os.WriteFile(f, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(data) {
				t.Errorf("dialogue differs (go test ./flows -run TestDialogues -update rewrites it):\n%s", diff(string(data), got))
			}
		})
	}
}

// run plays a script and returns it with the actual replies in place.
func (h *harness) run(script string) string {
	var out strings.Builder
	lines := strings.Split(strings.TrimRight(script, "\n"), "\n")
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "<"), strings.HasPrefix(line, "  "):
			continue // expected output: regenerated below
		case strings.HasPrefix(line, ">"):
			out.WriteString(line + "\n")
			h.send(&out, line)
		case strings.HasPrefix(line, "!"):
			out.WriteString(line + "\n")
			name, args, _ := strings.Cut(strings.TrimSpace(line[1:]), " ")
			d, ok := directives[name]
			if !ok {
				h.t.Fatalf("unknown directive %q", line)
			}
			if err := d(h, args); err != nil {
				h.t.Fatalf("%s: %v", line, err)
			}
			h.drainOutbox(&out)
		default:
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

func (h *harness) send(out *strings.Builder, line string) {
	kind, rest, _ := strings.Cut(line, " ")
	in := bot.Inbound{To: "+15550000000"}
	if k, to, ok := strings.Cut(kind, "@"); ok {
		kind, in.To = k, to
	}
	if kind == ">sid" {
		in.SID, rest, _ = strings.Cut(rest, " ")
	} else {
		h.seq++
		in.SID = fmt.Sprintf("SMdialogue%04d", h.seq)
	}
	if kind == ">optout" {
		in.OptOutType, rest, _ = strings.Cut(rest, " ")
	}
	if n, ok := strings.CutPrefix(kind, ">mms"); ok { // >mms: one picture, >mms3: three
		in.NumMedia, in.MediaURL, in.MediaType = 1, "https://api.twilio.test/media/0", "image/png"
		if k, err := strconv.Atoi(n); err == nil {
			in.NumMedia = k
		}
	}
	h.clock.Advance(time.Second) // texts take a moment: keeps join order real
	phone, body, _ := strings.Cut(rest, " ")
	in.From = bot.MustPhone(phone)
	in.Body = expandBody(body)
	reply, err := h.engine.Handle(context.Background(), in)
	if err != nil {
		h.t.Fatalf("%s: %v", line, err)
	}
	if reply.Text != "" {
		writeMsg(out, "<", in.From, reply.Text)
	}
	// A reply is a template filled with this phone's data; it stays within
	// two segments however much data there is.
	if n := utf8.RuneCountInString(reply.Text); n > bot.MaxReply {
		h.t.Errorf("%s: a reply of %d characters (limit %d): %q", line, n, bot.MaxReply, reply.Text)
	}
	h.drainOutbox(out)
}

// drainOutbox prints the messages queued since the last look.
func (h *harness) drainOutbox(out *strings.Builder) {
	var msgs []bot.OutMessage
	err := h.db.Read(func(tx *store.Tx) error {
		for id := h.lastID + 1; ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			msgs = append(msgs, *m)
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, m := range msgs {
		mark := "<<"
		if m.NextAt.After(h.clock.Now()) { // held for the send window
			mark = "<<@" + m.NextAt.UTC().Format("2006-01-02T15:04Z")
		}
		if m.From != "" { // a client's own number
			mark += "(" + string(m.From) + ")"
		}
		writeMsg(out, mark, m.To, m.Body)
		h.lastID = m.ID
	}
}

func writeMsg(out *strings.Builder, mark string, to bot.Phone, text string) {
	for i, l := range strings.Split(text, "\n") {
		if i == 0 {
			fmt.Fprintf(out, "%s %s %s\n", mark, to, l)
		} else {
			fmt.Fprintf(out, "  %s\n", l)
		}
	}
}

var repeatRE = regexp.MustCompile(`\{([^{}*]+)\*(\d+)\}`)

func expandBody(s string) string {
	if s == `""` {
		return ""
	}
	s = repeatRE.ReplaceAllStringFunc(s, func(m string) string {
		p := repeatRE.FindStringSubmatch(m)
		n, _ := strconv.Atoi(p[2])
		return strings.Repeat(p[1], n)
	})
	s = escapeRE.ReplaceAllStringFunc(s, func(m string) string {
		r, _ := strconv.ParseUint(m[2:], 16, 32)
		return string(rune(r))
	})
	return strings.ReplaceAll(s, `\n`, "\n")
}

// escapeRE is \uXXXX in a body: a character written by its code, for the
// invisible ones (\u200b, a zero-width space).
var escapeRE = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)

// directiveClient: `! client PHONE KEYWORD [status] Name words…` creates a
// client through the store (status defaults to active).
func directiveClient(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 3 {
		return fmt.Errorf("want PHONE KEYWORD [status] NAME")
	}
	status, name := bot.ClientActive, f[2:]
	switch bot.ClientStatus(f[2]) {
	case bot.ClientPending, bot.ClientActive, bot.ClientPastDue, bot.ClientCanceled, bot.ClientSuspended:
		status, name = bot.ClientStatus(f[2]), f[3:]
	}
	now := h.clock.Now()
	c := &bot.Client{
		Phone: bot.MustPhone(f[0]), Keyword: f[1], Name: strings.Join(name, " "), Status: status,
		PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now,
	}
	if status == bot.ClientSuspended {
		c.ResumeStatus = bot.ClientActive // an operator suspended a paying client
	}
	return h.db.Update(func(tx bot.Tx) error {
		if p, err := tx.Plans(); err == nil && len(p) > 0 {
			c.PlanID = p[0].ID
		}
		return tx.PutClient(c)
	})
}

// directiveAdvance: `! advance 31m` moves the clock.
func directiveAdvance(h *harness, args string) error {
	d, err := time.ParseDuration(strings.TrimSpace(args))
	if err != nil {
		return err
	}
	h.clock.Advance(d)
	return nil
}

// diff shows the first differing line of two texts with some context.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, wl, gl)
		}
	}
	return "(no line differs; trailing newline?)"
}
