package webkit

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Recover turns a handler's panic into an error for HTMLErrors (echo's own
// handler would answer JSON).
func Recover() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{DisableErrorHandler: true})
}

// HTMLErrors turns an error a handler or middleware returns (an unknown
// page, a method not allowed, a bad CSRF token, a body too large, a
// recovered panic) into an HTML page in the audience's style, instead of
// echo's JSON. It runs outermost in the group.
func (k *Kit) HTMLErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		err := next(ec)
		if err == nil || ec.Response().Committed {
			return err
		}
		status, msg := http.StatusInternalServerError, "Something went wrong. The error is in the server log."
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he) && he.Code < http.StatusInternalServerError:
			status, msg = he.Code, k.clientErrorText(he)
		default:
			k.log.Error(k.aud.Name+": request failed", "path", ec.Request().URL.Path, "err", err,
				"request_id", ec.Response().Header().Get(echo.HeaderXRequestID))
		}
		return k.Fail(ec, status, msg)
	}
}

// clientErrorText says what went wrong in a 4xx, in words a user can act on.
func (k *Kit) clientErrorText(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "There is no such page in the " + k.aud.Name + "."
	case http.StatusMethodNotAllowed:
		return "That page cannot be used this way: go back and use its links and buttons."
	case http.StatusForbidden:
		return "This form has expired or did not come from this " + k.aud.Name + ": reload the page and try again."
	case http.StatusRequestEntityTooLarge:
		return "That form was too large."
	case http.StatusTooManyRequests:
		return "Too many attempts from this address: wait a minute and try again."
	}
	if s, ok := he.Message.(string); ok && s != "" {
		return s
	}
	return fmt.Sprint(http.StatusText(he.Code), ".")
}

// errorTitle is the heading of an error page.
func errorTitle(status int) string {
	switch {
	case status == http.StatusNotFound:
		return "Not found"
	case status >= http.StatusInternalServerError:
		return "Something went wrong"
	}
	return "Error"
}

// ErrorView is the data of error.html.
type ErrorView struct {
	Message string
	Status  int
}

// Fail renders the error page with status.
func (k *Kit) Fail(ec echo.Context, status int, msg string) error {
	return k.Render(ec, status, "error.html", View{Title: errorTitle(status), D: ErrorView{msg, status}})
}

// NotFound is the 404 page: what every id that is not the user's answers.
func (k *Kit) NotFound(ec echo.Context) error {
	return k.Fail(ec, http.StatusNotFound, "There is no such page in the "+k.aud.Name+".")
}

// Internal logs err and renders a 500 page that does not reveal it.
func (k *Kit) Internal(ec echo.Context, what string, err error) error {
	k.log.Error(k.aud.Name+": "+what, "err", err, "request_id", ec.Response().Header().Get(echo.HeaderXRequestID))
	return k.Fail(ec, http.StatusInternalServerError, "Something went wrong. The error is in the server log.")
}
