package admin

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

const maxImportBody = "2G" // an upload; it is spooled to a temporary file, never memory

// importView is what the form shows.
type importView struct {
	Lists   []string
	Keyword string
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

// importUpload spools the file to disk as it arrives, checks the form and
// starts the import, then sends the admin to its status page.
func (c *Console) importUpload(ec echo.Context) error {
	// The server cuts every request off after 30 s; a signed-in admin's
	// upload of a large list may take longer on a slow line.
	rc := http.NewResponseController(ec.Response())
	if err := rc.SetReadDeadline(time.Now().Add(uploadLimit)); err != nil {
		c.log.Debug("import: read deadline not extended", "err", err)
	}
	up, err := webkit.ReadUpload(ec.Request(), math.MaxInt64-1, "keyword", "consent")
	defer up.Discard()
	keyword := strings.ToUpper(up.Fields["keyword"])
	if err == nil {
		err = c.checkUpload(&up, keyword)
	}
	if err != nil {
		v, ferr := c.importForm(keyword)
		if ferr != nil {
			return c.kit.Internal(ec, "import form", ferr)
		}
		return c.kit.Render(ec, http.StatusBadRequest, "import.html", view{Title: "Import a list", Error: bot.ErrorMessage(err), D: v})
	}
	j := webkit.NewImportJob(keyword, up.Name, webkit.Who(ec), c.cfg.Clock.Now())
	c.jobs.Start(j, up.Take())
	return ec.Redirect(http.StatusSeeOther, "/admin/import/"+j.ID)
}

// uploadLimit is how long an import upload may take to arrive.
const uploadLimit = 30 * time.Minute

func (c *Console) checkUpload(up *webkit.Upload, keyword string) error {
	if err := up.CheckConsent(); err != nil {
		return err
	}
	var found bool
	err := c.db.Read(func(tx *store.Tx) error {
		cl, err := tx.ClientByKeyword(keyword)
		found = cl != nil
		return err
	})
	if err == nil && !found {
		err = bot.Errorf(bot.ENOTFOUND, "No client has the keyword %q.", keyword)
	}
	return err
}

func (c *Console) importStatus(ec echo.Context) error {
	j := c.jobs.Get(ec.Param("id"))
	if j == nil {
		return c.kit.Fail(ec, http.StatusNotFound, "No such import: its page is gone after a restart. Check the list on the Subscribers page.")
	}
	v := j.Status()
	if v.Running {
		ec.Response().Header().Set("Refresh", "1") // the page follows the import, no script needed
	}
	return c.kit.Render(ec, http.StatusOK, "import_status.html", view{Title: "Import onto " + j.Keyword, D: v})
}
