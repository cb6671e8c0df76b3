package webkit

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// CSVChunk is how many records or rows one read transaction of a CSV
// download reads; the response is flushed after each.
const CSVChunk = 1000

// CSV is a CSV download being written: every cell guarded against
// spreadsheet formulas (bot.CSVWriter), flushed every CSVChunk rows.
type CSV struct {
	ec echo.Context
	w  *bot.CSVWriter
	n  int
}

// StartCSV answers with a CSV download named filename, its header written.
func StartCSV(ec echo.Context, filename string, header []string) *CSV {
	h := ec.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	ec.Response().WriteHeader(http.StatusOK)
	w := bot.NewCSVWriter(ec.Response())
	w.Write(header)
	return &CSV{ec: ec, w: w}
}

// Write writes one record, flushing the response every CSVChunk records.
func (c *CSV) Write(rec []string) error {
	c.n++
	if err := c.w.Write(rec); err != nil {
		return err
	}
	if c.n%CSVChunk == 0 {
		c.w.Flush()
		c.ec.Response().Flush()
		return c.w.Error()
	}
	return nil
}

// Rows is how many records were written (the header not counted).
func (c *CSV) Rows() int { return c.n }

// End flushes the download. The headers are gone by now, so an error
// (err, or the writer's own) leaves the reader a truncated file: it is
// logged as what failed, and End returns nil for the handler to return.
func (c *CSV) End(log interface{ Error(string, ...any) }, what string, err error) error {
	c.w.Flush()
	if err == nil {
		err = c.w.Error()
	}
	if err != nil {
		log.Error(what+" failed mid-stream", "err", err)
	}
	return nil
}

// ListHeader is the header of a list's CSV: the columns the import reads,
// so an export imports back as it was.
var ListHeader = []string{"phone", "language", "joined_at", "source"}

// ListRecord is one subscriber's row of a list's CSV.
func ListRecord(r store.ListRow) []string {
	return []string{string(r.Phone), r.Locale, r.JoinedAt.UTC().Format(time.RFC3339), r.Source}
}

// ListFile is the file name of keyword's list export made at now.
func ListFile(keyword string, now time.Time) string {
	return keyword + "-list-" + now.UTC().Format("20060102") + ".csv"
}

// WriteList streams keyword's whole list as CSV (ListHeader), reading
// CSVChunk rows per read transaction; it returns how many rows it wrote.
func WriteList(ec echo.Context, db *store.DB, keyword, filename string, log interface{ Error(string, ...any) }) int {
	w := StartCSV(ec, filename, ListHeader)
	err := db.EachListRow(keyword, CSVChunk, func(r store.ListRow) error { return w.Write(ListRecord(r)) })
	w.End(log, keyword+" list export", err)
	return w.Rows()
}
