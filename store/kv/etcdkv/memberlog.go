package etcdkv

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// memberLogger is etcd's own JSON logger at level, to w (stderr if nil),
// minus the errors every stop of a member logs once closing is set.
func memberLogger(level string, w io.Writer, closing *atomic.Bool) *zap.Logger {
	if w == nil {
		w = os.Stderr
	}
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		lvl = zapcore.ErrorLevel
	}
	ec := logutil.DefaultZapLoggerConfig.EncoderConfig
	core := zapcore.NewCore(zapcore.NewJSONEncoder(ec), zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(quietCore{Core: core, closing: closing}, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
}

// quietCore drops shutdown noise: while its member closes, each of the
// member's servers reports that it was closed ("mux: server closed", "mux: listener closed", "http:
// Server closed", "use of closed network connection") as an error with a
// stack trace. The same message with any other error, and any error while
// the member runs, is written.
type quietCore struct {
	zapcore.Core
	closing *atomic.Bool
}

// With implements zapcore.Core.
func (c quietCore) With(fields []zapcore.Field) zapcore.Core {
	return quietCore{Core: c.Core.With(fields), closing: c.closing}
}

// Check implements zapcore.Core, so that Write below sees the entries.
func (c quietCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// Write implements zapcore.Core.
func (c quietCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if c.closing.Load() && e.Message == serveFailed && closedServer(fields) {
		return nil
	}
	return c.Core.Write(e, fields)
}

// serveFailed is what embed.Etcd logs when one of its servers returns.
const serveFailed = "setting up serving from embedded etcd failed."

// closedServer is true when the entry's error says a server or listener
// was closed, which is what closing the member does.
func closedServer(fields []zapcore.Field) bool {
	for _, f := range fields {
		err, ok := f.Interface.(error)
		if f.Type != zapcore.ErrorType || !ok {
			continue
		}
		return errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) ||
			err.Error() == "mux: server closed" || err.Error() == "mux: listener closed" || err.Error() == "grpc: the server has been stopped"
	}
	return false
}
