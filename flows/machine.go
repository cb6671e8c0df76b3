package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/looplab/fsm"

	"nudges/bot"
)

// idle is every machine's resting state: no step in progress.
const idle = "idle"

// machine is one flow's looplab/fsm definition. The fsm is rebuilt per turn
// from the state stored in the conversation (about 4 µs), fired, and its new
// state stored back.
type machine struct {
	name   string
	events fsm.Events
	states map[string]bool
}

func newMachine(name string, events fsm.Events) *machine {
	m := &machine{name: name, events: events, states: map[string]bool{idle: true}}
	for _, e := range events {
		m.states[e.Dst] = true
		for _, s := range e.Src {
			m.states[s] = true
		}
	}
	return m
}

// current is conv's state in this machine: idle unless conv is in this flow
// at a state the machine knows.
func (m *machine) current(conv *bot.Conversation) string {
	if conv.Flow != m.name || !m.states[conv.State] {
		return idle
	}
	return conv.State
}

// fire moves conv through event. A self-loop is success; an event that is
// not allowed in the current state is an error (a programming mistake).
func (m *machine) fire(conv *bot.Conversation, event string) error {
	f := fsm.NewFSM(m.current(conv), m.events, nil)
	err := f.Event(context.Background(), event)
	var nt fsm.NoTransitionError
	if err != nil && !errors.As(err, &nt) {
		return fmt.Errorf("%s flow: %w", m.name, err)
	}
	if f.Current() == idle {
		conv.ClearStep()
		return nil
	}
	if conv.Flow != m.name {
		conv.ClearStep()
		conv.Flow = m.name
	}
	conv.State = f.Current()
	return nil
}
