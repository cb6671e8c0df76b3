package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
)

// The traffic mix of subscribers texting the service: joins, lists,
// leaves, help and words it does not understand, in these proportions.
var mix = []struct {
	weight int
	bodies []string
}{
	{25, []string{"JOIN YOGA", "YOGA", "join bakery", "BAKERY", "JOIN NOSUCHCLUB"}},
	{20, []string{"LIST", "list"}},
	{15, []string{"LEAVE", "LEAVE YOGA", "LEAVE ALL", "leave 1"}},
	{10, []string{"HELP", "INFO"}},
	{30, []string{"hello?", "what is this", "ok thanks", "🙂", "when is class", "Stop by our shop today!"}},
}

var mixTotal = func() int {
	n := 0
	for _, m := range mix {
		n += m.weight
	}
	return n
}()

// pickBody draws a message body from the mix.
func pickBody(r *rand.Rand) string {
	n := r.IntN(mixTotal)
	for _, m := range mix {
		if n < m.weight {
			return m.bodies[r.IntN(len(m.bodies))]
		}
		n -= m.weight
	}
	return "HELP"
}

// phoneOf is the j-th phone of worker w; every worker has its own phones,
// so no two requests for one phone are ever in flight together.
func phoneOf(w, j, perWorker int) string {
	return fmt.Sprintf("+1555%07d", 1_000_000+w*perWorker+j)
}

// inboundForm is what Twilio posts for one inbound SMS.
func inboundForm(sid, from, to, body string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "SmsSid": {sid},
		"AccountSid": {"AC00000000000000000000000000000001"},
		"From":       {from}, "To": {to}, "Body": {body},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"},
		"ApiVersion": {"2010-04-01"}, "FromCountry": {"US"}, "ToCountry": {"US"},
	}
}

// sidOf is a MessageSid unique to this run (run id) and request (n).
func sidOf(run uint32, n uint64) string { return fmt.Sprintf("SM%08x%024x", run, n) }
