package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
)

// ProblemBase starts every problem type URI; the rest is the kind's name.
// The URIs are identifiers, stable across releases and hosts (RFC 9457 §3.1.1).
const ProblemBase = "urn:nudges:problem:"

// Problem kinds: the last part of a problem's type URI. A refusal of the
// announcement and reply rules (flows.Refused) is a kind named by its
// flows.Reason, e.g. urn:nudges:problem:quota-used-up.
const (
	KindUnauthorized      = "unauthorized"           // 401: no key, or not a live one
	KindNotFound          = "not-found"              // 404: no such resource, or not this key's
	KindMethodNotAllowed  = "method-not-allowed"     // 405
	KindMalformed         = "malformed-request"      // 400: body not JSON of the right shape, bad header
	KindInvalid           = "invalid-parameter"      // 422: a field's value is refused
	KindOptedOut          = "opted-out"              // 409: the phone opted out or was erased
	KindConflict          = "conflict"               // 409: the request conflicts with the resource's state
	KindIdempotencyReused = "idempotency-key-reused" // 422: same Idempotency-Key, another request
	KindIdempotencyBusy   = "idempotency-key-in-use" // 409: the first request with the key is still running
	KindTooLarge          = "request-too-large"      // 413
	KindRateLimited       = "rate-limited"           // 429, with Retry-After
	KindInternal          = "internal-error"         // 500
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

var titles = map[string]string{
	KindUnauthorized: "Unauthorized", KindNotFound: "Not found", KindMethodNotAllowed: "Method not allowed",
	KindMalformed: "Malformed request", KindInvalid: "Invalid parameter", KindOptedOut: "Opted out",
	KindConflict: "Conflict", KindIdempotencyReused: "Idempotency-Key reused", KindIdempotencyBusy: "Idempotency-Key in use",
	KindTooLarge: "Request too large", KindRateLimited: "Too many requests", KindInternal: "Internal error",
	string(flows.ReasonNotActive): "Client not active", string(flows.ReasonQuota): "Announcements used up",
	string(flows.ReasonNoSubscribers): "Nobody on the list", string(flows.ReasonTooLong): "Text too long",
	string(flows.ReasonEmpty): "Nothing to send", string(flows.ReasonControl): "Control characters",
	string(flows.ReasonSendAt): "send_at out of range", string(flows.ReasonPicture): "Picture refused",
	string(flows.ReasonFinished): "Already finished", string(flows.ReasonScheduled): "Still scheduled",
	string(flows.ReasonNotScheduled): "Not scheduled", string(flows.ReasonGone): "Subscriber gone",
}

// problem writes a problem of kind with status and detail.
func problem(c echo.Context, status int, kind, detail string) error {
	body, err := json.Marshal(Problem{Type: ProblemBase + kind, Title: titles[kind], Status: status, Detail: detail})
	if err != nil {
		return err
	}
	return c.Blob(status, "application/problem+json", body)
}

// fail answers err: a bot.Error becomes the problem its code names, any
// other error is logged and answered as an internal error.
func fail(c echo.Context, err error) error {
	var r *flows.Refused
	if errors.As(err, &r) {
		status := http.StatusConflict
		if bot.ErrorCode(r) == bot.EINVALID {
			status = http.StatusUnprocessableEntity
		}
		return problem(c, status, string(r.Reason), r.Message)
	}
	var e *bot.Error
	if !errors.As(err, &e) {
		slog.Error("api", "method", c.Request().Method, "path", c.Path(), "err", err)
		return problem(c, http.StatusInternalServerError, KindInternal, "Something went wrong; it was logged.")
	}
	switch e.Code {
	case bot.EINVALID:
		return problem(c, http.StatusUnprocessableEntity, KindInvalid, e.Message)
	case bot.ENOTFOUND:
		return problem(c, http.StatusNotFound, KindNotFound, e.Message)
	case bot.ECONFLICT:
		return problem(c, http.StatusConflict, KindConflict, e.Message)
	case bot.ELIMIT:
		return problem(c, http.StatusTooManyRequests, KindRateLimited, e.Message)
	}
	slog.Error("api", "method", c.Request().Method, "path", c.Path(), "err", err)
	return problem(c, http.StatusInternalServerError, KindInternal, "Something went wrong; it was logged.")
}

// ErrorHandler answers errors under /api/ as problems, and passes the
// others to next (echo's routing 404 and 405, a recovered panic, a body
// over the limit).
func ErrorHandler(next echo.HTTPErrorHandler) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed || !isAPI(c.Request().URL.Path) {
			next(err, c)
			return
		}
		var he *echo.HTTPError
		if !errors.As(err, &he) {
			fail(c, err)
			return
		}
		kind := map[int]string{http.StatusNotFound: KindNotFound, http.StatusMethodNotAllowed: KindMethodNotAllowed,
			http.StatusRequestEntityTooLarge: KindTooLarge, http.StatusUnauthorized: KindUnauthorized}[he.Code]
		if kind == "" {
			fail(c, err)
			return
		}
		problem(c, he.Code, kind, http.StatusText(he.Code)+".")
	}
}

func isAPI(path string) bool { return len(path) >= len(Prefix) && path[:len(Prefix)] == Prefix }

func retryAfter(c echo.Context, secs int) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
}
