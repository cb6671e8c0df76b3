package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// joinPage is what the join page shows.
type joinPage struct {
	Lang, Title, Lead, TextLine, Button, Other, QRText, Disclosure string
	SMS, SMSAlt                                                    template.URL
	QR                                                             string
}

// live returns the active client whose keyword the path names, or nil.
func (p *Pages) live(c echo.Context) (*bot.Client, error) {
	kw := strings.ToUpper(strings.TrimSpace(c.Param("keyword")))
	if kw == "" || len(kw) > 20 {
		return nil, nil
	}
	var cl *bot.Client
	err := p.cfg.Store.View(func(tx bot.Tx) error {
		var err error
		cl, err = tx.ClientByKeyword(kw)
		return err
	})
	if err != nil || cl == nil || !cl.CanBroadcast() {
		return nil, err
	}
	return cl, nil
}

// join serves GET /j/{KEYWORD}.
func (p *Pages) join(c echo.Context) error {
	cl, err := p.live(c)
	switch {
	case err != nil:
		return p.internal(c, "join page", err)
	case cl == nil:
		return p.notFound(c)
	}
	l, number := lang(c.Request()), p.cfg.Number(cl)
	t := func(id string) string {
		return p.cfg.T.T(l, id, map[string]any{"Name": cl.Name, "Keyword": cl.Keyword, "Number": number})
	}
	page := joinPage{
		Lang: t("PageLang"), Title: t("JoinTitle"), Lead: t("JoinLead"), TextLine: t("JoinText"),
		Button: t("JoinButton"), Other: t("JoinOther"), QRText: t("JoinQR"), Disclosure: t("JoinDisclosure"),
		// sms: is not a scheme html/template trusts; these are built from a
		// keyword (letters and digits) and an E.164 number only.
		SMS: template.URL(SMSLink(number, cl.Keyword)), SMSAlt: template.URL(SMSLinkRFC(number, cl.Keyword)),
		QR: "/j/" + url.PathEscape(cl.Keyword) + "/qr.svg",
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return p.render(c, http.StatusOK, "join.html", page)
}

// SMSLink is the link that opens a phone's messages to number with
// "JOIN KEYWORD" filled in, in the one form both platforms read:
// iOS (8 and later) takes the body after "&", Android reads the query
// "?&body=" as RFC 5724 with an empty first field.
func SMSLink(number, keyword string) string {
	return "sms:" + dialable(number) + "?&body=" + joinBody(keyword)
}

// SMSLinkRFC is RFC 5724's own form, "?body=": the fallback link for the
// messaging apps that want exactly it.
func SMSLinkRFC(number, keyword string) string {
	return "sms:" + dialable(number) + "?body=" + joinBody(keyword)
}

// dialable keeps the digits of number and a leading "+": whatever a stored
// number holds, the link stays an sms: link.
func dialable(number string) string {
	out := make([]byte, 0, len(number))
	for i := 0; i < len(number); i++ {
		if c := number[i]; '0' <= c && c <= '9' || c == '+' && len(out) == 0 {
			out = append(out, c)
		}
	}
	return string(out)
}

func joinBody(keyword string) string {
	return strings.ReplaceAll(url.QueryEscape("JOIN "+keyword), "+", "%20")
}

// qr serves GET /j/{KEYWORD}/qr.svg: the QR code of the join link.
func (p *Pages) qr(c echo.Context) error {
	cl, err := p.live(c)
	switch {
	case err != nil:
		return p.internal(c, "join QR", err)
	case cl == nil:
		return p.notFound(c)
	}
	svg, err := QRSVG(SMSLink(p.cfg.Number(cl), cl.Keyword))
	if err != nil {
		return p.internal(c, "join QR", err)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}
