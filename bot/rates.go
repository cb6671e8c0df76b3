package bot

import (
	"log/slog"
)

// SenderRates is each sender's pace (segments per second): the service
// number at Service, a client's own number at the rate an operator set
// for it, else at its kind's default.
type SenderRates struct {
	Service, Local, TollFree float64
	Store                    Store // finds the client that owns a number
	Log                      *slog.Logger
}

// Rate is from's segments per second. A number no client owns (released
// since its messages were queued) goes at a long code's pace, the slowest.
func (r SenderRates) Rate(from Phone) float64 {
	if from == "" {
		return r.Service
	}
	var own *OwnNumber
	err := r.Store.View(func(tx Tx) error {
		c, err := tx.ClientByNumber(from)
		if c != nil {
			own = c.Own
		}
		return err
	})
	if err != nil {
		r.log().Error("read a sender's rate", "from", from, "err", err)
	}
	return r.of(own)
}

// of is the rate of own number n (nil: unknown).
func (r SenderRates) of(n *OwnNumber) float64 {
	switch {
	case n == nil:
		return r.Local
	case n.Rate > 0:
		return n.Rate
	case n.Kind == NumberTollFree:
		return r.TollFree
	}
	return r.Local
}

func (r SenderRates) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}
