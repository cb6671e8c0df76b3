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

// exportChunk is how many records or rows one read transaction of an export
// reads; the response is flushed after each.
const exportChunk = 1000

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
	w := c.startCSV(ec, name+"-"+c.cfg.Clock.Now().UTC().Format("20060102")+".csv", consentHeader)
	n := 0
	err := c.db.EachConsent(kw, exportChunk, func(r bot.ConsentRecord) error {
		n++
		err := w.Write([]string{r.At.UTC().Format(time.RFC3339), string(r.Phone), r.Keyword, string(r.Kind),
			r.Source(), r.Text, r.SID, r.To, r.File, string(r.Admin)})
		return c.flushEvery(ec, w, n, err)
	})
	return c.endCSV(ec, w, "consent export", err)
}

var listHeader = []string{"phone", "language", "joined_at", "source"}

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
	w := c.startCSV(ec, ex.Keyword+"-list-"+c.cfg.Clock.Now().UTC().Format("20060102")+".csv", listHeader)
	n := 0
	err = c.db.EachListRow(ex.Keyword, exportChunk, func(r store.ListRow) error {
		n++
		err := w.Write([]string{string(r.Phone), r.Locale, r.JoinedAt.UTC().Format(time.RFC3339), r.Source})
		return c.flushEvery(ec, w, n, err)
	})
	c.log.Info("client export downloaded", "keyword", ex.Keyword, "rows", n)
	return c.endCSV(ec, w, "client export", err)
}

// startCSV answers with a CSV download whose every cell is guarded against
// spreadsheet formulas (bot.CSVWriter).
func (c *Console) startCSV(ec echo.Context, filename string, header []string) *bot.CSVWriter {
	h := ec.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	ec.Response().WriteHeader(http.StatusOK)
	w := bot.NewCSVWriter(ec.Response())
	w.Write(header)
	return w
}

func (c *Console) flushEvery(ec echo.Context, w *bot.CSVWriter, n int, err error) error {
	if err == nil && n%exportChunk == 0 {
		w.Flush()
		ec.Response().Flush()
		err = w.Error()
	}
	return err
}

func (c *Console) endCSV(ec echo.Context, w *bot.CSVWriter, what string, err error) error {
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// Headers are gone: the reader gets a truncated file; log it.
		c.log.Error("console: "+what+" failed mid-stream", "err", err)
	}
	return nil
}
