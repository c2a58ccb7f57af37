package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shop/payment/cmcic"
)

// notificationFields is what the bank tells the shop about a decided
// payment, sealed in the terminal's format.
func (b *Bank) notificationFields(p payment) []cmcic.Field {
	o, c := p.outcome, p.card
	fields := []cmcic.Field{
		{Name: "TPE", Value: p.tpe},
		{Name: "date", Value: o.date.Format(cmcic.NotifyDateLayout)},
		{Name: "montant", Value: p.montant},
		{Name: "reference", Value: p.reference},
		{Name: "texte-libre", Value: p.freeText},
		{Name: "code-retour", Value: o.code},
		{Name: "cvx", Value: "oui"},
		{Name: "vld", Value: c.vld},
		{Name: "brand", Value: c.brand},
		{Name: "status3ds", Value: o.status3DS},
		{Name: "numauto", Value: o.authNumber},
		{Name: "motifrefus", Value: o.refusal},
		{Name: "originecb", Value: "FRA"},
		{Name: "bincb", Value: c.bin},
		{Name: "hpancb", Value: c.hpan},
		{Name: "ipclient", Value: p.ip},
		{Name: "originetr", Value: "FRA"},
		{Name: "veres", Value: o.veres},
		{Name: "pares", Value: o.pares},
	}
	if b.cfg.Bank.Format == cmcic.Current {
		auth, _ := json.Marshal(o.auth) // a fixed struct of strings: cannot fail
		fields = append(fields,
			cmcic.Field{Name: "modepaiement", Value: "CB"},
			cmcic.Field{Name: "cbmasquee", Value: c.masked},
			cmcic.Field{Name: "authentification", Value: base64.StdEncoding.EncodeToString(auth)},
		)
	}
	return b.cfg.Bank.SealNotification(fields)
}

// deliver notifies the shop of a decided payment: now (twice for the
// duplicate card), or later for the late card, in the background so that
// the shopper sees the return link first.
func (b *Bank) deliver(p payment) {
	body := encode(b.notificationFields(p))
	log := b.log.With("reference", p.reference, "code-retour", p.outcome.code)
	if !p.outcome.late {
		for i := 0; i < p.outcome.copies; i++ {
			b.notify(log, body)
		}
		return
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.notify(log, body)
		return
	}
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		t := time.NewTimer(b.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-b.stop:
		}
		b.notify(log, body)
	}()
}

// notify posts one notification and checks the acknowledgement; like the
// real bank it retries once when the answer is not exactly cmcic.AckOK.
func (b *Bank) notify(log *slog.Logger, body string) {
	err := b.post(body)
	if err == nil {
		log.Info("notification acknowledged")
		return
	}
	log.Warn("notification not acknowledged; retrying once", "err", err)
	select {
	case <-time.After(retryDelay):
	case <-b.ctx.Done():
		return
	}
	if err := b.post(body); err != nil {
		log.Error("notification not acknowledged after the retry; a real bank would now alert the merchant", "err", err)
		return
	}
	log.Info("notification acknowledged on retry")
}

// post sends one notification and reports whether the shop acknowledged it.
func (b *Bank) post(body string) error {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.cfg.NotifyURL, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	if string(answer) != cmcic.AckOK {
		return fmt.Errorf("answer %.64q is not %q", answer, cmcic.AckOK)
	}
	return nil
}

func encode(fields []cmcic.Field) string {
	v := make(url.Values, len(fields))
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	return v.Encode()
}
