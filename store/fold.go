package store

import (
	"context"
	"database/sql/driver"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"
)

// Fold is s as searches compare it: lower case, accents and ligatures folded, so that
// "zoe" finds "Zoé" and "oeuvray" finds "Œuvray".
func Fold(s string) string {
	s = ligatures.Replace(strings.ToLower(s))
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FoldSQL is the name under which SQL calls Fold: `shop_fold(name) LIKE ?`, with the
// pattern folded too. Every connection of the store has it (see newDriver).
const FoldSQL = "shop_fold"

// newDriver is a SQLite driver of the store's own, carrying the functions its SQL calls:
// registered on the package's shared driver instead, they would be global state.
func newDriver() *sqlite.Driver {
	d := &sqlite.Driver{}
	d.MustRegisterDeterministicScalarFunction(FoldSQL, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return Fold(v), nil
		case []byte:
			return Fold(string(v)), nil
		}
		return args[0], nil
	})
	return d
}

// connector opens connections of a driver to one DSN.
type connector struct {
	drv *sqlite.Driver
	dsn string
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.drv.Open(c.dsn)
}

func (c connector) Driver() driver.Driver { return c.drv }
