package main

import (
	"fmt"
	"io"
	"time"

	"nudges/bot"
	"nudges/store"
)

// seed writes two active clients, YOGA and BAKERY, so that joins in the mix
// find a list. It opens the file itself: the server must not be running.
func seed(path string, out io.Writer) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	clients := []bot.Client{
		{Phone: "+15559990001", Keyword: "YOGA", Name: "Sunrise Yoga", Status: bot.ClientActive, CreatedAt: now, LiveAt: now},
		{Phone: "+15559990002", Keyword: "BAKERY", Name: "Corner Bakery", Status: bot.ClientActive, CreatedAt: now, LiveAt: now},
	}
	err = db.Update(func(tx bot.Tx) error {
		for i := range clients {
			if err := tx.PutClient(&clients[i]); err != nil {
				return fmt.Errorf("seed client %s: %w", clients[i].Keyword, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %s: clients YOGA and BAKERY, active\n", path)
	return nil
}
