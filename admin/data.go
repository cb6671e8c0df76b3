package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web"
	"nudges/webhooks/webkit"
)

// registerData mounts the console's data pages (consent export, import,
// erase) and the public one-time list export /x/{token}.
func (c *Console) registerData(e *echo.Echo, g *echo.Group, auth echo.MiddlewareFunc) {
	csrf := c.kit.CSRF()
	g.GET("/consent.csv", c.consentCSV, auth)
	g.GET("/import", c.importPage, csrf, auth)
	// The upload's CSRF token travels in the query: reading it from the
	// multipart body would make the server parse (and buffer) the file first.
	g.POST("/import", c.importUpload, middleware.BodyLimit(maxImportBody), c.kit.CSRFQuery(), auth)
	g.GET("/import/:id", c.importStatus, csrf, auth)
	e.GET("/x/:token", c.clientExport, middleware.Recover(), webkit.NoStore)
	e.HEAD("/x/:token", c.clientExport, middleware.Recover(), webkit.NoStore)
}

// isUpload is the one console request allowed past the 64 KiB body limit.
func isUpload(ec echo.Context) bool {
	return ec.Request().Method == http.MethodPost && ec.Path() == "/admin/import"
}

var consentHeader = []string{"at", "phone", "keyword", "event", "source", "text", "message_sid", "to", "file", "admin"}

// consentCSV streams the consent records, all or one list's (?keyword=),
// oldest first, reading a chunk per read transaction.
func (c *Console) consentCSV(ec echo.Context) error {
	kw := strings.ToUpper(strings.TrimSpace(ec.QueryParam("keyword")))
	name := "consent"
	if kw != "" {
		name += "-" + kw
	}
	w := webkit.StartCSV(ec, name+"-"+c.cfg.Clock.Now().UTC().Format("20060102")+".csv", consentHeader)
	err := c.db.EachConsent(kw, webkit.CSVChunk, func(r bot.ConsentRecord) error {
		return w.Write([]string{r.At.UTC().Format(time.RFC3339), string(r.Phone), r.Keyword, string(r.Kind),
			r.Source(), r.Text, r.SID, r.To, r.File, string(r.Admin)})
	})
	return w.End(c.log, "console: consent export", err)
}

// clientExport serves a client's one-time list export: the link works once,
// within bot.ExportTTL of the EXPORT that made it. A link preview (HEAD, a
// chat app's fetcher) gets a plain page and leaves the link unused.
func (c *Console) clientExport(ec echo.Context) error {
	if web.IsFetcher(ec.Request()) {
		return ec.String(http.StatusOK, "Your list is ready: open this link in a browser to download it. It works once, for 24 hours.\n")
	}
	var ex *bot.Export
	err := c.db.Write(func(tx *store.Tx) error {
		var err error
		ex, err = tx.TakeExport(ec.Param("token"), c.cfg.Clock.Now())
		return err
	})
	if err != nil {
		c.log.Error("client export", "err", err)
		return ec.String(http.StatusInternalServerError, "Something went wrong. Try again later.\n")
	}
	if ex == nil {
		return ec.String(http.StatusNotFound, "This link has expired or was already used. Text EXPORT for a new one.\n")
	}
	n := webkit.WriteList(ec, c.db, ex.Keyword, webkit.ListFile(ex.Keyword, c.cfg.Clock.Now()), c.log)
	c.log.Info("client export downloaded", "keyword", ex.Keyword, "rows", n)
	return nil
}
