package flows

import (
	"bytes"
	"strings"
	"testing"

	"nudges/store"
	"nudges/store/kv"
)

// clearCopies lists where the store holds digits in clear, as
// "bucket key" for every key or value that contains them.
func clearCopies(t *testing.T, db *store.DB, digits string) []string {
	t.Helper()
	var hits []string
	err := db.KV().View(func(tx kv.Tx) error {
		return tx.ForEachBucket(func(name []byte) error {
			return tx.Bucket(name).ForEach(func(k, v []byte) error {
				if bytes.Contains(k, []byte(digits)) || bytes.Contains(v, []byte(digits)) {
					hits = append(hits, string(name)+" "+string(k))
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestErasedPhoneLeavesNoClearNumber: after Erase, the phone's later texts
// get the compliance answers only (HELP, STOP; nothing else is answered)
// and write its number nowhere: no conversation, no log, no consent record,
// no index. START is the phone asking back in: from then on it is kept.
func TestErasedPhoneLeavesNoClearNumber(t *testing.T) {
	h := newHarness(t)
	h.run(`! client +15550009999 YOGA Sunrise Yoga
> +15550001111 YOGA
> +15550001111 is class full?`)
	if erased, err := h.db.Erase("+15550001111"); err != nil || !erased {
		t.Fatal(erased, err)
	}
	if hits := clearCopies(t, h.db, "5550001111"); len(hits) > 0 {
		t.Fatalf("Erase left the number in clear: %q", hits)
	}
	out := h.run(`> +15550001111 YOGA
> +15550001111 HELP
> +15550001111 STOP
> +15550001111 hello there
> +15550001111 AYUDA
>optout HELP +15550001111 HELP
>optout STOP +15550001111 STOP`)
	// Opted out by its suppression entry: HELP and AYUDA are answered, a
	// repeated STOP is not, nor is anything else.
	want := []string{"> +15550001111 YOGA", "> +15550001111 HELP", "< +15550001111 Nudges: you're unsubscribed",
		"> +15550001111 STOP", "> +15550001111 hello there", "> +15550001111 AYUDA", "< +15550001111 Nudges: te diste de baja"}
	lines := strings.Split(out, "\n")
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Fatalf("line %d: want %q in\n%s", i, w, out)
		}
	}
	if hits := clearCopies(t, h.db, "5550001111"); len(hits) > 0 {
		t.Errorf("an erased phone's texts stored its number in clear: %q\n%s", hits, out)
	}
	out = h.run(`> +15550001111 START
> +15550001111 YOGA`)
	if !strings.Contains(out, "You joined Sunrise Yoga") {
		t.Errorf("after START the phone cannot join:\n%s", out)
	}
	if hits := clearCopies(t, h.db, "5550001111"); len(hits) == 0 {
		t.Error("after START the phone is not kept (the check above could not fail)")
	}
}
