package flows

import (
	"nudges/bot"
)

// idle is every step's resting state: no step in progress. Each flow's
// State type has it as its zero step.
const idle = "idle"

// step is a conversation step kept in conv.Flow and conv.State (signup,
// the LEAVE question): a bot.Machine over the flow's typed states and
// events, fired from the stored state and stored back.
type step[S, E ~string] struct {
	*bot.Machine[S, E]
}

func newStep[S, E ~string](name string, ts ...bot.Transition[S, E]) step[S, E] {
	return step[S, E]{bot.NewMachine(name, ts...)}
}

// current is conv's state in this step: idle unless conv is in it at a
// state the machine knows.
func (m step[S, E]) current(conv *bot.Conversation) S {
	if conv.Flow != m.Name() || !m.Has(S(conv.State)) {
		return idle
	}
	return S(conv.State)
}

// fire moves conv through ev. A self-loop is success; an event not allowed
// in the current state is an error (a programming mistake).
func (m step[S, E]) fire(conv *bot.Conversation, ev E) error {
	next, err := m.Fire(m.current(conv), ev)
	if err != nil {
		return err
	}
	if next == idle {
		conv.ClearStep()
		return nil
	}
	if conv.Flow != m.Name() {
		conv.ClearStep()
		conv.Flow = m.Name()
	}
	conv.State = string(next)
	return nil
}
