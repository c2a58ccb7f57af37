//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the merchant's terminal is tty, and what it shows
// comes out of screen.
func openPTY(t *testing.T) (screen, tty *os.File) {
	t.Helper()
	screen, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("this machine has no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { screen.Close() })
	var n int
	raw, err := screen.SyscallConn() // Fd would make the file blocking, and deadlines useless
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Control(func(fd uintptr) {
		if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
			n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return screen, tty
}

// On a terminal the password is read with echo off: the terminal shows nothing of it,
// and the admin can log in with it.
func TestAdminCommand_PasswordIsNotShownOnATerminal(t *testing.T) {
	screen, tty := openPTY(t)
	dir := t.TempDir()
	var out strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- adminCommand(context.Background(), []string{"add", "boss@example.com"},
			func(k string) string { return map[string]string{"SHOP_DATA_DIR": dir}[k] }, tty, &out)
	}()
	// Type only once echo is off, as a person would after the prompt: what is typed
	// before that is echoed by the terminal whatever the program does.
	echoOff(t, tty)
	if _, err := screen.WriteString("correct horse battery\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("admin add: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("admin add did not return")
	}
	screen.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	shown, _ := io.ReadAll(screen)
	if strings.Contains(string(shown), "horse") {
		t.Errorf("the terminal showed the password: %q", shown)
	}
	if !strings.Contains(out.String(), "not shown as you type") {
		t.Errorf("prompt %q does not say the password is hidden", out.String())
	}
	if _, err := openStaff(t, dir).Authenticate(context.Background(), "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("the new admin cannot log in: %v", err)
	}
}

// echoOff waits until the terminal's echo is off, the moment the prompt waits.
func echoOff(t *testing.T, tty *os.File) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if st.Lflag&unix.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("echo was never turned off")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Ctrl-C (the context ending) at the hidden prompt stops the command at once and gives
// the terminal its echo back: the merchant is not left typing blind.
func TestAdminCommand_InterruptedPromptPutsEchoBack(t *testing.T) {
	_, tty := openPTY(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- adminCommand(ctx, []string{"add", "boss@example.com"},
			func(k string) string { return map[string]string{"SHOP_DATA_DIR": dir}[k] }, tty, io.Discard)
	}()
	echoOff(t, tty)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("an interrupted prompt added the admin")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command kept waiting for the password after Ctrl-C")
	}
	st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lflag&unix.ECHO == 0 {
		t.Error("the terminal was left with echo off")
	}
}

// Keys at the hidden prompt work as on a terminal: Backspace takes back a character,
// Enter ends the line; Ctrl-C stops the command and gives the terminal its echo back;
// a command already told to stop does not touch the terminal.
func TestAdminCommand_HiddenPromptKeys(t *testing.T) {
	run := func(t *testing.T, ctx context.Context, keys string) (string, *os.File, error) {
		t.Helper()
		screen, tty := openPTY(t)
		dir := t.TempDir()
		done := make(chan error, 1)
		go func() {
			done <- adminCommand(ctx, []string{"add", "boss@example.com"},
				func(k string) string { return map[string]string{"SHOP_DATA_DIR": dir}[k] }, tty, io.Discard)
		}()
		if ctx.Err() == nil {
			echoOff(t, tty)
			if _, err := screen.WriteString(keys); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-done:
			return dir, tty, err
		case <-time.After(10 * time.Second):
			t.Fatal("the command did not return")
		}
		return "", nil, nil
	}
	echoOn := func(t *testing.T, tty *os.File) bool {
		st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return st.Lflag&unix.ECHO != 0
	}

	t.Run("backspace", func(t *testing.T) {
		dir, tty, err := run(t, context.Background(), "correct horse batteryXY\x7f\x7f\r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openStaff(t, dir).Authenticate(context.Background(), "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
			t.Errorf("the password typed with two mistakes taken back does not log in: %v", err)
		}
		if !echoOn(t, tty) {
			t.Error("echo left off")
		}
	})
	t.Run("ctrl-c", func(t *testing.T) {
		_, tty, err := run(t, context.Background(), "correct horse\x03")
		if err == nil {
			t.Fatal("Ctrl-C added the admin")
		}
		if !echoOn(t, tty) {
			t.Error("echo left off after Ctrl-C")
		}
	})
	t.Run("already stopping", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, tty, err := run(t, ctx, "")
		if err == nil {
			t.Fatal("a stopped command added the admin")
		}
		if !echoOn(t, tty) {
			t.Error("echo left off")
		}
	})
}
