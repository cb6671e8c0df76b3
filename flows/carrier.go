package flows

// optOutTypes are the values of Twilio's OptOutType field and the command
// each one is.
var optOutTypes = map[string]Cmd{"STOP": CmdStop, "START": CmdStart, "HELP": CmdHelp}

// answeredByCarrier handles a message the provider's own opt-out handling
// (Twilio's Advanced Opt-Out) has already answered: the same state change
// as the word, and no reply, so the phone never gets two confirmations.
// The message's own word keeps deciding the language (PARAR is Spanish,
// YES for START is English); an unknown type is read as an ordinary message.
func (b *Brain) answeredByCarrier(tc *turnCtx) (bool, error) {
	cmd, ok := optOutTypes[tc.In.OptOutType]
	if !ok {
		return false, nil
	}
	if tc.m.Cmd != cmd {
		tc.m = Msg{Raw: tc.m.Raw, Norm: tc.m.Norm, Cmd: cmd, Lang: tc.m.Lang, Word: tc.m.Norm}
	}
	noteLanguage(tc.Conv, tc.m)
	if _, err := b.compliance(tc); err != nil {
		return true, err
	}
	tc.Replies = nil
	return true, nil
}
