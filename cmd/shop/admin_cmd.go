package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/term"

	"shop/store"
)

const adminUsage = `usage: shop admin add [-data-dir DIR] EMAIL       create an admin account
       shop admin password [-data-dir DIR] EMAIL  set a new password (ends the admin's sessions)
The password is read from standard input, never from the command line, which other
users of the machine can see. DIR defaults to SHOP_DATA_DIR, then ./data.`

// adminCommand runs `shop admin …`; args are the words after "admin". It needs only the
// data directory, not the server's settings (bank, mail…), so it reads only that.
func adminCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "password") {
		return errors.New(adminUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("shop admin "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", cmp.Or(getenv("SHOP_DATA_DIR"), "./data"), "data directory")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
		return errors.New(adminUsage)
	}
	if strings.TrimSpace(*dataDir) == "" { // as the server refuses it
		return fmt.Errorf("-data-dir=%q (SHOP_DATA_DIR): must not be empty", *dataDir)
	}
	email := fs.Arg(0)
	var err error
	if email, err = store.NormalizeEmail(email); err != nil {
		return err
	}
	tty := terminal(stdin)
	shown := "it is shown as you type"
	if tty != nil {
		shown = "it is not shown as you type"
	}
	fmt.Fprintf(stdout, "Password for %s (at least 10 characters; %s): ", email, shown)
	password, err := readPassword(ctx, stdin, tty)
	fmt.Fprintln(stdout)
	if err != nil {
		return err
	}
	if err := store.CheckPassword(password); err != nil {
		return err
	}
	// Only the store's own migrations: the admin tables are there, and the server applies
	// every other package's when it starts.
	db, err := store.Open(ctx, filepath.Join(*dataDir, "shop.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	staff := &store.Staff{DB: db}
	if sub == "add" {
		if _, err := staff.Add(ctx, email, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Admin %s added. Log in at /admin/login on the shop.\n", email)
		return nil
	}
	if err := staff.SetPassword(ctx, email, password); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Password of %s changed; the admin's sessions have ended.\n", email)
	return nil
}

// terminal is r when it is a terminal, nil otherwise (a pipe, a file).
func terminal(r io.Reader) *os.File {
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// readPassword reads one line, without its line ending: from tty, when it is not nil,
// with echo off, so that no one reads the password over the merchant's shoulder or in
// the terminal's scrollback; otherwise from r, a pipe.
func readPassword(ctx context.Context, r io.Reader, tty *os.File) (string, error) {
	if tty != nil {
		return readHidden(ctx, tty)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// errInterrupted is Ctrl-C typed at the hidden prompt.
var errInterrupted = errors.New("interrupted")

// readHidden reads a line from a terminal in raw mode: nothing typed is echoed, and
// Ctrl-C arrives as a character, which stops the read. Only this goroutine changes the
// terminal, and it puts it back whatever ends the read (Enter, Ctrl-C, ctx ending on
// SIGTERM): the goroutine that reads only reads.
func readHidden(ctx context.Context, tty *os.File) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	fd := int(tty.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return "", fmt.Errorf("read the password from the terminal: %w", err)
	}
	defer term.Restore(fd, state)
	type typed struct {
		line string
		err  error
	}
	read := make(chan typed, 1)
	go func() {
		line, err := typedLine(tty)
		read <- typed{line, err}
	}()
	select {
	case t := <-read:
		return t.line, t.err
	case <-ctx.Done():
		return "", ctx.Err() // the read stays pending until the program ends, which it is about to
	}
}

// typedLine reads keys up to Enter, as a terminal in raw mode sends them: Backspace
// takes back the last character, Ctrl-C interrupts, Ctrl-D on an empty line is the end.
func typedLine(r io.Reader) (string, error) {
	var line []byte
	var key [1]byte
	for {
		n, err := r.Read(key[:])
		if n == 1 {
			switch key[0] {
			case '\r', '\n':
				return string(line), nil
			case 3: // Ctrl-C
				return "", errInterrupted
			case 4: // Ctrl-D
				if len(line) == 0 {
					return "", io.EOF
				}
			case 8, 127: // Backspace
				if len(line) > 0 {
					_, size := utf8.DecodeLastRune(line)
					line = line[:len(line)-size]
				}
			default:
				line = append(line, key[0])
			}
		}
		if err != nil {
			return "", fmt.Errorf("read the password from the terminal: %w", err)
		}
	}
}

// mountAdmin registers the admin area on e: the login form alone in the open, every other
// /admin route behind RequireAdmin by construction (the group carries it, so a new route
// cannot forget it), and the uploaded images under /media/. Other packages' admin pages
// (orders, mail) go on the group it returns. An address under /admin/ that no route
// takes gets notFound, once past the guard.
func mountAdmin(e *echo.Echo, admin *store.Admin, notFound echo.HandlerFunc, inside ...echo.MiddlewareFunc) *echo.Group {
	e.GET("/media/*", admin.MediaHandler())
	guarded := e.Group("/admin", append([]echo.MiddlewareFunc{admin.RequireAdmin}, inside...)...)
	// echo gave the group a catch-all route of its own, which answers a bare 404. (A
	// wrong method on /admin itself falls back to the shop's catch-all.)
	guarded.RouteNotFound("/*", notFound)
	admin.Routes(e.Group("/admin"), guarded)
	return guarded
}

// setUpAdmins makes sure someone can log in: the admin named by SHOP_ADMIN_EMAIL and
// SHOP_ADMIN_PASSWORD when no admin exists yet, else in a demo shop the demo admin. It
// returns a line for the console telling how to log in to the demo, or "".
func setUpAdmins(ctx context.Context, staff *store.Staff, email, password string, demo bool, loginURL string) (string, error) {
	if email != "" || password != "" {
		if email == "" || password == "" {
			return "", errors.New("SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD must be set together")
		}
		if _, err := staff.Bootstrap(ctx, email, password); err != nil {
			return "", fmt.Errorf("SHOP_ADMIN_EMAIL/SHOP_ADMIN_PASSWORD: %w", err)
		}
	}
	if !demo {
		return "", nil
	}
	demoEmail, demoPassword, _, err := staff.SeedDemo(ctx)
	if err != nil || demoEmail == "" {
		return "", err
	}
	return fmt.Sprintf("demo admin: log in at %s as %s with password %s", loginURL, demoEmail, demoPassword), nil
}
