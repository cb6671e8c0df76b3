package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

const (
	maxImportBody = "2G" // an upload; it is spooled to a temporary file, never memory
	keepJobs      = 20   // finished imports whose result pages stay viewable
)

// importJob is one import running (or run) in the background, watched
// from its status page.
type importJob struct {
	ID      string
	Keyword string
	File    string
	Admin   bot.Phone
	Started time.Time

	size int64        // of the spooled file
	read atomic.Int64 // bytes of it the import has read

	mu       sync.Mutex
	res      bot.ImportResult
	finished time.Time
	err      string
}

// importJobs are this process's imports, newest last.
type importJobs struct {
	mu   sync.Mutex
	list []*importJob
}

func (js *importJobs) add(j *importJob) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.list = append(js.list, j)
	if len(js.list) > keepJobs {
		js.list = js.list[len(js.list)-keepJobs:]
	}
}

func (js *importJobs) get(id string) *importJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range js.list {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// importView is what the form and the status page show.
type importView struct {
	Lists    []string
	Keyword  string
	Job      *importJob
	Res      bot.ImportResult
	Running  bool
	Took     time.Duration
	Err      string
	Unlisted int // invalid rows counted but not listed
}

func (c *Console) importPage(ec echo.Context) error {
	v, err := c.importForm(ec.QueryParam("keyword"))
	if err != nil {
		return c.kit.Internal(ec, "import form", err)
	}
	return c.kit.Render(ec, http.StatusOK, "import.html", view{Title: "Import a list", D: v})
}

func (c *Console) importForm(keyword string) (importView, error) {
	v := importView{Keyword: strings.ToUpper(keyword)}
	err := c.db.Read(func(tx *store.Tx) error {
		return tx.EachClient(func(cl *bot.Client) error { v.Lists = append(v.Lists, cl.Keyword); return nil })
	})
	return v, err
}

// upload is the import form as read from the multipart body.
type upload struct {
	keyword, consent, name string
	spool                  *os.File
}

// importUpload spools the file to disk as it arrives, checks the form and
// starts the import, then sends the admin to its status page.
func (c *Console) importUpload(ec echo.Context) error {
	// The server cuts every request off after 30 s; a signed-in admin's
	// upload of a large list may take longer on a slow line.
	rc := http.NewResponseController(ec.Response())
	if err := rc.SetReadDeadline(time.Now().Add(uploadLimit)); err != nil {
		c.log.Debug("import: read deadline not extended", "err", err)
	}
	up, err := readUpload(ec.Request())
	if up.spool != nil {
		defer func() {
			if up.spool != nil { // not handed to a job
				up.spool.Close()
				os.Remove(up.spool.Name())
			}
		}()
	}
	if err == nil {
		err = c.checkUpload(up)
	}
	if err != nil {
		v, ferr := c.importForm(up.keyword)
		if ferr != nil {
			return c.kit.Internal(ec, "import form", ferr)
		}
		return c.kit.Render(ec, http.StatusBadRequest, "import.html", view{Title: "Import a list", Error: bot.ErrorMessage(err), D: v})
	}
	j := &importJob{ID: newJobID(), Keyword: up.keyword, File: up.name, Admin: webkit.Who(ec), Started: c.cfg.Clock.Now()}
	c.jobs.add(j)
	go c.runImport(j, up.spool)
	up.spool = nil
	return ec.Redirect(http.StatusSeeOther, "/admin/import/"+j.ID)
}

// uploadLimit is how long an import upload may take to arrive.
const uploadLimit = 30 * time.Minute

func readUpload(r *http.Request) (upload, error) {
	var up upload
	mr, err := r.MultipartReader()
	if err != nil {
		return up, bot.Errorf(bot.EINVALID, "Send the form as a file upload (multipart/form-data).")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return up, nil
		}
		if err != nil {
			return up, bot.Errorf(bot.EINVALID, "The upload was cut off: %v", err)
		}
		if err := up.read(part); err != nil {
			return up, err
		}
	}
}

func (up *upload) read(part *multipart.Part) error {
	defer part.Close()
	switch part.FormName() {
	case "keyword", "consent":
		b, _ := io.ReadAll(io.LimitReader(part, 100))
		if part.FormName() == "keyword" {
			up.keyword = strings.ToUpper(strings.TrimSpace(string(b)))
		} else {
			up.consent = strings.TrimSpace(string(b))
		}
	case "file":
		if up.spool != nil {
			return bot.Errorf(bot.EINVALID, "Upload one file at a time.")
		}
		f, err := os.CreateTemp("", "nudges-import-*.csv")
		if err != nil {
			return fmt.Errorf("spool upload: %w", err)
		}
		up.spool, up.name = f, filepath.Base(part.FileName())
		if _, err := io.Copy(f, part); err != nil {
			return bot.Errorf(bot.EINVALID, "The upload was cut off: %v", err)
		}
	}
	return nil
}

func (c *Console) checkUpload(up upload) error {
	if up.consent != "yes" {
		return bot.Errorf(bot.EINVALID, "Confirm that everyone on the list agreed to get texts from this business: nobody is imported without it.")
	}
	if up.spool == nil || up.name == "" || up.name == "." {
		return bot.Errorf(bot.EINVALID, "Choose a CSV file to import.")
	}
	var found bool
	err := c.db.Read(func(tx *store.Tx) error {
		cl, err := tx.ClientByKeyword(up.keyword)
		found = cl != nil
		return err
	})
	if err == nil && !found {
		err = bot.Errorf(bot.ENOTFOUND, "No client has the keyword %q.", up.keyword)
	}
	return err
}

// runImport imports the spooled file and removes it.
func (c *Console) runImport(j *importJob, f *os.File) {
	defer os.Remove(f.Name())
	defer f.Close()
	res, err := func() (bot.ImportResult, error) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return bot.ImportResult{}, err
		}
		if fi, err := f.Stat(); err == nil {
			j.size = fi.Size()
		}
		req := bot.ImportRequest{Keyword: j.Keyword, File: j.File, Admin: j.Admin}
		return bot.Import(context.Background(), c.db, c.cfg.Clock, countReader{f, &j.read}, req, j.progress)
	}()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.res, j.finished = res, c.cfg.Clock.Now()
	if j.finished.Equal(j.Started) {
		j.finished = j.finished.Add(time.Nanosecond) // a fixed clock still ends the job
	}
	if err != nil {
		j.err = bot.ErrorMessage(err)
		c.log.Error("console: import", "keyword", j.Keyword, "file", j.File, "err", err)
	}
	c.log.Info("console: import done", "keyword", j.Keyword, "file", j.File, "by", j.Admin,
		"rows", res.Rows, "added", res.Added, "already", res.Already, "opted_out", res.OptedOut, "invalid", res.Invalid)
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Percent is how much of the file the import has read.
func (j *importJob) Percent() int {
	if j.size <= 0 {
		return 0
	}
	return int(min(100*j.read.Load()/j.size, 100))
}

func (j *importJob) progress(r bot.ImportResult) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.res = r
}

func (c *Console) importStatus(ec echo.Context) error {
	j := c.jobs.get(ec.Param("id"))
	if j == nil {
		return c.kit.Fail(ec, http.StatusNotFound, "No such import: its page is gone after a restart. Check the list on the Subscribers page.")
	}
	j.mu.Lock()
	v := importView{Job: j, Res: j.res, Running: j.finished.IsZero(), Err: j.err, Keyword: j.Keyword}
	v.Res.Bad = append([]bot.BadRow(nil), j.res.Bad...)
	if !v.Running {
		v.Took = j.finished.Sub(j.Started).Round(time.Millisecond)
	}
	j.mu.Unlock()
	v.Unlisted = v.Res.Invalid - len(v.Res.Bad)
	if v.Running {
		ec.Response().Header().Set("Refresh", "1") // the page follows the import, no script needed
	}
	return c.kit.Render(ec, http.StatusOK, "import_status.html", view{Title: "Import onto " + j.Keyword, D: v})
}

func newJobID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
