package checkout

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"shop/store"
	"shop/templates"
)

// maxEmlBytes bounds the mail file the viewer reads; the shop's mails are a few KB.
const maxEmlBytes = 2 << 20

// mailDir is the folder the viewer reads .eml files from, or "" when mail is sent.
func (p *AdminPages) mailDir() string {
	if p.MailDir != "" {
		return p.MailDir
	}
	if p.Outbox != nil {
		if d, ok := p.Outbox.Sender.(*DirSender); ok {
			return d.Dir
		}
	}
	return ""
}

var mailStatuses = []string{mailQueued, mailSending, mailSent, mailFailed}

func (p *AdminPages) mails(c echo.Context) error {
	return p.renderMails(c, http.StatusOK, "")
}

func (p *AdminPages) renderMails(c echo.Context, status int, refusal string) error {
	st := c.QueryParam("status")
	valid := false
	for _, s := range mailStatuses {
		valid = valid || s == st
	}
	if !valid {
		st = ""
	}
	page := store.PageParam(c)
	size := p.pageSize()
	entries, total, err := p.Outbox.List(c.Request().Context(), st, size, (page-1)*size)
	if err != nil {
		return err
	}
	folder := p.mailDir() != ""
	v := templates.AdminMailsView{Admin: p.Frame.Chrome(c, "Mail", "mail"), Status: st, Total: total, Folder: folder,
		Refusal: refusal}
	for _, s := range mailStatuses {
		v.Statuses = append(v.Statuses, templates.Option{Value: s, Label: s})
	}
	for _, e := range entries {
		id := strconv.FormatInt(e.ID, 10)
		// The shop writes the subjects; the last error comes from a server and was scrubbed
		// when stored, and is masked again here.
		lastError, _ := maskDigitRuns(e.LastError, 6)
		r := templates.AdminMailRow{ID: e.ID, Created: p.Service.Zone.Stamp(e.CreatedAt), To: e.To,
			Subject: e.Subject, Status: e.Status, Attempts: e.Attempts, LastError: lastError,
			CanResend: e.Status == mailFailed, ResendURL: "/admin/mail/" + id + "/resend"}
		if e.SentAt.Valid {
			r.SentAt = p.Service.Zone.Stamp(e.SentAt.Time)
		}
		if e.OrderRef != "" {
			r.OrderRef, r.OrderURL = e.OrderRef, adminOrderURL(e.OrderRef)
		}
		if folder && e.Status == mailSent {
			r.ViewURL = "/admin/mail/" + id + "/eml"
		}
		v.Rows = append(v.Rows, r)
	}
	keep := url.Values{}
	if st != "" {
		keep.Set("status", st)
	}
	v.Pager = adminPager("/admin/mail", keep, page, total, size)
	return p.Site.Render(c, status, templates.AdminMails(v))
}

// pathMailID is the route's :id as a mail id, or NotFound.
func pathMailID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Errorf(store.NotFound, "This mail does not exist.")
	}
	return id, nil
}

func (p *AdminPages) resend(c echo.Context) error {
	id, err := pathMailID(c)
	if err != nil {
		return err
	}
	err = p.Outbox.Resend(c.Request().Context(), id)
	if store.ErrorCode(err) == store.Conflict {
		return p.renderMails(c, http.StatusConflict, "Nothing was done: "+store.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	actor, _ := adminActor(c)
	p.logger().InfoContext(c.Request().Context(), "admin: mail queued again", "mail", id, "actor", actor)
	return p.seeOther(c, "/admin/mail", "The mail is queued again and leaves within a moment.")
}

// eml shows a mail the DirSender wrote: its headers and plain-text part, never its HTML
// part or raw source, and with every run of six digits or more masked. The merchant's
// card-order mail holds the six missing card digits and the stored part of the number,
// by design (it stands in for the real mail); this page shows neither.
func (p *AdminPages) eml(c echo.Context) error {
	dir := p.mailDir()
	if dir == "" {
		return store.Errorf(store.NotFound, "Mail goes through the SMTP server, so there is no mail file to show.")
	}
	id, err := pathMailID(c)
	if err != nil {
		return err
	}
	name, err := emlFileOf(dir, id)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEmlBytes))
	if err != nil {
		return err
	}
	m, err := readEml(data, p.Service.Zone)
	if err != nil {
		return store.Errorf(store.Invalid, "The mail file %s cannot be read: it is not a mail the shop wrote.", name)
	}
	v := templates.AdminEmlView{Admin: p.Frame.Chrome(c, "Mail "+strconv.FormatInt(id, 10), "mail"), ID: id, File: name,
		Date: m.Date}
	var masked [4]bool
	v.From, masked[0] = maskDigitRuns(m.From, 6)
	v.To, masked[1] = maskDigitRuns(m.To, 6)
	v.Subject, masked[2] = maskDigitRuns(m.Subject, 6)
	v.Body, masked[3] = maskDigitRuns(m.Text, 6)
	v.Masked = masked[0] || masked[1] || masked[2] || masked[3]
	return p.Site.Render(c, http.StatusOK, templates.AdminEml(v))
}

// emlFileOf finds the file DirSender wrote for outbox row id: its name holds the
// Message-ID "outbox-<id>-<hash>". The newest wins if there are several.
func emlFileOf(dir string, id int64) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", store.Errorf(store.NotFound, "No mail has been written yet.")
		}
		return "", err
	}
	mark := "-outbox-" + strconv.FormatInt(id, 10) + "-"
	found := ""
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".eml") && strings.Contains(n, mark) && n > found {
			found = n
		}
	}
	if found == "" {
		return "", store.Errorf(store.NotFound, "There is no file for this mail: it has not been written yet.")
	}
	return found, nil
}

// emlMessage is what the viewer shows of a mail file.
type emlMessage struct {
	From, To, Subject, Date string
	Text                    string
}

// readEml parses a mail file and keeps its headers and its first text/plain part.
func readEml(data []byte, zone store.Zone) (emlMessage, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return emlMessage{}, err
	}
	dec := new(mime.WordDecoder)
	header := func(name string) string {
		v := msg.Header.Get(name)
		if d, err := dec.DecodeHeader(v); err == nil {
			return d
		}
		return v
	}
	m := emlMessage{From: addresses(header("From")), To: addresses(header("To")), Subject: header("Subject")}
	if t, err := msg.Header.Date(); err == nil {
		m.Date = zone.Time(t)
	}
	text, err := plainTextPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	if err != nil {
		return emlMessage{}, err
	}
	m.Text = strings.ReplaceAll(text, "\r\n", "\n")
	return m, nil
}

// addresses writes an address header the way people read it: "Name <a@b>" or "a@b".
func addresses(v string) string {
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return v
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		if a.Name == "" {
			out = append(out, a.Address)
		} else {
			out = append(out, a.Name+" <"+a.Address+">")
		}
	}
	return strings.Join(out, ", ")
}

// plainTextPart finds the first text/plain part of a (possibly nested) MIME body and
// decodes it; "" when there is none.
func plainTextPart(contentType, encoding string, body io.Reader, depth int) (string, error) {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(mediaType, "multipart/") && depth < 5:
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			text, err := plainTextPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1)
			if err != nil || text != "" {
				return text, err
			}
		}
	case mediaType == "text/plain":
		var r io.Reader = body
		switch strings.ToLower(strings.TrimSpace(encoding)) {
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, newlineDropper{body})
		}
		b, err := io.ReadAll(io.LimitReader(r, maxEmlBytes))
		return string(b), err
	}
	return "", nil
}

// newlineDropper removes the line breaks of a base64 body, which the decoder refuses.
type newlineDropper struct{ r io.Reader }

func (d newlineDropper) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	out := p[:0]
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' {
			out = append(out, b)
		}
	}
	return len(out), err
}

// maskDigitRuns replaces every digit of each run of at least least digits (a single space
// or dash allowed between two digits, as card numbers are written) with a bullet, and
// reports whether it masked anything. Shorter numbers (postcodes, quantities, prices,
// times) stay readable.
func maskDigitRuns(s string, least int) (string, bool) {
	isDigit := func(i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }
	var b strings.Builder
	masked := false
	for i := 0; i < len(s); {
		if !isDigit(i) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j, n := i, 0
		for j < len(s) && (isDigit(j) || (s[j] == ' ' || s[j] == '-') && isDigit(j+1) && j > i) {
			if isDigit(j) {
				n++
			}
			j++
		}
		if n < least {
			b.WriteString(s[i:j])
		} else {
			masked = true
			for k := i; k < j; k++ {
				if isDigit(k) {
					b.WriteString("•")
				} else {
					b.WriteByte(s[k])
				}
			}
		}
		i = j
	}
	return b.String(), masked
}
