package bot

import (
	"slices"
	"testing"
	"time"
)

var pacerT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPacerSpacesBySegments(t *testing.T) {
	clock := NewFixedClock(pacerT0)
	p := NewPacer(2, clock)
	steps := []struct {
		segments int
		wait     time.Duration
	}{
		{1, 0},                       // first goes at once
		{3, 500 * time.Millisecond},  // after the 1 segment before it
		{1, 2 * time.Second},         // after 1 + 3 segments
		{0, 2500 * time.Millisecond}, // an empty body still costs a slot
	}
	for i, s := range steps {
		if got := p.Reserve(s.segments); got != s.wait {
			t.Errorf("step %d: Reserve(%d) = %v, want %v", i, s.segments, got, s.wait)
		}
	}
}

func TestPacerHoldsItsRateOverAMinute(t *testing.T) {
	for _, rate := range []float64{1, 3, 50, 1000} {
		clock := NewFixedClock(pacerT0)
		p := NewPacer(rate, clock)
		end := pacerT0.Add(time.Minute)
		sent := 0
		for {
			clock.Advance(p.Reserve(1))
			if !clock.Now().Before(end) {
				break
			}
			sent++
		}
		if want := int(rate * 60); sent != want {
			t.Errorf("rate %v: %d segments in 60 s, want %d", rate, sent, want)
		}
	}
}

func TestPacerBanksNothingWhileIdle(t *testing.T) {
	clock := NewFixedClock(pacerT0)
	p := NewPacer(100, clock) // 10 ms a segment
	p.Reserve(1)
	clock.Advance(time.Hour)
	if w := p.Reserve(1); w != 0 {
		t.Fatalf("first after idle waits %v", w)
	}
	if w := p.Reserve(1); w != 10*time.Millisecond {
		t.Errorf("second after an idle hour waits %v, want 10ms: idle time is no credit", w)
	}
}

func TestPacerCatchesUpAfterALateWakeUp(t *testing.T) {
	clock := NewFixedClock(pacerT0)
	p := NewPacer(100, clock) // 10 ms a segment
	p.Reserve(1)
	if w := p.Reserve(1); w != 10*time.Millisecond {
		t.Fatalf("second wait %v", w)
	}
	clock.Advance(40 * time.Millisecond) // slept 10 ms, woke 30 ms late
	var waits []time.Duration
	for range 4 {
		waits = append(waits, p.Reserve(1))
	}
	// Slots at 20, 30 and 40 ms are due at 40 ms; the next is at 50 ms.
	want := []time.Duration{0, 0, 0, 10 * time.Millisecond}
	if !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
}

func TestUnpacedNeverWaits(t *testing.T) {
	var nilPacer *Pacer
	p := NewPacer(0, NewFixedClock(pacerT0))
	for range 1000 {
		if p.Reserve(10) != 0 || nilPacer.Reserve(10) != 0 {
			t.Fatal("an unpaced pacer made a sender wait")
		}
	}
}

func TestPacerBatch(t *testing.T) {
	cases := []struct {
		rate float64
		want int
	}{{0, 256}, {1, 1}, {3, 1}, {50, 5}, {1000, 100}, {10000, 256}}
	for _, c := range cases {
		if got := NewPacer(c.rate, nil).Batch(256); got != c.want {
			t.Errorf("rate %v: Batch = %d, want %d", c.rate, got, c.want)
		}
	}
}
