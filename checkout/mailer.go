package checkout

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Sender delivers one built message. SMTPSender and DirSender are the real ones.
type Sender interface {
	Send(ctx context.Context, msg *mail.Msg) error
}

var (
	_ Sender = (*SMTPSender)(nil)
	_ Sender = (*DirSender)(nil)
)

// DirSender writes each message as an .eml file in Dir instead of sending it: the
// development default when no SMTP server is configured. Open the files with any mail
// client. The merchant's card mails hold the six digits like the real mail would, so
// the folder is readable by its owner only.
type DirSender struct {
	Dir string
}

// NewDirSender creates dir if needed and says where the mails go.
func NewDirSender(dir string, logger *slog.Logger) (*DirSender, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail folder: %w", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if logger != nil {
		logger.Info("mail: no SMTP host configured; mails are written as .eml files", "dir", dir)
	}
	return &DirSender{Dir: dir}, nil
}

// Send writes msg to "<date queued>-<message id>.eml", through a temporary file and a
// rename so that a reader never sees half a file. The same row always gets the same
// name: a second try replaces the file rather than adding one.
func (d *DirSender) Send(ctx context.Context, msg *mail.Msg) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.Dir, ".mail-*.tmp")
	if err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed { // a failure or a panic: a merchant's mail holds the six digits
			os.Remove(tmp.Name())
		}
	}()
	if err := d.write(tmp, msg); err != nil {
		return err
	}
	renamed = true
	return nil
}

// write fills tmp, syncs and closes it, and renames it to its final name. The message
// writes itself in many small pieces: buffered, the file takes one write system call.
func (d *DirSender) write(tmp *os.File, msg *mail.Msg) error {
	w := bufio.NewWriterSize(tmp, 32<<10)
	if _, err := msg.WriteTo(w); err != nil {
		tmp.Close()
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail folder: write: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Dir, emlName(msg))); err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	return nil
}

// emlName is "20060102-150405-outbox-12-0a1b2c3d4e5f.eml" from the Date and the
// Message-ID, falling back to now for a message without them.
func emlName(msg *mail.Msg) string {
	at := time.Now().UTC()
	if v := msg.GetGenHeader(mail.HeaderDate); len(v) > 0 {
		if t, err := time.Parse(time.RFC1123Z, v[0]); err == nil {
			at = t.UTC()
		}
	}
	id := strings.Trim(msg.GetMessageID(), "<>")
	id, _, _ = strings.Cut(id, "@")
	id = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, id)
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	return at.Format("20060102-150405") + "-" + id + ".eml"
}
