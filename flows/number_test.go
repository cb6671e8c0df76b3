package flows

import (
	"context"
	"strings"
	"testing"

	"nudges/bot"
)

// With a Messaging Service there is no fixed sender: the client is told to
// share the number it signed up through, never a placeholder.
func TestLiveTextNamesTheNumberTheClientUsed(t *testing.T) {
	h := newHarness(t)
	h.brain.ServiceNumber = ""
	if err := directives["defaultplan"](h, ""); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, body := range []string{"SIGNUP", "Sunrise Yoga", "YOGA", "1"} {
		in := bot.Inbound{SID: "SMnum" + string(rune('a'+i)), From: "+15550009999", To: "+15557770000", Body: body}
		if _, err := h.engine.Handle(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := directivePay(h, "+15550009999"); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	h.drainOutbox(&out)
	if !strings.Contains(out.String(), "texting YOGA to +15557770000") {
		t.Fatalf("live text: %q; want the number the client texted", out.String())
	}
}
