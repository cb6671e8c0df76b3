package bot

import (
	"errors"
	"testing"
	"time"
)

var otpT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func matchHash(code string) func(string) bool {
	return func(h string) bool { return h == "h:"+code }
}

// sentRecord returns a record whose code "123456" was issued at now.
func sentRecord(t *testing.T, p OTPPolicy, now time.Time) *OTPRecord {
	t.Helper()
	r := &OTPRecord{Phone: "+15550001111"}
	if err := p.Request(r, now, "h:123456"); err != nil {
		t.Fatalf("request: %v", err)
	}
	if r.State != OTPRequested {
		t.Fatalf("state after request = %q", r.State)
	}
	if err := p.Sent(r); err != nil {
		t.Fatalf("sent: %v", err)
	}
	if r.State != OTPSent {
		t.Fatalf("state after sent = %q", r.State)
	}
	return r
}

func TestOTPVerifyIsSingleUse(t *testing.T) {
	p := DefaultOTPPolicy
	r := sentRecord(t, p, otpT0)
	if err := p.Check(r, otpT0.Add(time.Minute), matchHash("123456")); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if r.State != OTPVerified || r.Hash != "" {
		t.Fatalf("after verify: state %q hash %q", r.State, r.Hash)
	}
	if err := p.Check(r, otpT0.Add(time.Minute), matchHash("123456")); !errors.Is(err, ErrOTPNoCode) {
		t.Fatalf("second use = %v, want ErrOTPNoCode", err)
	}
}

func TestOTPFiveChecksThenLocked(t *testing.T) {
	p := DefaultOTPPolicy
	r := sentRecord(t, p, otpT0)
	for i := 1; i <= 5; i++ {
		if err := p.Check(r, otpT0, matchHash("000000")); !errors.Is(err, ErrOTPWrong) {
			t.Fatalf("check %d = %v, want ErrOTPWrong", i, err)
		}
		if got := p.ChecksLeft(r); got != 5-i {
			t.Fatalf("after check %d: %d left", i, got)
		}
	}
	if r.State != OTPLocked {
		t.Fatalf("after 5 wrong checks state = %q", r.State)
	}
	if err := p.Check(r, otpT0, matchHash("123456")); !errors.Is(err, ErrOTPLocked) {
		t.Fatalf("sixth check with the right code = %v, want ErrOTPLocked", err)
	}
}

func TestOTPExpires(t *testing.T) {
	p := DefaultOTPPolicy
	r := sentRecord(t, p, otpT0)
	if err := p.Check(r, otpT0.Add(10*time.Minute), matchHash("123456")); !errors.Is(err, ErrOTPExpired) {
		t.Fatalf("check at 10 min = %v, want ErrOTPExpired", err)
	}
	if r.State != OTPLocked {
		t.Fatalf("state = %q", r.State)
	}
}

func TestOTPResendWaitAndHourlyLimit(t *testing.T) {
	p := DefaultOTPPolicy
	r := sentRecord(t, p, otpT0)
	if err := p.Request(r, otpT0.Add(29*time.Second), "h:2"); !errors.Is(err, ErrOTPWait) {
		t.Fatalf("resend at 29 s = %v, want ErrOTPWait", err)
	}
	if r.Hash != "h:123456" || r.State != OTPSent {
		t.Fatalf("refused request changed the record: %+v", r)
	}
	if got := p.WaitLeft(r, otpT0.Add(20*time.Second)); got != 10*time.Second {
		t.Fatalf("wait left = %v", got)
	}
	now := otpT0
	for i := 2; i <= 5; i++ {
		now = now.Add(30 * time.Second)
		if err := p.Request(r, now, "h:n"); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
		if err := p.Sent(r); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	if err := p.Request(r, now, "h:6"); !errors.Is(err, ErrOTPTooMany) {
		t.Fatalf("sixth code in the hour = %v, want ErrOTPTooMany", err)
	}
	if err := p.Request(r, otpT0.Add(time.Hour), "h:7"); err != nil {
		t.Fatalf("an hour after the first: %v", err)
	}
	if len(r.Issued) != 5 {
		t.Fatalf("issued window holds %d", len(r.Issued))
	}
}

func TestOTPNewCodeAfterLockAndVerify(t *testing.T) {
	p := DefaultOTPPolicy
	r := sentRecord(t, p, otpT0)
	for range 5 {
		_ = p.Check(r, otpT0, matchHash("x"))
	}
	if err := p.Request(r, otpT0.Add(time.Minute), "h:654321"); err != nil {
		t.Fatalf("request after lock: %v", err)
	}
	if err := p.Sent(r); err != nil {
		t.Fatal(err)
	}
	if r.Checks != 0 || p.ChecksLeft(r) != 5 {
		t.Fatalf("checks not reset: %+v", r)
	}
	if err := p.Check(r, otpT0.Add(2*time.Minute), matchHash("654321")); err != nil {
		t.Fatalf("new code: %v", err)
	}
	if err := p.Request(r, otpT0.Add(3*time.Minute), "h:3"); err != nil || r.State != OTPRequested {
		t.Fatalf("request after verify: %v %q", err, r.State)
	}
}

func TestOTPEmptyHashMatchesNothing(t *testing.T) {
	p := DefaultOTPPolicy
	r := &OTPRecord{}
	if err := p.Request(r, otpT0, ""); err != nil {
		t.Fatal(err)
	}
	if err := p.Sent(r); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	if err := p.Check(r, otpT0, all); !errors.Is(err, ErrOTPWrong) {
		t.Fatalf("decoy record accepted a code: %v", err)
	}
}

func TestOTPRejectsUnknownStateAndBadEvents(t *testing.T) {
	p := DefaultOTPPolicy
	if err := p.Request(&OTPRecord{State: "bogus"}, otpT0, "h"); err == nil {
		t.Fatal("unknown stored state accepted")
	}
	if err := p.Sent(&OTPRecord{State: OTPVerified}); err == nil {
		t.Fatal("send from verified accepted")
	}
	if err := p.Check(&OTPRecord{}, otpT0, matchHash("1")); !errors.Is(err, ErrOTPNoCode) {
		t.Fatalf("check with no code = %v", err)
	}
	if ErrorCode(ErrOTPTooMany) != ELIMIT {
		t.Fatal("limit errors must carry ELIMIT")
	}
}
