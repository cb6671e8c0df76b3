package app

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// Settings are the state changes of the SMS commands WELCOME, REPLIES and
// ENGLISH/ESPAÑOL (flows.SetWelcome, SetReplies, SetLanguage), so a setting
// changed on the page is the very one the command changes.
type Settings struct {
	// Welcome sets c's welcome line ("" removes it) and returns why it was
	// refused, in English, or "".
	Welcome  func(c *bot.Client, text string) (refusal string)
	Replies  func(c *bot.Client, on bool)
	Language func(conv *bot.Conversation, lang string)
}

// settingsView is the data of the Settings page.
type settingsView struct {
	Client  *bot.Client
	Welcome string // the line shown in the form (as typed, after a refusal)
	Lang    string // the language the service texts the client in
	Tabs    []tab  // the Settings sub-menu (General, API keys, Webhooks)
}

// maxWelcomeField bounds the welcome form's text before the rules read it.
const maxWelcomeField = 1000

// settings shows the welcome line, replies on or off and the language.
func (d *Dashboard) settings(ec echo.Context, c *bot.Client) error {
	v, err := d.settingsOf(c)
	if err != nil {
		return d.kit.Internal(ec, "settings", err)
	}
	return d.render(ec, c, "settings.html", "Settings", v)
}

func (d *Dashboard) settingsOf(c *bot.Client) (settingsView, error) {
	v := settingsView{Client: c, Welcome: c.Welcome, Lang: d.cfg.Web.DefaultLocale, Tabs: d.settingsTabs("/settings")}
	err := d.db.View(func(tx bot.Tx) error {
		conv, err := tx.Conversation(c.Phone)
		if err == nil && conv.Locale != "" {
			v.Lang = conv.Locale
		}
		return err
	})
	return v, err
}

// settingsWelcome sets or removes the welcome line, by WELCOME's rules.
func (d *Dashboard) settingsWelcome(ec echo.Context, c *bot.Client) error {
	text := ec.FormValue("welcome")
	if len(text) > maxWelcomeField {
		return d.settingsRefused(ec, c, text, "That welcome line is far too long: keep it to one short sentence.")
	}
	var refusal string
	err := d.updateClient(c.Phone, func(tx bot.Tx, fresh *bot.Client) (bool, error) {
		refusal = d.cfg.Settings.Welcome(fresh, text)
		return refusal == "", nil
	})
	if err != nil {
		return d.kit.Internal(ec, "welcome", err)
	}
	if refusal != "" {
		return d.settingsRefused(ec, c, text, refusal)
	}
	return d.kit.RedirectFlash(ec, "/app/settings", "Saved your welcome line.", false)
}

// settingsRefused shows the form again with the line as typed and why.
func (d *Dashboard) settingsRefused(ec echo.Context, c *bot.Client, text, why string) error {
	v, err := d.settingsOf(c)
	if err != nil {
		return d.kit.Internal(ec, "settings", err)
	}
	v.Welcome = text
	return d.renderError(ec, c, http.StatusUnprocessableEntity, "settings.html", "Settings", v, why)
}

// settingsReplies turns reply forwarding on or off, as REPLIES ON/OFF.
func (d *Dashboard) settingsReplies(ec echo.Context, c *bot.Client) error {
	on, ok := map[string]bool{"on": true, "off": false}[ec.FormValue("replies")]
	if !ok {
		return d.kit.Fail(ec, http.StatusBadRequest, "Choose on or off for replies.")
	}
	err := d.updateClient(c.Phone, func(_ bot.Tx, fresh *bot.Client) (bool, error) {
		d.cfg.Settings.Replies(fresh, on)
		return true, nil
	})
	if err != nil {
		return d.kit.Internal(ec, "replies", err)
	}
	msg := "Replies from subscribers now come to you."
	if !on {
		msg = "Replies from subscribers are no longer forwarded to you."
	}
	return d.kit.RedirectFlash(ec, "/app/settings", msg, false)
}

// settingsLanguage sets the language the service texts the client in, as
// ENGLISH and ESPAÑOL do.
func (d *Dashboard) settingsLanguage(ec echo.Context, c *bot.Client) error {
	lang := ec.FormValue("lang")
	if lang != bot.English && lang != bot.Spanish {
		return d.kit.Fail(ec, http.StatusBadRequest, "Choose English or Spanish.")
	}
	err := d.db.Update(func(tx bot.Tx) error {
		conv, err := tx.Conversation(c.Phone)
		if err != nil {
			return err
		}
		d.cfg.Settings.Language(conv, lang)
		return tx.PutConversation(conv)
	})
	if err != nil {
		return d.kit.Internal(ec, "language", err)
	}
	return d.kit.RedirectFlash(ec, "/app/settings", "Saved: we text you in "+map[string]string{"en": "English", "es": "Spanish"}[lang]+".", false)
}

// updateClient reads client p as stored now, lets change alter it, and
// saves it when change says so, in one write.
func (d *Dashboard) updateClient(p bot.Phone, change func(tx bot.Tx, c *bot.Client) (save bool, err error)) error {
	return d.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(p)
		if err != nil || c == nil {
			return err
		}
		save, err := change(tx, c)
		if err != nil || !save {
			return err
		}
		return tx.PutClient(c)
	})
}
