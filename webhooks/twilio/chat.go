package twilio

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
)

// ChatConfig configures the `chat` terminal phone.
type ChatConfig struct {
	Server    string        // running server, e.g. http://127.0.0.1:8080
	PublicURL string        // NUDGES_PUBLIC_URL the server checks signatures with; default Server
	AuthToken string        // TWILIO_AUTH_TOKEN; when set every message is signed
	Phone     bot.Phone     // the phone this terminal is
	To        string        // the number the phone texts: the service number, or a client's own (chat --to)
	Poll      time.Duration // how often /dev/messages is polled; default 500 ms
	HTTP      *http.Client  // default: a client with a 30 s timeout
}

// Chat is an interactive terminal phone: each line read from in is posted
// to the server's SMS webhook as Twilio would (signed when AuthToken is
// set) and the TwiML reply is printed as "< text"; texts the service sends
// the phone later are polled from GET /dev/messages (dev mode only) and
// printed the same way. It returns at the end of in or when ctx ends.
func Chat(ctx context.Context, cfg ChatConfig, in io.Reader, out io.Writer) error {
	ch := &chat{cfg: cfg, out: out}
	ch.defaults()
	if err := ch.reach(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "texting %s at %s as %s (end with Ctrl-D)\n", ch.cfg.To, ch.cfg.Server, ch.cfg.Phone)
	ch.catchUp(ctx)
	lines, readErr := readLines(in)
	tick := time.NewTicker(ch.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			ch.poll(ctx)
		case line, ok := <-lines:
			if !ok {
				ch.poll(ctx)
				return <-readErr
			}
			if strings.TrimSpace(line) != "" {
				ch.send(ctx, line)
			}
		}
	}
}

type chat struct {
	cfg   ChatConfig
	out   io.Writer
	after uint64 // last outbox id shown
	feed  bool   // the server serves /dev/messages
}

func (ch *chat) defaults() {
	ch.cfg.Server = strings.TrimRight(ch.cfg.Server, "/")
	if ch.cfg.PublicURL == "" {
		ch.cfg.PublicURL = ch.cfg.Server
	}
	ch.cfg.PublicURL = strings.TrimRight(ch.cfg.PublicURL, "/")
	if ch.cfg.Poll <= 0 {
		ch.cfg.Poll = 500 * time.Millisecond
	}
	if ch.cfg.HTTP == nil {
		ch.cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
}

// reach checks that a server answers at all (any HTTP status will do), so
// that nobody types into a terminal talking to nothing.
func (ch *chat) reach(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ch.cfg.Server+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	if _, _, err := ch.do(req); err != nil && ctx.Err() == nil {
		return fmt.Errorf("no Nudges server answers at %s: start one first (nudges serve, or go run .) with the same NUDGES_ADDR in another terminal", ch.cfg.Server)
	}
	return nil
}

// readLines delivers in's lines on a channel closed at EOF; the read error
// (nil at EOF) follows on the second channel.
func readLines(in io.Reader) (<-chan string, <-chan error) {
	lines, errc := make(chan string), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- sc.Text()
		}
		errc <- sc.Err()
		close(lines)
	}()
	return lines, errc
}

// send posts one text to the SMS webhook and prints the reply.
func (ch *chat) send(ctx context.Context, text string) {
	form := url.Values{
		"MessageSid": {NewMessageSID()}, "From": {string(ch.cfg.Phone)}, "To": {ch.cfg.To},
		"Body": {text}, "NumMedia": {"0"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.cfg.Server+PathSMS, strings.NewReader(form.Encode()))
	if err != nil {
		fmt.Fprintf(ch.out, "! %v\n", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ch.cfg.AuthToken != "" {
		req.Header.Set(SignatureHeader, Sign(ch.cfg.AuthToken, ch.cfg.PublicURL+PathSMS, form))
	}
	body, status, err := ch.do(req)
	if err != nil {
		fmt.Fprintf(ch.out, "! %v\n", err)
		return
	}
	if status != http.StatusOK {
		fmt.Fprintf(ch.out, "! server answered %d: %s\n", status, strings.TrimSpace(string(body)))
		return
	}
	msgs, err := ParseTwiML(body)
	if err != nil {
		fmt.Fprintf(ch.out, "! unreadable reply: %v\n", err)
	}
	for _, m := range msgs {
		ch.print(m)
	}
}

func (ch *chat) do(req *http.Request) ([]byte, int, error) {
	resp, err := ch.cfg.HTTP.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return body, resp.StatusCode, err
}

func (ch *chat) print(text string) {
	fmt.Fprintf(ch.out, "< %s\n", strings.ReplaceAll(text, "\n", "\n  "))
}

// catchUp skips the phone's earlier texts so only new ones are shown.
func (ch *chat) catchUp(ctx context.Context) {
	ch.feed = true
	for range 1000 {
		msgs, ok := ch.fetch(ctx)
		if !ok || len(msgs) == 0 {
			return
		}
		ch.after = msgs[len(msgs)-1].ID
	}
}

// poll prints texts sent to the phone since the last one shown.
func (ch *chat) poll(ctx context.Context) {
	msgs, _ := ch.fetch(ctx)
	for _, m := range msgs {
		body := m.Body
		if m.From != "" && string(m.From) != ch.cfg.To { // another sender than the one this terminal texts
			body = "(from " + string(m.From) + ") " + body
		}
		ch.print(body)
		ch.after = max(ch.after, m.ID)
	}
}

// fetch reads the feed once; false when there is none (not dev mode).
func (ch *chat) fetch(ctx context.Context) ([]FeedMessage, bool) {
	if !ch.feed {
		return nil, false
	}
	q := url.Values{"phone": {string(ch.cfg.Phone)}, "after": {strconv.FormatUint(ch.after, 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ch.cfg.Server+PathDevFeed+"?"+q.Encode(), nil)
	if err != nil {
		return nil, false
	}
	body, status, err := ch.do(req)
	switch {
	case err != nil:
		return nil, true // server away for a moment: try again later
	case status == http.StatusNotFound:
		ch.feed = false
		fmt.Fprintln(ch.out, "(the server has no /dev/messages: later texts to this phone are not shown)")
		return nil, false
	case status != http.StatusOK:
		return nil, true
	}
	var msgs []FeedMessage
	if err := json.Unmarshal(body, &msgs); err != nil {
		return nil, true
	}
	return msgs, true
}

// ParseTwiML returns the texts of the <Message> verbs in a TwiML document.
func ParseTwiML(doc []byte) ([]string, error) {
	var r struct {
		Messages []struct {
			Text string `xml:",chardata"`
			Body string `xml:"Body"`
		} `xml:"Message"`
	}
	if err := xml.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("parse TwiML: %w", err)
	}
	out := make([]string, 0, len(r.Messages))
	for _, m := range r.Messages {
		if m.Body != "" {
			m.Text = m.Body
		}
		out = append(out, m.Text)
	}
	return out, nil
}

// NewMessageSID returns a random Twilio-shaped message sid ("SM" and 32 hex).
func NewMessageSID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}
