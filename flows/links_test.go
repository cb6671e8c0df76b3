package flows

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync/atomic"
	"testing"

	"nudges/bot"
)

func init() {
	directives["click"] = directiveClick
	harnessSetup = append(harnessSetup, func(h *harness) {
		var links, pics atomic.Int64
		newLinkCode = func() (string, error) { return fmt.Sprintf("L%04d", links.Add(1)), nil }
		h.engine.Pictures = &bot.Pictures{
			Fetch: pngFetcher{}, Keep: h.db, BaseURL: h.brain.PublicURL,
			Token: func() (string, error) { return fmt.Sprintf("P%04d", pics.Add(1)), nil },
		}
	})
}

// directiveClick: `! click CODE VISITOR` follows a tracked link as the
// web page does, counting a click for a new visitor within the hour.
func directiveClick(h *harness, args string) error {
	code, visitor, _ := strings.Cut(args, " ")
	_, found, err := h.db.FollowLink(code, visitor, true, h.clock.Now(), bot.ClickWindow)
	if err == nil && !found {
		err = fmt.Errorf("no link %s", code)
	}
	return err
}

// pngFetcher is the provider of dialogue pictures: a tiny PNG for any URL.
type pngFetcher struct{}

func (pngFetcher) Fetch(context.Context, string, int64) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	return b.Bytes(), err
}

func TestTrackLinks(t *testing.T) {
	n := 0
	newLinkCode = func() (string, error) { n++; return fmt.Sprintf("c%d", n), nil }
	base := "https://n.test/"
	long := "https://x.com/" + strings.Repeat("a", MaxTrackedURL)
	for _, c := range []struct{ in, want string }{
		{"no links here", "no links here"},
		{"See https://x.com/a.", "See https://n.test/l/c1."},
		{"(https://x.com/a) and https://x.com/a!", "(https://n.test/l/c1) and https://n.test/l/c1!"},
		{"wiki https://en.wikipedia.org/wiki/Foo_(bar), ok", "wiki https://n.test/l/c1, ok"},
		{"HTTP://X.COM/Caps?q=1&r=2;", "https://n.test/l/c1;"},
		{"two: http://a.com http://b.com", "two: https://n.test/l/c1 https://n.test/l/c2"},
		{"bare http:// and https://? and http://:80", "bare http:// and https://? and http://:80"},
		{"ours https://n.test/j/YOGA stays", "ours https://n.test/j/YOGA stays"},
		{"ftp://x.com and mailto:a@b.c stay", "ftp://x.com and mailto:a@b.c stay"},
		{"long " + long, "long " + long},
		{"emoji 🎉https://x.com/🎉 ok", "emoji 🎉https://n.test/l/c1 ok"},
	} {
		n = 0
		got, links, err := trackLinks(c.in, base)
		if err != nil || got != c.want {
			t.Errorf("trackLinks(%.40q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		for _, l := range links {
			if !strings.HasPrefix(strings.ToLower(l.URL), "http") || strings.Contains(c.want, l.URL) {
				t.Errorf("%.40q: link %+v", c.in, l)
			}
		}
	}
}

func TestDeliveredPicture(t *testing.T) {
	m := &bot.Media{Token: "P1", URL: "https://n.test/m/P1"}
	a := &bot.Announcement{Text: "Look", Media: m}
	if text, media := deliveredTo(a, "+15551230000"); text != "Look" || media != m.URL {
		t.Errorf("+1: %q %q", text, media)
	}
	if text, media := deliveredTo(a, "+447700900123"); text != "Look\n"+m.URL || media != "" {
		t.Errorf("+44: %q %q", text, media)
	}
	a.Text = ""
	if text, media := deliveredTo(a, "+34612345678"); text != m.URL || media != "" {
		t.Errorf("+34 picture only: %q %q", text, media)
	}
}
