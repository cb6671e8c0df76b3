package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MaxPicture is the largest picture an MMS announcement carries (5 MB).
const MaxPicture = 5 << 20

// pictureTypes are the picture formats every US carrier delivers.
var pictureTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true}

// PictureType reports whether a content type is one an MMS announcement
// may carry (parameters such as "; charset" are ignored).
func PictureType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	return pictureTypes[strings.ToLower(strings.TrimSpace(ct))]
}

// Why an inbound picture could not be taken (Inbound.PictureProblem).
const (
	PictureWrongType = "type"  // not a JPEG, PNG or GIF
	PictureTooBig    = "big"   // over MaxPicture
	PictureFailed    = "fetch" // the provider did not give it
)

// ErrTooBig is what a Fetcher returns for a picture over its limit.
var ErrTooBig = errors.New("picture over the size limit")

// Fetcher fetches a picture an inbound MMS carries from the provider,
// reading at most limit bytes (ErrTooBig past that).
type Fetcher interface {
	Fetch(ctx context.Context, url string, limit int64) ([]byte, error)
}

// PictureKeeper stores a fetched picture in its own transaction, so that a
// turn never carries megabytes.
type PictureKeeper interface {
	KeepPicture(m Media, data []byte, at time.Time) error
}

// Pictures is how the Engine takes an active client's picture before its
// turn: fetched (never inside a transaction), checked, kept, and handed to
// the turn as Inbound.Picture.
type Pictures struct {
	Fetch Fetcher
	Keep  PictureKeeper
	// BaseURL is the public base; a kept picture is served at BaseURL/m/token.
	BaseURL string
	// Token makes the unguessable name of a kept picture.
	Token func() (string, error)
}

// take fetches and keeps in's first picture when its sender is an active
// client, setting in.Picture, or in.PictureProblem when it cannot be used.
func (e *Engine) takePicture(ctx context.Context, in *Inbound) {
	p := e.Pictures
	if p == nil || in.NumMedia == 0 || in.MediaURL == "" || !e.canBroadcast(in.From) {
		return
	}
	if !PictureType(in.MediaType) {
		in.PictureProblem = PictureWrongType
		return
	}
	m, problem, err := p.Take(ctx, in.MediaURL, in.MediaType, e.Clock.Now())
	if err != nil {
		e.logger().Warn("picture not taken", "from", in.From, "sid", in.SID, "err", err)
	}
	in.Picture, in.PictureProblem = m, problem
}

// Take fetches the picture at url (its declared content type ct, "" when
// none was declared), checks it and keeps it. When it cannot be used,
// problem says why (PictureWrongType, PictureTooBig, PictureFailed) and err
// holds a failure worth logging.
func (p *Pictures) Take(ctx context.Context, url, ct string, now time.Time) (m *Media, problem string, err error) {
	if ct != "" && !PictureType(ct) {
		return nil, PictureWrongType, nil
	}
	data, err := p.Fetch.Fetch(ctx, url, MaxPicture)
	switch {
	case errors.Is(err, ErrTooBig):
		return nil, PictureTooBig, nil
	case err != nil:
		return nil, PictureFailed, fmt.Errorf("fetch picture: %w", err)
	}
	sniffed := http.DetectContentType(data)
	if !PictureType(sniffed) {
		return nil, PictureWrongType, nil
	}
	kept, err := p.keep(sniffed, data, now)
	if err != nil {
		return nil, PictureFailed, fmt.Errorf("keep picture: %w", err)
	}
	return &kept, "", nil
}

func (p *Pictures) keep(ct string, data []byte, now time.Time) (Media, error) {
	token, err := p.Token()
	if err != nil {
		return Media{}, fmt.Errorf("picture token: %w", err)
	}
	m := Media{Token: token, Type: ct, Size: len(data), URL: strings.TrimRight(p.BaseURL, "/") + "/m/" + token}
	if err := p.Keep.KeepPicture(m, data, now); err != nil {
		return Media{}, err
	}
	return m, nil
}

// canBroadcast reports whether p is a client whose billing lets it send
// and who has not opted out: only such a sender's picture is fetched.
func (e *Engine) canBroadcast(p Phone) bool {
	ok := false
	err := e.Store.View(func(tx Tx) error {
		c, err := tx.Client(p)
		if err != nil || c == nil || !c.CanBroadcast() {
			return err
		}
		conv, err := tx.Conversation(p)
		if err != nil {
			return err
		}
		ok = !conv.OptedOut
		return nil
	})
	if err != nil {
		e.logger().Error("picture sender lookup", "from", p, "err", err)
		return false
	}
	return ok
}
