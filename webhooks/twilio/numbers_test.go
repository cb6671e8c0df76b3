package twilio

import (
	"context"
	"errors"
	"testing"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

func newNumbers(t *testing.T) (*Numbers, *twiliotest.Server) {
	t.Helper()
	tw := twiliotest.New(t)
	n, err := NewNumbers(Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: testNumber,
		APIBase: tw.URL, MessagingAPIBase: tw.URL, PublicURL: testPublic})
	if err != nil {
		t.Fatal(err)
	}
	return n, tw
}

func ownClient(phone bot.Phone, kind bot.NumberKind) bot.Client {
	return bot.Client{Phone: phone, Own: &bot.OwnNumber{Kind: kind, State: bot.NumberProvisioning}}
}

// Happy path: a service tagged with the client, a number in its area code
// bought with the tag, and the number added to the service.
func TestProvisionBuysInTheClientsAreaCode(t *testing.T) {
	n, tw := newNumbers(t)
	own, err := n.Provision(context.Background(), ownClient("+13125550000", bot.NumberLocal))
	if err != nil {
		t.Fatal(err)
	}
	if own.Phone != "+13125550152" || own.State != bot.NumberVerifying || own.PhoneSID == "" || own.ServiceSID == "" {
		t.Fatalf("own = %+v", own)
	}
	svcs := tw.Services()
	if len(svcs) != 1 || svcs[0].FriendlyName != "Nudges +13125550000" || svcs[0].InboundRequestURL != testPublic+"/twilio/sms" ||
		svcs[0].StatusCallback != testPublic+"/twilio/status" || len(svcs[0].Numbers) != 1 || svcs[0].Numbers[0] != own.PhoneSID {
		t.Fatalf("services = %+v", svcs)
	}
	in := tw.Incoming()
	if tw.Purchases() != 1 || len(in) != 1 || in[0].FriendlyName != "Nudges +13125550000" {
		t.Fatalf("purchases %d, incoming %+v", tw.Purchases(), in)
	}
}

// No number in the area code: near the client's phone, then anywhere.
func TestProvisionSearchesNearThenAnywhere(t *testing.T) {
	n, tw := newNumbers(t)
	own, err := n.Provision(context.Background(), ownClient("+13105550000", bot.NumberLocal))
	if err != nil || own.Phone != "+13125550152" {
		t.Fatalf("near: %+v, %v", own, err)
	}
	tw.SetAvailable("Local", "+19175550100")
	own, err = n.Provision(context.Background(), ownClient("+13105550001", bot.NumberLocal))
	if err != nil || own.Phone != "+19175550100" {
		t.Fatalf("anywhere: %+v, %v", own, err)
	}
	var filters []string
	for _, c := range tw.Calls() {
		if c.Method == "GET" && c.Path == "/2010-04-01/Accounts/"+tw.AccountSID+"/AvailablePhoneNumbers/US/Local.json" {
			filters = append(filters, "area="+c.Form.Get("AreaCode")+" near="+c.Form.Get("NearNumber")+" sms="+c.Form.Get("SmsEnabled"))
		}
	}
	want := []string{"area=310 near= sms=true", "area= near=+13105550000 sms=true",
		"area=310 near= sms=true", "area= near=+13105550001 sms=true", "area= near= sms=true"}
	if len(filters) != len(want) {
		t.Fatalf("searches %q, want %q", filters, want)
	}
	for i := range want {
		if filters[i] != want[i] {
			t.Fatalf("searches %q, want %q", filters, want)
		}
	}
	tw.SetAvailable("Local")
	if _, err := n.Provision(context.Background(), ownClient("+13105550002", bot.NumberLocal)); !errors.Is(err, ErrNoNumber) {
		t.Fatalf("none for sale: %v", err)
	}
}

func TestProvisionTollFree(t *testing.T) {
	n, tw := newNumbers(t)
	own, err := n.Provision(context.Background(), ownClient("+13125550000", bot.NumberTollFree))
	if err != nil || own.Phone != "+18335550100" || own.Kind != bot.NumberTollFree {
		t.Fatalf("%+v, %v", own, err)
	}
	if tw.Purchases() != 1 {
		t.Fatal(tw.Purchases())
	}
}

// A crash after the purchase and before anything was recorded: provisioning
// starts again from the stored state (nothing but the kind) and finds the
// tagged number and service instead of buying another.
func TestProvisionAfterACrashNeverBuysTwice(t *testing.T) {
	n, tw := newNumbers(t)
	c := ownClient("+13125550000", bot.NumberLocal)
	tw.ScriptNumbers(twiliotest.OK, twiliotest.OK, twiliotest.OK, twiliotest.OK, twiliotest.OK,
		twiliotest.Response{Status: 500, Code: 20500}) // list svc, create svc, list tagged, search, buy | add to service fails
	if _, err := n.Provision(context.Background(), c); err == nil {
		t.Fatal("the scripted failure was not reported")
	}
	if tw.Purchases() != 1 {
		t.Fatalf("purchases %d before the retry", tw.Purchases())
	}
	for range 2 { // and once more after it succeeded
		own, err := n.Provision(context.Background(), c)
		if err != nil || own.Phone != "+13125550152" {
			t.Fatalf("%+v, %v", own, err)
		}
	}
	if tw.Purchases() != 1 || len(tw.Services()) != 1 || len(tw.Services()[0].Numbers) != 1 {
		t.Fatalf("purchases %d, services %+v", tw.Purchases(), tw.Services())
	}
}

func TestProvisionReportsTwilioDown(t *testing.T) {
	n, tw := newNumbers(t)
	tw.ScriptNumbers(twiliotest.Response{Status: 503, Code: 20503})
	if _, err := n.Provision(context.Background(), ownClient("+13125550000", bot.NumberLocal)); err == nil {
		t.Fatal("no error")
	}
	if tw.Purchases() != 0 {
		t.Fatal(tw.Purchases())
	}
}

func TestReleaseDeletesTheNumber(t *testing.T) {
	n, tw := newNumbers(t)
	own, err := n.Provision(context.Background(), ownClient("+13125550000", bot.NumberLocal))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Release(context.Background(), own); err != nil {
		t.Fatal(err)
	}
	if len(tw.Incoming()) != 0 {
		t.Fatalf("still owned: %+v", tw.Incoming())
	}
	if err := n.Release(context.Background(), own); err != nil { // already gone: released
		t.Fatal(err)
	}
}

func TestTollFreeVerificationSubmitAndPoll(t *testing.T) {
	n, tw := newNumbers(t)
	own, err := n.Provision(context.Background(), ownClient("+13125550000", bot.NumberTollFree))
	if err != nil {
		t.Fatal(err)
	}
	if st, _, err := n.Verification(context.Background(), own); err != nil || st != bot.NumberVerifying {
		t.Fatalf("before submitting: %v %v", st, err)
	}
	reg := bot.Registration{BusinessName: "Sunrise Yoga LLC", Website: "https://sunrise.example.com", Street: "1 Main St",
		City: "Springfield", Region: "IL", PostalCode: "62701", ContactFirst: "Ana", ContactLast: "Diaz",
		Email: "ana@sunrise.example.com", ContactPhone: "+13125550000", UseCase: "MARKETING", Volume: "1,000",
		Sample: "Class at 6pm tonight!", OptIn: "text YOGA to +18335550100", OptInImage: "https://nudges.example.com/j/YOGA"}
	sid, err := n.SubmitVerification(context.Background(), own, reg)
	if err != nil {
		t.Fatal(err)
	}
	vs := tw.Verifications()
	if len(vs) != 1 || vs[0].SID != sid || vs[0].Form.Get("TollfreePhoneNumberSid") != own.PhoneSID ||
		vs[0].Form.Get("BusinessName") != reg.BusinessName || vs[0].Form.Get("OptInImageUrls") != reg.OptInImage ||
		vs[0].Form.Get("MessageVolume") != "1,000" || vs[0].Form.Get("OptInType") != "VIA_TEXT" {
		t.Fatalf("verifications %+v", vs)
	}
	own.VerificationSID = sid
	for _, tc := range []struct {
		status, reason string
		want           bot.NumberState
	}{{"IN_REVIEW", "", bot.NumberVerifying}, {"TWILIO_REJECTED", "Website not reachable", bot.NumberRejected}, {"TWILIO_APPROVED", "", bot.NumberReady}} {
		tw.SetVerification(sid, tc.status, tc.reason)
		st, reason, err := n.Verification(context.Background(), own)
		if err != nil || st != tc.want || reason != tc.reason {
			t.Fatalf("%s: %v %q %v", tc.status, st, reason, err)
		}
	}
}

func TestAssignAnExistingNumber(t *testing.T) {
	n, tw := newNumbers(t)
	sid := tw.AddIncoming("+15557770123", "bought by hand")
	own, err := n.Assign(context.Background(), ownClient("+13125550000", bot.NumberLocal), "+15557770123")
	if err != nil || own.PhoneSID != sid || own.Phone != "+15557770123" || own.State != bot.NumberVerifying {
		t.Fatalf("%+v, %v", own, err)
	}
	var be *bot.Error
	if _, err := n.Assign(context.Background(), ownClient("+13125550000", bot.NumberLocal), "+15557770999"); !errors.As(err, &be) {
		t.Fatalf("unknown number: %v", err)
	}
	if tw.Purchases() != 0 {
		t.Fatal("assigning bought a number")
	}
}

// In a test binary a Messaging API base that is not loopback is refused
// at the first call, never reached.
func TestNumbersNeverLeaveTheMachineInTests(t *testing.T) {
	tw := twiliotest.New(t)
	n, err := NewNumbers(Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: testNumber,
		APIBase: tw.URL, PublicURL: testPublic})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Provision(context.Background(), ownClient("+13125550000", bot.NumberLocal))
	if !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("provision against messaging.twilio.com: %v", err)
	}
	if _, err := NewNumbers(Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: testNumber,
		PublicURL: testPublic, MessagingAPIBase: tw.URL}); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("api.twilio.com accepted: %v", err)
	}
}
