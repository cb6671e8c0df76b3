package bot

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestParseWindow(t *testing.T) {
	good := map[string]Window{
		"08:00-20:00":   DefaultWindow,
		" 09:30-17:00 ": {Open: 9*time.Hour + 30*time.Minute, Close: 17 * time.Hour},
		"00:00-24:00":   {Open: 0, Close: 24 * time.Hour},
		"off":           WindowOff,
		"OFF":           WindowOff,
	}
	for in, want := range good {
		got, err := ParseWindow(in)
		if err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseWindow(got.String()); back != got {
			t.Errorf("%q does not round-trip through String: %q", in, got.String())
		}
	}
	for _, in := range []string{"", "8-20", "8:00-20:00", "20:00-08:00", "08:00-08:00", "25:00-26:00", "08:60-09:00", "24:30-24:45", "08:00", "on", "08:00-20:00x"} {
		if w, err := ParseWindow(in); err == nil {
			t.Errorf("ParseWindow(%q) = %v, want an error", in, w)
		}
	}
}

func TestZones(t *testing.T) {
	w := NewSendWindow(DefaultWindow, nil)
	cases := map[Phone][]string{
		"+12125550100":  {"America/New_York"},
		"+19075550100":  {"America/Adak", "America/Anchorage"},
		"+34911234567":  {"Europe/Madrid"},
		"+447700900123": {"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"},
	}
	for p, want := range cases {
		got := w.Zones(p)
		if len(got) != len(want) {
			t.Errorf("Zones(%s) = %v, want %v", p, got, want)
			continue
		}
		for i := range got {
			if got[i].String() != want[i] {
				t.Errorf("Zones(%s) = %v, want %v", p, got, want)
			}
		}
	}
	if n := len(w.Zones("+15550001111")); n < 30 {
		t.Errorf("a fictional 555 number could be anywhere in the NANP, got %d zones", n)
	}
	if z := w.Zones("+99912345678"); z != nil {
		t.Errorf("an unassigned country code has no zones, got %v", z)
	}
}

func TestClientZone(t *testing.T) {
	la := mustZone("America/Los_Angeles")
	w := NewSendWindow(WindowOff, la) // the window being off does not matter here
	cases := map[Phone]string{
		"+12125550100":  "America/New_York",
		"+34911234567":  "Europe/Madrid",
		"+19075550100":  "America/Los_Angeles", // two zones: the fallback
		"+15550001111":  "America/Los_Angeles",
		"+447700900123": "America/Los_Angeles",
	}
	for p, want := range cases {
		if got := w.ClientZone(p).String(); got != want {
			t.Errorf("ClientZone(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestNextOpen(t *testing.T) {
	ny := NewSendWindow(DefaultWindow, nil)
	la := NewSendWindow(DefaultWindow, mustZone("America/Los_Angeles"))
	cases := []struct {
		name string
		w    *SendWindow
		p    Phone
		now  time.Time
		want time.Time
	}{
		{"New York mid-morning: now", ny, "+12125550100", utc(2026, 1, 5, 15, 0), utc(2026, 1, 5, 15, 0)},
		{"New York 7am: at 8am", ny, "+12125550100", utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 13, 0)},
		{"New York 9pm: next morning", ny, "+12125550100", utc(2026, 1, 6, 2, 0), utc(2026, 1, 6, 13, 0)},
		{"New York 8pm sharp is closed", ny, "+12125550100", utc(2026, 1, 6, 1, 0), utc(2026, 1, 6, 13, 0)},
		{"New York 7:59:59pm is open", ny, "+12125550100", utc(2026, 1, 6, 0, 59).Add(59 * time.Second), utc(2026, 1, 6, 0, 59).Add(59 * time.Second)},
		{"Alaska: open in Adak and Anchorage", ny, "+19075550100", utc(2026, 1, 5, 18, 0), utc(2026, 1, 5, 18, 0)},
		{"Alaska: Anchorage open, Adak not yet", ny, "+19075550100", utc(2026, 1, 5, 17, 30), utc(2026, 1, 5, 18, 0)},
		{"Alaska: Adak open, Anchorage closed", ny, "+19075550100", utc(2026, 1, 6, 5, 30), utc(2026, 1, 6, 18, 0)},
		{"Madrid 7am", ny, "+34911234567", utc(2026, 1, 5, 6, 0), utc(2026, 1, 5, 7, 0)},
		{"London, Guernsey, Isle of Man", ny, "+447700900123", utc(2026, 1, 5, 19, 59), utc(2026, 1, 5, 19, 59)},
		{"London 8pm", ny, "+447700900123", utc(2026, 1, 5, 20, 0), utc(2026, 1, 6, 8, 0)},
		{"555 could be anywhere: New York fallback", ny, "+15550001111", utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 13, 0)},
		{"555 with a Los Angeles fallback", la, "+15550001111", utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 16, 0)},
		{"unknown country: fallback", ny, "+99912345678", utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 13, 0)},
		// DST: New York springs forward on 8 March 2026 and falls back on 1 November.
		{"New York spring forward: 8am EDT", ny, "+12125550100", utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 12, 0)},
		{"New York day before: 8am EST", ny, "+12125550100", utc(2026, 3, 7, 6, 0), utc(2026, 3, 7, 13, 0)},
		{"New York fall back: 8am EST", ny, "+12125550100", utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 13, 0)},
		{"New York closes 8pm EDT before the change", ny, "+12125550100", utc(2026, 10, 31, 23, 59), utc(2026, 10, 31, 23, 59)},
		{"Madrid changes on 29 March, three weeks after New York", ny, "+34911234567", utc(2026, 3, 29, 5, 30), utc(2026, 3, 29, 6, 0)},
		{"Madrid still on winter time on 28 March", ny, "+34911234567", utc(2026, 3, 28, 5, 30), utc(2026, 3, 28, 7, 0)},
		{"Alaska in summer: Adak -9, Anchorage -8", ny, "+19075550100", utc(2026, 7, 1, 16, 30), utc(2026, 7, 1, 17, 0)},
		{"off: always now", NewSendWindow(WindowOff, nil), "+12125550100", utc(2026, 1, 6, 2, 0), utc(2026, 1, 6, 2, 0)},
	}
	for _, c := range cases {
		if got := c.w.NextOpen(c.p, c.now); !got.Equal(c.want) {
			t.Errorf("%s: NextOpen(%s, %s) = %s, want %s", c.name, c.p, c.now.Format(time.RFC3339), got.UTC().Format(time.RFC3339), c.want.Format(time.RFC3339))
		}
	}
}

// TestNextOpenIsEarliest checks NextOpen against a minute-by-minute search:
// the answer is open in every zone (or the fallback's, for a number whose
// zones never share an hour), and no earlier minute is.
func TestNextOpenIsEarliest(t *testing.T) {
	w := NewSendWindow(Window{Open: 9 * time.Hour, Close: 17*time.Hour + 30*time.Minute}, nil)
	phones := []Phone{"+12125550100", "+19075550100", "+12085550100", "+34911234567", "+447700900123", "+15550001111", "+61212345678"}
	rng := rand.New(rand.NewPCG(1, 2))
	start := utc(2026, 1, 1, 0, 0)
	for i := 0; i < 150; i++ {
		p := phones[i%len(phones)]
		now := start.Add(time.Duration(rng.Int64N(int64(365 * day)))).Truncate(time.Minute)
		got := w.NextOpen(p, now)
		locs := w.Zones(p)
		if w.zoneSet(p).disjoint {
			locs = []*time.Location{w.Fallback}
		}
		if got.Before(now) || !w.openInAll(locs, got) {
			t.Fatalf("NextOpen(%s, %s) = %s: not open in all of %v", p, now, got, locs)
		}
		for m := now; m.Before(got); m = m.Add(time.Minute) {
			if w.openInAll(locs, m) {
				t.Fatalf("NextOpen(%s, %s) = %s, but %s is already open", p, now, got, m)
			}
		}
	}
}

func TestDisjointZones(t *testing.T) {
	w := NewSendWindow(DefaultWindow, nil)
	for p, want := range map[Phone]bool{"+15550001111": true, "+19075550100": false, "+12085550100": false, "+12125550100": false, "+99912345678": true} {
		if got := w.zoneSet(p).disjoint; got != want {
			t.Errorf("%s: disjoint = %v, want %v", p, got, want)
		}
	}
	// A window of one hour cannot be open in Adak and Anchorage at once.
	narrow := NewSendWindow(Window{Open: 8 * time.Hour, Close: 9 * time.Hour}, nil)
	if !narrow.zoneSet("+19075550100").disjoint {
		t.Error("a one-hour window meets in two zones an hour apart")
	}
}

// BenchmarkNextOpen is the per-recipient cost in a fan-out: numbers from
// several zones, the clock moving a millisecond per recipient, once in the
// day and once at night; then each kind of number alone.
func BenchmarkNextOpen(b *testing.B) {
	w := NewSendWindow(DefaultWindow, nil)
	prefixes := []string{"+1212", "+1907", "+1555", "+1208", "+3491", "+447700", "+1415", "+1305"}
	phones := make([]Phone, 1000)
	for i := range phones {
		phones[i] = Phone(fmt.Sprintf("%s%07d", prefixes[i%len(prefixes)], i))[:12]
	}
	times := []time.Time{utc(2026, 1, 5, 15, 0), utc(2026, 1, 6, 3, 0)}
	for _, at := range times {
		b.Run(fmt.Sprintf("mix/%02dh", at.Hour()), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w.NextOpen(phones[i%len(phones)], at.Add(time.Duration(i)*time.Millisecond))
			}
		})
	}
	for _, p := range []Phone{"+12125550100", "+19075550100", "+15550001111", "+447700900123"} {
		for _, at := range times {
			b.Run(fmt.Sprintf("%s/%02dh", p[:5], at.Hour()), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					w.NextOpen(p, at)
				}
			})
		}
	}
}

// TestNextOpenConcurrent: one SendWindow serves every dispatcher goroutine;
// answers agree with a fresh window's (run with -race).
func TestNextOpenConcurrent(t *testing.T) {
	shared := NewSendWindow(DefaultWindow, nil)
	phones := []Phone{"+12125550100", "+19075550100", "+15550001111", "+34911234567", "+447700900123"}
	start := utc(2026, 3, 7, 0, 0) // across New York's DST change
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			fresh := NewSendWindow(DefaultWindow, nil)
			for i := 0; i < 400; i++ {
				p, now := phones[(i+g)%len(phones)], start.Add(time.Duration(i)*13*time.Minute)
				if a, b := shared.NextOpen(p, now), fresh.NextOpen(p, now); !a.Equal(b) {
					done <- fmt.Errorf("%s at %s: shared %s, fresh %s", p, now, a, b)
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
