package flows

import (
	"fmt"

	"nudges/bot"
)

// export answers a client's EXPORT with a one-time link to a CSV of its
// list, valid bot.ExportTTL. Anyone else is told it is for clients.
func (b *Brain) export(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		tc.Say("ExportNotClient", nil)
		return nil
	}
	tok, err := newPayToken() // the same kind of secret as a payment link's
	if err != nil {
		return fmt.Errorf("export token: %w", err)
	}
	e := &bot.Export{Token: tok, Keyword: c.Keyword, Client: c.Phone, CreatedAt: tc.Now, ExpiresAt: tc.Now.Add(bot.ExportTTL)}
	if err := tc.Tx.PutExport(e); err != nil {
		return fmt.Errorf("export %s: %w", c.Keyword, err)
	}
	tc.Say("ExportLink", map[string]any{"Keyword": c.Keyword, "Count": c.Subscribers, "Link": b.PublicURL + "/x/" + tok})
	return nil
}
