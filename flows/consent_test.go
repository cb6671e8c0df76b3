package flows

import (
	"fmt"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// consentLines are the ledger's records as "kind keyword phone sid".
func consentLines(t *testing.T, db *store.DB, keyword string) []string {
	t.Helper()
	var out []string
	err := db.EachConsent(keyword, 2, func(r bot.ConsentRecord) error {
		out = append(out, fmt.Sprintf("%s %s %s %s", r.Kind, r.Keyword, r.Phone, r.SID))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConsentRecordsFollowJoinLeaveStopStart(t *testing.T) {
	h := newHarness(t)
	h.run(`! client +15550009999 YOGA Sunrise Yoga
! client +15550008888 BREAD Corner Bakery
> +15550001111 YOGA
> +15550001111 YOGA
> +15550001111 BREAD
> +15550001111 LEAVE BREAD
> +15550001111 STOP
> +15550001111 STOP
> +15550001111 START
> +15550002222 STOP`)
	got := strings.Join(consentLines(t, h.db, ""), "\n")
	want := strings.Join([]string{
		"join YOGA +15550001111 SMdialogue0001",
		"join BREAD +15550001111 SMdialogue0003",
		"leave BREAD +15550001111 SMdialogue0004",
		"opt-out YOGA +15550001111 SMdialogue0005",
		"opt-in YOGA +15550001111 SMdialogue0007",
		"opt-out  +15550002222 SMdialogue0008",
	}, "\n")
	if got != want {
		t.Errorf("consent records:\n%s\nwant:\n%s", got, want)
	}
	if yoga := consentLines(t, h.db, "YOGA"); len(yoga) != 3 {
		t.Errorf("YOGA's records: %q", yoga)
	}
	var r bot.ConsentRecord
	h.db.EachConsent("", 10, func(x bot.ConsentRecord) error {
		if r.ID == 0 {
			r = x
		}
		return nil
	})
	if r.Text != "YOGA" || r.To != "+15550000000" || !strings.Contains(r.Source(), "MessageSid SMdialogue0001") {
		t.Errorf("first record's source: %+v", r)
	}
}

func TestErasedPhoneStaysOptedOutUntilItOptsIn(t *testing.T) {
	h := newHarness(t)
	h.run(`! client +15550009999 YOGA Sunrise Yoga
> +15550001111 YOGA`)
	if erased, err := h.db.Erase("+15550001111"); err != nil || !erased {
		t.Fatal(erased, err)
	}
	out := h.run(`> +15550001111 YOGA
> +15550001111 HELP
> +15550001111 START
> +15550001111 YOGA`)
	lines := strings.Split(out, "\n")
	if lines[1] != "> +15550001111 HELP" {
		t.Errorf("an erased phone's join was answered:\n%s", out)
	}
	if !strings.Contains(out, "You joined Sunrise Yoga") {
		t.Errorf("after START the phone cannot join:\n%s", out)
	}
	for _, l := range consentLines(t, h.db, "") {
		if strings.Contains(l, "join YOGA +15550001111 SMdialogue0001") {
			t.Errorf("the erased phone's number stayed in its consent record: %s", l)
		}
	}
}

func TestAdvancedOptOutIsACarrierOptOutRecord(t *testing.T) {
	h := newHarness(t)
	h.run(`! client +15550009999 YOGA Sunrise Yoga
> +15550001111 YOGA
>optout STOP +15550001111 Stop`)
	got := consentLines(t, h.db, "YOGA")
	if len(got) != 2 || !strings.HasPrefix(got[1], "carrier-opt-out YOGA +15550001111 SMdialogue") {
		t.Errorf("records %q", got)
	}
}
