package twilio

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"nudges/bot"
)

func statusForm(status, code string) url.Values {
	f := url.Values{
		"MessageSid": {"SM0000000000000000000000000000abcd"}, "MessageStatus": {status},
		"AccountSid": {"AC00000000000000000000000000000001"}, "To": {testPhone}, "From": {testNumber},
	}
	if code != "" {
		f.Set("ErrorCode", code)
	}
	return f
}

type statusCase struct {
	label   string
	req     request
	sinkErr error
	status  int
	bodyHas string
	calls   []statusCall
}

func applied(st bot.MessageStatus, code int) []statusCall {
	return []statusCall{{SID: "SM0000000000000000000000000000abcd", Status: st, Code: code}}
}

var statusCases = []statusCase{
	{label: "queued is ignored", req: request{form: statusForm("queued", "")}, status: 200},
	{label: "accepted is ignored", req: request{form: statusForm("accepted", "")}, status: 200},
	{label: "sending is ignored", req: request{form: statusForm("sending", "")}, status: 200},
	{label: "sent", req: request{form: statusForm("sent", "")}, status: 200, calls: applied(bot.StatusSent, 0)},
	{label: "delivered", req: request{form: statusForm("delivered", "")}, status: 200, calls: applied(bot.StatusDelivered, 0)},
	{label: "read counts as delivered", req: request{form: statusForm("read", "")}, status: 200, calls: applied(bot.StatusDelivered, 0)},
	{label: "undelivered with code", req: request{form: statusForm("undelivered", "30003")}, status: 200,
		calls: applied(bot.StatusUndelivered, 30003)},
	{label: "failed with code", req: request{form: statusForm("failed", "30007")}, status: 200,
		calls: applied(bot.StatusFailed, 30007)},
	{label: "wrong signature", req: request{form: statusForm("delivered", ""), sign: signWrong},
		status: 403, bodyHas: "X-Twilio-Signature"},
	{label: "missing signature", req: request{form: statusForm("delivered", ""), sign: signNone},
		status: 403, bodyHas: "X-Twilio-Signature"},
	{label: "signature over another URL", req: request{form: statusForm("delivered", ""), sign: signOtherURL},
		status: 403, bodyHas: "X-Twilio-Signature"},
	{label: "SMS signature replayed on the status path",
		req:    request{path: PathStatus, form: statusForm("delivered", ""), sign: signValid},
		status: 200, calls: applied(bot.StatusDelivered, 0)},
	{label: "missing MessageSid", req: request{form: url.Values{"MessageStatus": {"sent"}}},
		status: 400, bodyHas: "MessageSid"},
	{label: "bad ErrorCode", req: request{form: statusForm("failed", "x")},
		status: 400, bodyHas: "ErrorCode"},
	{label: "malformed form", req: request{raw: str("MessageSid=%zz")},
		status: 400, bodyHas: "malformed form"},
	{label: "unknown sid is acknowledged", req: request{form: statusForm("delivered", "")},
		sinkErr: bot.Errorf(bot.ENOTFOUND, "no message SM…"), status: 200, calls: applied(bot.StatusDelivered, 0)},
	{label: "storage failure answers 500", req: request{form: statusForm("delivered", "")},
		sinkErr: errors.New("disk full"), status: 500, bodyHas: "retry", calls: applied(bot.StatusDelivered, 0)},
	{label: "body over 64 KiB", req: request{form: statusForm(strings.Repeat("x", 70000), "")}, status: 413},
}

func TestStatusWebhook(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.label, func(t *testing.T) {
			h := newHarness(t, testToken)
			h.sink.err = tc.sinkErr
			if tc.req.path == "" {
				tc.req.path = PathStatus
			}
			rec := h.serve(tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == http.StatusOK && rec.Body.Len() != 0 {
				t.Errorf("200 with body %q, want empty", rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.bodyHas) {
				t.Errorf("body %q does not contain %q", rec.Body, tc.bodyHas)
			}
			if got := h.sink.Calls(); !reflect.DeepEqual(got, tc.calls) {
				t.Errorf("sink calls %+v, want %+v", got, tc.calls)
			}
		})
	}
}
