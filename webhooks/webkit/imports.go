package webkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"nudges/bot"
	"nudges/store"
)

// KeepImports is how many finished imports' result pages stay viewable.
const KeepImports = 20

// ImportJob is one CSV import (bot.Import) running or run in the
// background, watched from its status page: the console's onto any list,
// the dashboard's onto the signed-in client's own.
type ImportJob struct {
	ID      string
	Keyword string
	File    string
	By      bot.Phone // the admin or client who ran it
	Client  bool      // By is the list's client (the dashboard), not an admin
	Started time.Time

	size atomic.Int64 // of the spooled file
	read atomic.Int64 // bytes of it the import has read

	mu       sync.Mutex
	res      bot.ImportResult
	finished time.Time
	err      string
}

// NewImportJob is a job for keyword's list, file name file, run by by.
func NewImportJob(keyword, file string, by bot.Phone, now time.Time) *ImportJob {
	b := make([]byte, 8)
	rand.Read(b)
	return &ImportJob{ID: hex.EncodeToString(b), Keyword: keyword, File: file, By: by, Started: now}
}

// Report sets how far the job got: bytes read of size, and its counts.
func (j *ImportJob) Report(read, size int64, res bot.ImportResult) {
	j.read.Store(read)
	j.size.Store(size)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.res = res
}

// Percent is how much of the file the import has read.
func (j *ImportJob) Percent() int {
	size := j.size.Load()
	if size <= 0 {
		return 0
	}
	return int(min(100*j.read.Load()/size, 100))
}

// ImportStatus is what a status page shows of a job at one moment.
type ImportStatus struct {
	Job      *ImportJob
	Res      bot.ImportResult
	Running  bool
	Took     time.Duration
	Err      string
	Unlisted int // invalid rows counted but not listed
}

// Status is a copy of j's state now.
func (j *ImportJob) Status() ImportStatus {
	j.mu.Lock()
	v := ImportStatus{Job: j, Res: j.res, Running: j.finished.IsZero(), Err: j.err}
	v.Res.Bad = append([]bot.BadRow(nil), j.res.Bad...)
	if !v.Running {
		v.Took = j.finished.Sub(j.Started).Round(time.Millisecond)
	}
	j.mu.Unlock()
	v.Unlisted = v.Res.Invalid - len(v.Res.Bad)
	return v
}

// Imports are this process's imports, newest last, the last KeepImports.
type Imports struct {
	DB    *store.DB
	Clock bot.Clock
	Log   *slog.Logger

	mu   sync.Mutex
	list []*ImportJob
}

// Add keeps j, forgetting the oldest beyond KeepImports.
func (js *Imports) Add(j *ImportJob) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.list = append(js.list, j)
	if len(js.list) > KeepImports {
		js.list = js.list[len(js.list)-KeepImports:]
	}
}

// Get is the job with id, nil when there is none (or it was forgotten).
func (js *Imports) Get(id string) *ImportJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range js.list {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// Running reports whether an import onto keyword's list is running.
func (js *Imports) Running(keyword string) bool {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range js.list {
		if j.Keyword == keyword && j.Status().Running {
			return true
		}
	}
	return false
}

// Start keeps j and imports the spooled file f in the background,
// removing f when done.
func (js *Imports) Start(j *ImportJob, f *os.File) {
	js.Add(j)
	go js.run(j, f)
}

func (js *Imports) run(j *ImportJob, f *os.File) {
	defer os.Remove(f.Name())
	defer f.Close()
	res, err := func() (bot.ImportResult, error) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return bot.ImportResult{}, err
		}
		if fi, err := f.Stat(); err == nil {
			j.size.Store(fi.Size())
		}
		req := bot.ImportRequest{Keyword: j.Keyword, File: j.File, Admin: j.By}
		if j.Client {
			req.Admin, req.Client = "", j.By
		}
		progress := func(r bot.ImportResult) { j.mu.Lock(); j.res = r; j.mu.Unlock() }
		return bot.Import(context.Background(), js.DB, js.Clock, countReader{f, &j.read}, req, progress)
	}()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.res, j.finished = res, js.Clock.Now()
	if !j.finished.After(j.Started) {
		j.finished = j.Started.Add(time.Nanosecond) // a fixed clock still ends the job
	}
	if err != nil {
		j.err = bot.ErrorMessage(err)
		js.Log.Error("import", "keyword", j.Keyword, "file", j.File, "err", err)
	}
	js.Log.Info("import done", "keyword", j.Keyword, "file", j.File, "by", j.By,
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
