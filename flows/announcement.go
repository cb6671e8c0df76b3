package flows

// Placeholders until the broadcast issue (#4) lands.

func (b *Brain) draft(tc *turnCtx) error {
	tc.Say("NotUnderstood", nil)
	return nil
}

func (b *Brain) confirm(tc *turnCtx) error {
	tc.Say("NotUnderstood", nil)
	return nil
}

func (b *Brain) discard(tc *turnCtx) error {
	tc.Say("NotUnderstood", nil)
	return nil
}
