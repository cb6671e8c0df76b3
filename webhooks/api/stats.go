package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// listStats is one list's figures.
type listStats struct {
	List        string `json:"list"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Subscribers int    `json:"subscribers"`
}

// stats answers the key's list (a client key) or every list (an admin key).
func (a *API) stats(c echo.Context) error {
	k := keyOf(c)
	out := struct {
		Object string      `json:"object"`
		Lists  []listStats `json:"lists"`
	}{Object: "stats", Lists: []listStats{}}
	add := func(cl *bot.Client) error {
		out.Lists = append(out.Lists, listStats{List: cl.Keyword, Name: cl.Name, Status: string(cl.Status), Subscribers: cl.Subscribers})
		return nil
	}
	err := a.st.View(func(tx bot.Tx) error {
		if k.IsAdmin() {
			return tx.EachClient(add)
		}
		cl, err := tx.Client(k.Client)
		if err != nil || cl == nil {
			return err
		}
		return add(cl)
	})
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(http.StatusOK, out)
}
