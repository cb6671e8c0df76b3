package twilio

import (
	"mime"
	"net/http"
	"strings"
	"testing"

	"nudges/bot"
)

// smsCase is one inbound-webhook case: the request (sent repeat times), what
// must come back each time, and what the store must hold afterwards.
type smsCase struct {
	label   string
	req     request
	repeat  int // default 1
	prep    func(t *testing.T, h *harness)
	status  int
	reply   []string // for 200: the TwiML <Message> texts, nil for <Response/>
	bodyHas string   // for errors: a substring of the body
	turns   int64    // Brain turns run in all
	count   string   // conv.Vars["count"] of testPhone afterwards
}

var (
	long1600 = strings.Repeat("Sunrise yoga at 7. ", 84) + "Bring mats!!"
	over64K  = strings.Repeat("a", 64*1024)
	emoji    = "🎉 join yoga 👍 ¿sí? 日本"
)

var smsCases = []smsCase{
	{label: "valid signature", req: request{form: sms()},
		status: 200, reply: []string{"#1 JOIN YOGA"}, turns: 1, count: "1"},
	{label: "wrong signature", req: request{form: sms(), sign: signWrong},
		status: 403, bodyHas: "X-Twilio-Signature"},
	{label: "missing signature", req: request{form: sms(), sign: signNone},
		status: 403, bodyHas: "X-Twilio-Signature"},
	{label: "signature over a different public URL", req: request{form: sms(), sign: signOtherURL},
		status: 403, bodyHas: "X-Twilio-Signature"},
	{label: "signature covers the query", req: request{path: PathSMS + "?site=a%20b", form: sms()},
		status: 200, reply: []string{"#1 JOIN YOGA"}, turns: 1, count: "1"},
	{label: "malformed form", req: request{raw: str("MessageSid=SM1&From=%2B15550001111&Body=%zz")},
		status: 400, bodyHas: "malformed form"},
	{label: "not a form", req: request{raw: str(`{"Body":"hi"}`), ctype: "application/json"},
		status: 400, bodyHas: "Content-Type must be application/x-www-form-urlencoded"},
	{label: "body over 64 KiB", req: request{form: sms("Body", over64K)},
		status: 413},
	{label: "body over 64 KiB, chunked", req: request{form: sms("Body", over64K), chunked: true},
		status: 413, bodyHas: "64 KiB"},
	{label: "empty body", req: request{raw: str("")},
		status: 400, bodyHas: "missing MessageSid"},
	{label: "missing From", req: request{form: sms("From", "")},
		status: 400, bodyHas: "missing From"},
	{label: "From not a phone number", req: request{form: sms("From", "whatsapp:+15550001111")},
		status: 400, bodyHas: "not a phone number"},
	{label: "NumMedia not a number", req: request{form: sms("NumMedia", "two")},
		status: 400, bodyHas: "NumMedia"},
	{label: "empty text", req: request{form: sms("Body", "")},
		status: 200, reply: nil, turns: 1, count: "1"},
	{label: "MMS without text", req: request{form: sms("Body", "", "NumMedia", "2", "MediaUrl0", "https://api.twilio.com/m/1")},
		status: 200, reply: []string{"got 2 media, no text"}, turns: 1, count: "1"},
	{label: "emoji", req: request{form: sms("Body", emoji)},
		status: 200, reply: []string{"#1 " + emoji}, turns: 1, count: "1"},
	{label: "XML special characters", req: request{form: sms("Body", `Tom & Jerry <3 "yoga" ]]>`)},
		status: 200, reply: []string{`#1 Tom & Jerry <3 "yoga" ]]>`}, turns: 1, count: "1"},
	{label: "1,600-character body", req: request{form: sms("Body", long1600)},
		status: 200, reply: []string{"#1 " + long1600}, turns: 1, count: "1"},
	{label: "national number is normalized", req: request{form: sms("From", "(555) 000-1111")},
		status: 200, reply: []string{"#1 JOIN YOGA"}, turns: 1, count: "1"},
	{label: "replayed MessageSid six times", req: request{form: sms()}, repeat: 6,
		status: 200, reply: []string{"#1 JOIN YOGA"}, turns: 1, count: "1"},
	{label: "two MessageSids are two turns",
		prep: func(t *testing.T, h *harness) {
			if rec := h.serve(request{form: sms("MessageSid", "SMfirst")}); rec.Code != 200 {
				t.Fatalf("first message: %d %s", rec.Code, rec.Body)
			}
		},
		req:    request{form: sms()},
		status: 200, reply: []string{"#2 JOIN YOGA"}, turns: 2, count: "2"},
	// Twilio's Advanced Opt-Out has answered the phone: the turn runs (the
	// state changes) but the answer is <Response/>, replays included.
	{label: "Advanced Opt-Out STOP", req: request{form: sms("Body", "Stop", "OptOutType", "STOP")}, repeat: 2,
		status: 200, reply: nil, turns: 1, count: "1"},
	{label: "Advanced Opt-Out START", req: request{form: sms("Body", "UNSTOP", "OptOutType", "START")},
		status: 200, reply: nil, turns: 1, count: "1"},
	{label: "Advanced Opt-Out HELP, lower case", req: request{form: sms("Body", "info", "OptOutType", "help")},
		status: 200, reply: nil, turns: 1, count: "1"},
	{label: "storage failure answers 500 so Twilio retries",
		prep:   func(t *testing.T, h *harness) { h.db.Close() },
		req:    request{form: sms()},
		status: 500, bodyHas: "retry"},
}

func TestSMSWebhook(t *testing.T) {
	for _, tc := range smsCases {
		t.Run(tc.label, func(t *testing.T) {
			runSMSCase(t, newHarness(t, testToken), tc)
		})
	}
}

func runSMSCase(t *testing.T, h *harness, tc smsCase) {
	t.Helper()
	if tc.prep != nil {
		tc.prep(t, h)
	}
	before := h.brain.calls.Load()
	for i := range max(tc.repeat, 1) {
		rec := h.serve(tc.req)
		if rec.Code != tc.status {
			t.Fatalf("request %d: status %d, want %d; body %s", i+1, rec.Code, tc.status, rec.Body)
		}
		checkBody(t, rec.Result(), rec.Body.String(), tc)
	}
	if got := h.brain.calls.Load(); got != tc.turns {
		t.Errorf("brain ran %d turns, want %d (%d before the request)", got, tc.turns, before)
	}
	if tc.status == http.StatusInternalServerError {
		return // the database is closed
	}
	if got := h.conv(t, testPhone).Var("count"); got != tc.count {
		t.Errorf("stored count = %q, want %q", got, tc.count)
	}
}

func checkBody(t *testing.T, resp *http.Response, body string, tc smsCase) {
	t.Helper()
	if tc.status != http.StatusOK {
		if !strings.Contains(body, tc.bodyHas) {
			t.Errorf("body %q does not contain %q", body, tc.bodyHas)
		}
		return
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "text/xml" {
		t.Errorf("Content-Type %q, want text/xml", resp.Header.Get("Content-Type"))
	}
	got, err := ParseTwiML([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "\x00") != strings.Join(tc.reply, "\x00") || len(got) != len(tc.reply) {
		t.Errorf("reply %q, want %q (TwiML %s)", got, tc.reply, body)
	}
	if tc.reply == nil && !strings.HasSuffix(strings.TrimSpace(body), "<Response/>") {
		t.Errorf("no reply should be <Response/>, got %s", body)
	}
}

func TestSMSWithoutTokenNeedsNoSignature(t *testing.T) {
	h := newHarness(t, "")
	runSMSCase(t, h, smsCase{req: request{form: sms(), sign: signNone},
		status: 200, reply: []string{"#1 JOIN YOGA"}, turns: 1, count: "1"})
}

func TestBodyLimitBoundary(t *testing.T) {
	h := newHarness(t, testToken)
	form := sms("Body", "")
	pad := 64*1024 - len(form.Encode()) - len("&Body=")
	form.Set("Body", strings.Repeat("b", pad))
	if n := len(form.Encode()); n != 64*1024 {
		t.Fatalf("body is %d bytes, want exactly 64 KiB", n)
	}
	if rec := h.serve(request{form: form}); rec.Code != http.StatusOK {
		t.Fatalf("exactly 64 KiB: status %d, want 200", rec.Code)
	}
	form.Set("Body", strings.Repeat("b", pad+1))
	form.Set("MessageSid", "SM00000000000000000000000000000002")
	if n := len(form.Encode()); n != 64*1024+1 {
		t.Fatalf("body is %d bytes, want 64 KiB + 1", n)
	}
	if rec := h.serve(request{form: form}); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("64 KiB + 1: status %d, want 413", rec.Code)
	}
}

func TestRejectedRequestChangesNothing(t *testing.T) {
	h := newHarness(t, testToken)
	h.serve(request{form: sms(), sign: signWrong})
	if c := h.conv(t, bot.Phone(testPhone)); !c.FirstSeen.IsZero() || c.Var("count") != "" {
		t.Fatalf("a rejected webhook stored %+v", c)
	}
	// The same MessageSid, correctly signed afterwards, still runs.
	if rec := h.serve(request{form: sms()}); rec.Code != 200 || h.brain.calls.Load() != 1 {
		t.Fatalf("signed retry: %d, %d turns", rec.Code, h.brain.calls.Load())
	}
}
