package flows

import "github.com/looplab/fsm"

// Payments makes the links a client pays and manages billing with.
// Placeholder: the signup issue (#3) defines it.
type Payments interface{}

// signupFlow: business name → keyword → plan → payment. Placeholder until #3.
var signupFlow = newMachine("signup", fsm.Events{
	{Name: "start", Src: []string{idle}, Dst: "name"},
})

func (b *Brain) signup(tc *turnCtx) error {
	tc.Say("NotUnderstood", nil)
	return nil
}

func (b *Brain) signupStep(tc *turnCtx) (bool, error) { return false, nil }

func (b *Brain) plan(tc *turnCtx) error {
	tc.Say("NotUnderstood", nil)
	return nil
}

func (b *Brain) stats(tc *turnCtx) error {
	tc.Say("NotUnderstood", nil)
	return nil
}
