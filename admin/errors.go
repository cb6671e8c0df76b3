package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// recoverPanics turns a handler's panic into an error for htmlErrors (echo's
// own handler would answer JSON).
func recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{DisableErrorHandler: true})
}

// htmlErrors turns an error a console handler or middleware returns (an
// unknown page, a method not allowed, a bad CSRF token, a body too large, a
// recovered panic) into an HTML page in the console's style, instead of
// echo's JSON. It runs outermost in the /admin group.
func (c *Console) htmlErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		err := next(ec)
		if err == nil || ec.Response().Committed {
			return err
		}
		status, msg := http.StatusInternalServerError, "Something went wrong. The error is in the server log."
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he) && he.Code < http.StatusInternalServerError:
			status, msg = he.Code, clientErrorText(he)
		default:
			c.log.Error("console: request failed", "path", ec.Request().URL.Path, "err", err,
				"request_id", ec.Response().Header().Get(echo.HeaderXRequestID))
		}
		return c.fail(ec, status, msg)
	}
}

// clientErrorText says what went wrong in a 4xx, in words an operator can act on.
func clientErrorText(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "There is no such page in the console."
	case http.StatusMethodNotAllowed:
		return "That page cannot be used this way: go back and use its links and buttons."
	case http.StatusForbidden:
		return "This form has expired or did not come from this console: reload the page and try again."
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
