package webkit

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"nudges/bot"
)

// Upload is a multipart form holding one file, read as it arrives: its
// small fields, and the file spooled to a temporary file (never memory).
type Upload struct {
	Fields map[string]string // each at most 100 bytes, trimmed
	Name   string            // the file's base name
	Spool  *os.File          // nil when no file came
	Size   int64
}

// ReadUpload reads r's multipart body: fields (others are ignored) and one
// file part named "file" of at most maxFile bytes. An error is EINVALID,
// with a message for the user; what was spooled is in the Upload all the
// same, for Discard.
func ReadUpload(r *http.Request, maxFile int64, fields ...string) (Upload, error) {
	up := Upload{Fields: map[string]string{}}
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
		if err := up.read(part, maxFile, fields); err != nil {
			return up, err
		}
	}
}

func (up *Upload) read(part *multipart.Part, maxFile int64, fields []string) error {
	defer part.Close()
	name := part.FormName()
	switch {
	case name == "file":
		if up.Spool != nil {
			return bot.Errorf(bot.EINVALID, "Upload one file at a time.")
		}
		f, err := os.CreateTemp("", "nudges-import-*.csv")
		if err != nil {
			return fmt.Errorf("spool upload: %w", err)
		}
		up.Spool, up.Name = f, filepath.Base(part.FileName())
		n, err := io.Copy(f, io.LimitReader(part, maxFile+1))
		up.Size = n
		if err != nil {
			return bot.Errorf(bot.EINVALID, "The upload was cut off: %v", err)
		}
		if n > maxFile {
			return bot.Errorf(bot.EINVALID, "The file is larger than %d MB: split it and import each part.", maxFile>>20)
		}
	case slices.Contains(fields, name):
		b, _ := io.ReadAll(io.LimitReader(part, 100))
		up.Fields[name] = strings.TrimSpace(string(b))
	}
	return nil
}

// HasFile reports whether a file with a name came.
func (up *Upload) HasFile() bool { return up.Spool != nil && up.Name != "" && up.Name != "." }

// Take hands the spooled file over (to an import job): Discard leaves it.
func (up *Upload) Take() *os.File {
	f := up.Spool
	up.Spool = nil
	return f
}

// Discard removes the spooled file unless it was taken.
func (up *Upload) Discard() {
	if up.Spool != nil {
		up.Spool.Close()
		os.Remove(up.Spool.Name())
		up.Spool = nil
	}
}

// CheckConsent is the import form's consent rule, the console's and the
// dashboard's: the box must be ticked, and a file chosen.
func (up *Upload) CheckConsent() error {
	if up.Fields["consent"] != "yes" {
		return bot.Errorf(bot.EINVALID, "Confirm that everyone on the list agreed to get texts from this business: nobody is imported without it.")
	}
	if !up.HasFile() {
		return bot.Errorf(bot.EINVALID, "Choose a CSV file to import.")
	}
	return nil
}
