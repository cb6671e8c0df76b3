package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/looplab/fsm"
)

// Transition is one event of a state machine: from any state in Src to Dst.
type Transition[S, E ~string] struct {
	Event E
	Src   []S
	Dst   S
}

// Machine is one conversation step's (or login's) state machine over its
// own typed states S and events E. It keeps no state: Fire rebuilds the
// looplab/fsm at the stored state (about 4 µs) and returns where the event
// leads, for the caller to store.
type Machine[S, E ~string] struct {
	name   string
	events fsm.Events
	states map[S]bool
}

// NewMachine defines a machine by its transitions.
func NewMachine[S, E ~string](name string, ts ...Transition[S, E]) *Machine[S, E] {
	m := &Machine[S, E]{name: name, states: map[S]bool{}}
	for _, t := range ts {
		src := make([]string, len(t.Src))
		for i, s := range t.Src {
			src[i] = string(s)
			m.states[s] = true
		}
		m.states[t.Dst] = true
		m.events = append(m.events, fsm.EventDesc{Name: string(t.Event), Src: src, Dst: string(t.Dst)})
	}
	return m
}

// Name is the machine's name (a conversation's Flow while it is in it).
func (m *Machine[S, E]) Name() string { return m.name }

// Has reports whether s is one of the machine's states; a stored state
// must be checked before use, since looplab/fsm accepts any.
func (m *Machine[S, E]) Has(s S) bool { return m.states[s] }

// Fire moves from through ev and returns the new state. A self-loop is
// success; a state the machine does not know, or an event not allowed in
// it, is an error.
func (m *Machine[S, E]) Fire(from S, ev E) (S, error) {
	if !m.states[from] {
		return from, fmt.Errorf("%s: unknown state %q", m.name, from)
	}
	f := fsm.NewFSM(string(from), m.events, nil)
	err := f.Event(context.Background(), string(ev))
	var nt fsm.NoTransitionError
	if err != nil && !errors.As(err, &nt) {
		return from, fmt.Errorf("%s %s from %q: %w", m.name, ev, from, err)
	}
	return S(f.Current()), nil
}
