package api

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"nudges/bot"
)

// PictureFetcher fetches an announcement's picture_url for bot.Pictures.
// Its Client must refuse private addresses (main gives it the webhook
// guard's client: every connection checked, NUDGES_WEBHOOK_ALLOW excepted,
// no redirect followed).
type PictureFetcher struct {
	Client *http.Client
}

var _ bot.Fetcher = PictureFetcher{}

// Fetch implements bot.Fetcher: it reads at most limit bytes of the
// picture at raw (bot.ErrTooBig past that).
func (f PictureFetcher) Fetch(ctx context.Context, raw string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("picture request: %w", err)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch picture: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch picture: answered %s", resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, bot.ErrTooBig
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read picture: %w", err)
	case int64(len(data)) > limit:
		return nil, bot.ErrTooBig
	}
	return data, nil
}
