package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"nudges/bot"
)

// Reply threads and reply counts.
var (
	bThreads       = []byte("threads")        // client \0 #n → Thread
	bThreadsRecent = []byte("threads_recent") // client \0 latest message (unix ns) \0 #n → nothing
	bAnnReplies    = []byte("ann_replies")    // announcement id → replies it drew
)

var (
	_ bot.Threads     = (*Tx)(nil)
	_ bot.ReplyCounts = (*Tx)(nil)
)

func threadKey(client bot.Phone, n int) []byte {
	return append(pair(string(client), ""), itob(uint64(n))...)
}

func recentKey(client bot.Phone, c bot.ThreadCursor) []byte {
	k := pair(string(client), "")
	ns := uint64(0)
	if c.At.UnixNano() > 0 {
		ns = uint64(c.At.UnixNano())
	}
	k = binary.BigEndian.AppendUint64(k, ns)
	return append(k, itob(uint64(c.N))...)
}

// AppendThread implements bot.Threads.
func (t *Tx) AppendThread(client bot.Phone, n int, m bot.ThreadMessage) error {
	th, err := t.Thread(client, n)
	if err != nil {
		return err
	}
	if th == nil {
		th = &bot.Thread{N: n}
	} else if err := t.b(bThreadsRecent).Delete(recentKey(client, bot.ThreadCursor{At: th.At, N: n})); err != nil {
		return fmt.Errorf("thread #%d: %w", n, err)
	}
	th.Messages = append(th.Messages, m)
	if extra := len(th.Messages) - bot.ThreadKeep; extra > 0 {
		th.Messages = append([]bot.ThreadMessage(nil), th.Messages[extra:]...)
	}
	th.At = m.At
	if err := t.b(bThreadsRecent).Put(recentKey(client, bot.ThreadCursor{At: th.At, N: n}), nil); err != nil {
		return fmt.Errorf("thread #%d: %w", n, err)
	}
	return t.putJSON(bThreads, threadKey(client, n), th)
}

// Thread implements bot.Threads.
func (t *Tx) Thread(client bot.Phone, n int) (*bot.Thread, error) {
	th := &bot.Thread{}
	ok, err := t.getJSON(bThreads, threadKey(client, n), th)
	if !ok || err != nil {
		return nil, err
	}
	return th, nil
}

// ThreadsOf implements bot.Threads.
func (t *Tx) ThreadsOf(client bot.Phone, after bot.ThreadCursor, limit int) ([]bot.Thread, error) {
	prefix := pair(string(client), "")
	start := append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 16)...)
	if !after.At.IsZero() || after.N != 0 {
		start = recentKey(client, after)
	}
	var out []bot.Thread
	cur := t.b(bThreadsRecent).Cursor()
	k, _ := cur.Seek(start)
	if k == nil {
		k, _ = cur.Last()
	}
	for ; k != nil && len(out) < limit; k, _ = cur.Prev() {
		if !bytes.HasPrefix(k, prefix) || bytes.Compare(k, start) >= 0 {
			if bytes.Compare(k, prefix) < 0 {
				break
			}
			continue
		}
		n := btoi(k[len(k)-8:])
		if n > math.MaxInt32 {
			continue
		}
		th, err := t.Thread(client, int(n))
		if err != nil {
			return nil, err
		}
		if th != nil {
			out = append(out, *th)
		}
	}
	return out, nil
}

// eraseThread forgets client's thread with #n (an erase of its phone).
func (t *Tx) eraseThread(client bot.Phone, n int) error {
	th, err := t.Thread(client, n)
	if err != nil || th == nil {
		return err
	}
	if err := t.b(bThreadsRecent).Delete(recentKey(client, bot.ThreadCursor{At: th.At, N: n})); err != nil {
		return err
	}
	return t.b(bThreads).Delete(threadKey(client, n))
}

// CountReply implements bot.Threads.
func (t *Tx) CountReply(id uint64) error {
	n, err := t.Replies(id)
	if err != nil {
		return err
	}
	return t.b(bAnnReplies).Put(itob(id), itob(uint64(n)+1))
}

// Replies implements bot.Threads.
func (t *Tx) Replies(id uint64) (int, error) {
	v := t.b(bAnnReplies).Get(itob(id))
	if len(v) != 8 {
		return 0, nil
	}
	return int(btoi(v)), nil
}
