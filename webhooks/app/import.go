package app

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/webhooks/webkit"
)

// The dashboard's import is the console's (webkit.Imports, bot.Import:
// the consent box, opted-out and erased phones skipped, nobody texted)
// onto the signed-in client's own list only: the list is not a field of
// the form, and a file is at most maxUpload bytes.
const (
	maxUpload     = 20 << 20 // about half a million rows of phones with a date and a source
	maxUploadBody = "21M"    // the file and the form around it
	uploadPath    = "/app/subscribers/import"
	uploadTime    = 10 * time.Minute // how long an upload may take to arrive
)

// mayImport are the client states that may import: not a suspended or
// canceled list.
var mayImport = []bot.ClientStatus{bot.ClientActive, bot.ClientPastDue}

// isUpload is the one dashboard request allowed past the 64 KiB limit.
func isUpload(ec echo.Context) bool {
	return ec.Request().Method == http.MethodPost && ec.Path() == uploadPath
}

// importView is the data of the import form.
type importView struct {
	Client  *bot.Client
	Allowed bool   // the client's state lets it import
	MaxMB   int    // the largest file
	Action  string // the form's action, the CSRF token in its query
}

func (d *Dashboard) importView(ec echo.Context, c *bot.Client) importView {
	tok, _ := ec.Get("csrf").(string)
	return importView{Client: c, Allowed: slices.Contains(mayImport, c.Status), MaxMB: maxUpload >> 20, Action: uploadPath + "?_csrf=" + tok}
}

func (d *Dashboard) importPage(ec echo.Context, c *bot.Client) error {
	return d.renderPage(ec, c, pageRef{"import.html", "Import subscribers", "subscribers"}, d.importView(ec, c), "")
}

// importUpload spools the file as it arrives, checks the form, and starts
// the import onto c's list; the client follows it on its status page.
func (d *Dashboard) importUpload(ec echo.Context, c *bot.Client) error {
	rc := http.NewResponseController(ec.Response())
	if err := rc.SetReadDeadline(time.Now().Add(uploadTime)); err != nil {
		d.log().Debug("dashboard import: read deadline not extended", "err", err)
	}
	up, err := webkit.ReadUpload(ec.Request(), maxUpload, "consent")
	defer up.Discard()
	if err == nil {
		err = up.CheckConsent()
	}
	if err == nil && d.jobs.Running(c.Keyword) {
		err = bot.Errorf(bot.ECONFLICT, "An import onto your list is still running: wait for it to finish, then import the next file.")
	}
	if err != nil {
		return d.renderPage(ec, c, pageRef{"import.html", "Import subscribers", "subscribers"}, d.importView(ec, c), bot.ErrorMessage(err))
	}
	j := webkit.NewImportJob(c.Keyword, up.Name, c.Phone, d.cfg.Web.Clock.Now())
	j.Client = true
	d.jobs.Start(j, up.Take())
	d.log().Info("dashboard: import started", "keyword", c.Keyword, "file", up.Name, "bytes", up.Size)
	return ec.Redirect(http.StatusSeeOther, uploadPath+"/"+j.ID)
}

// importStatus shows one of c's imports; another list's, or one this
// process no longer holds, is not found.
func (d *Dashboard) importStatus(ec echo.Context, c *bot.Client) error {
	j := d.jobs.Get(ec.Param("id"))
	if j == nil || j.Keyword != c.Keyword {
		return d.kit.Fail(ec, http.StatusNotFound, "No such import: its page is gone after a restart. Your list on the Subscribers page has what was imported.")
	}
	v := j.Status()
	if v.Running {
		ec.Response().Header().Set("Refresh", "1") // the page follows the import, no script needed
	}
	return d.renderPage(ec, c, pageRef{"import_status.html", "Import from " + j.File, "subscribers"}, v, "")
}
