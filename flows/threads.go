package flows

import (
	"fmt"
	"strings"

	"nudges/bot"
)

// Threads is a page of client p's reply threads, by #n (never the phone),
// latest activity first, each with its last messages, after the cursor
// (zero: from the latest); next is the following page's cursor, nil at
// the end.
func (s *Service) Threads(p bot.Phone, after bot.ThreadCursor, limit int) (list []bot.Thread, next *bot.ThreadCursor, err error) {
	err = s.Store.View(func(tx bot.Tx) error {
		if _, _, err := clientTurn(tx, p); err != nil {
			return err
		}
		list, err = tx.ThreadsOf(p, after, limit+1)
		if err != nil {
			return fmt.Errorf("threads of %s: %w", p, err)
		}
		if len(list) > limit {
			list = list[:limit]
			next = &bot.ThreadCursor{At: list[limit-1].At, N: list[limit-1].N}
		}
		return nil
	})
	return list, next, err
}

// Thread is client p's thread with #n, ENOTFOUND if there is none.
func (s *Service) Thread(p bot.Phone, n int) (*bot.Thread, error) {
	var th *bot.Thread
	err := s.Store.View(func(tx bot.Tx) error {
		var err error
		if th, err = tx.Thread(p, n); err == nil && th == nil {
			err = notFound("thread")
		}
		return err
	})
	return th, err
}

// Answer texts client p's answer to its subscriber #n as "#n text" does
// (from the client's own number once ready), and returns the thread with
// it. An unknown #n is not found; one that left the list or opted out is
// refused (ReasonGone), as are an empty, too long or control-laden text.
func (s *Service) Answer(p bot.Phone, n int, text string) (*bot.Thread, error) {
	err := s.update(p, func(t *bot.Turn, c *bot.Client) error {
		no, err := s.Brain.answerTo(t, c, n, strings.TrimSpace(text))
		if err == nil && no != nil && no.ID == "AnswerUnknown" {
			return notFound("thread")
		}
		return firstErr(err, refused(no))
	})
	if err != nil {
		return nil, err
	}
	return s.Thread(p, n)
}
