package twilio

import (
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"
)

// Sign must agree with twilio-go's RequestValidator, which the server uses.
func TestSignAgreesWithRequestValidator(t *testing.T) {
	forms := []url.Values{
		{},
		sms(),
		sms("Body", "🎉 ¿sí? & <x> = 1+1"),
		sms("Body", ""),
		{"b": {"2"}, "a": {"1"}, "A": {"0"}, "a b": {"x y"}},
		{"Body": {"first", "second"}}, // repeated keys: first value, as the validator
	}
	urls := []string{testPublic + PathSMS, testPublic + PathSMS + "?x=1&y=%20", "http://localhost:8080/twilio/sms"}
	v := client.NewRequestValidator(testToken)
	for _, u := range urls {
		for _, f := range forms {
			params := map[string]string{}
			for k := range f {
				params[k] = f.Get(k)
			}
			sig := Sign(testToken, u, f)
			if !v.Validate(u, params, sig) {
				t.Errorf("validator rejects Sign(%q, %v) = %s", u, f, sig)
			}
			if v.Validate(u+"x", params, sig) {
				t.Errorf("validator accepts the signature for another URL")
			}
		}
	}
}

// The vector twilio-go's own tests use.
func TestSignKnownVector(t *testing.T) {
	form := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	got := Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form)
	if want := "vOEb5UThFn24KEfnOFLQY2AE5FY="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestSignerURLUsesPublicURLNotHost(t *testing.T) {
	s := newSigner(Config{AuthToken: testToken, PublicURL: testPublic + "/"})
	u, _ := url.Parse("http://127.0.0.1:8080/twilio/sms?a=1")
	if got, want := s.url(u), testPublic+"/twilio/sms?a=1"; got != want {
		t.Fatalf("signed URL %q, want %q", got, want)
	}
}
