package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"shop/payment/card"
	"shop/payment/cmcic"
	"shop/store"
)

// config is every setting of the shop. Each one is a flag and a SHOP_* environment
// variable; a flag given on the command line wins over the environment.
type config struct {
	Addr           string
	BaseURL        *url.URL
	DataDir        string
	Demo           bool
	Name           string
	Zone           store.Zone
	SessionSecret  string
	LogLevel       slog.Level
	LogFormat      string
	CartIdle       time.Duration
	TrustedProxies []netip.Prefix

	PaymentWindow time.Duration
	BankWindow    time.Duration

	SMTPHost     string
	SMTPPort     int
	SMTPUser     string
	SMTPPassword string
	SMTPTLS      string
	SMTPCAFile   string
	SMTPCA       []byte // its contents, read with the settings
	MailFrom     string
	Merchant     string

	CardPayments bool
	CardKey      string

	CMCICURL     string
	CMCICTPE     string
	CMCICKey     string
	CMCICSociete string
	CMCICSeal    string

	PprofAddr string

	AdminEmail    string
	AdminPassword string
	AdminIdle     time.Duration

	// explicit names the settings given by a flag or the environment, not defaulted.
	explicit map[string]bool
	// warnings are logged at start: settings the shop adjusted rather than refused.
	warnings []string
	// mailDefaulted and merchantDefaulted say those addresses were derived from the
	// base URL, and follow it.
	mailDefaulted, merchantDefaulted bool
}

// setting describes one flag/variable pair; parse turns its text into the config.
type setting struct {
	flag, env, def, usage string
	parse                 func(string) error
}

func (c *config) settings() []setting {
	return []setting{
		{"addr", "SHOP_ADDR", "127.0.0.1:8080", "listen address (\":8080\" for every interface)", func(s string) error {
			_, port, err := net.SplitHostPort(s)
			if err != nil {
				return fmt.Errorf("not host:port")
			}
			if n, ok := wholeNumber(port); !ok || n > 65535 {
				return fmt.Errorf("the port must be a number from 0 to 65535 (0: any free port)")
			}
			c.Addr = s
			return nil
		}},
		{"base-url", "SHOP_BASE_URL", "http://localhost:8080", "public URL of the shop, used in links and bank return URLs", func(s string) error {
			u, err := url.Parse(strings.TrimSuffix(s, "/"))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.RawQuery != "" ||
				u.ForceQuery || u.Fragment != "" || u.User != nil {
				return fmt.Errorf("must be an absolute http(s) URL such as https://shop.example.com")
			}
			if p := u.Port(); p != "" {
				if n, ok := wholeNumber(p); !ok || n < 1 || n > 65535 {
					return fmt.Errorf("the port must be a number from 1 to 65535")
				}
			}
			// The host is also the mail domain of the default sender (shop@host): one a
			// browser reaches and a mail address can carry, so no quotes, stars or zones.
			if !validHost(u.Hostname()) {
				return fmt.Errorf("the host %q must be a domain name such as shop.example.com, or an IP address", u.Hostname())
			}
			// The shop serves its pages from the root of its host; a path would be put in
			// mailed links and bank return URLs that lead nowhere.
			if u.Path != "" {
				return fmt.Errorf("must be the shop's origin, without a path: the shop is served from / (e.g. https://shop.example.com)")
			}
			c.BaseURL = u
			return nil
		}},
		{"data-dir", "SHOP_DATA_DIR", "./data", "directory for the database, uploads, mails and development keys", func(s string) error {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("must not be empty")
			}
			c.DataDir = s
			return nil
		}},
		{"demo", "SHOP_DEMO", "0", "1: seed the demo catalogue and admin, mount the sandbox bank", boolSetting(&c.Demo)},
		{"name", "SHOP_NAME", "Le Petit Comptoir", "the shop's name in pages and mails", func(s string) error {
			if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 80 || !utf8.ValidString(s) {
				return fmt.Errorf("must be 1 to 80 characters")
			}
			// U+2028 and U+2029 are line breaks too; a name of format characters alone
			// (zero-width spaces) shows as nothing.
			if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) {
				return fmt.Errorf("must be one line of text, without control characters")
			}
			if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) }) {
				return fmt.Errorf("must have a visible character")
			}
			c.Name = s
			return nil
		}},
		{"timezone", "SHOP_TIMEZONE", "Europe/Paris", "time zone of the times shown to shoppers and the merchant, and of the admin's days (IANA name, or UTC)", func(s string) error {
			loc, err := time.LoadLocation(s)
			if err != nil || s == "" || s == "Local" {
				return fmt.Errorf("must be a time zone name such as Europe/Paris or UTC")
			}
			c.Zone = store.NewZone(loc)
			return nil
		}},
		{"session-secret", "SHOP_SESSION_SECRET", "", "secret (32+ characters) the cookie keys derive from; unset: keys generated once and kept in the database", func(s string) error {
			if s != "" && utf8.RuneCountInString(s) < 32 {
				return fmt.Errorf("must be at least 32 characters")
			}
			c.SessionSecret = s
			return nil
		}},
		{"log-level", "SHOP_LOG_LEVEL", "info", "debug, info, warn or error", func(s string) error {
			// Exactly these: slog would also take offsets such as INFO+3.
			levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo,
				"warn": slog.LevelWarn, "error": slog.LevelError}
			level, ok := levels[strings.ToLower(s)]
			if !ok {
				return fmt.Errorf("must be debug, info, warn or error")
			}
			c.LogLevel = level
			return nil
		}},
		{"log-format", "SHOP_LOG_FORMAT", "text", "text or json", func(s string) error {
			s = strings.ToLower(s)
			if s != "text" && s != "json" {
				return fmt.Errorf("must be text or json")
			}
			c.LogFormat = s
			return nil
		}},
		{"cart-idle-days", "SHOP_CART_IDLE_DAYS", "30", "delete carts untouched for this many days", func(s string) error {
			n, ok := wholeNumber(s)
			if !ok || n < 1 || n > 3650 {
				return fmt.Errorf("must be a whole number of days from 1 to 3650")
			}
			c.CartIdle = time.Duration(n) * 24 * time.Hour
			return nil
		}},
		{"trusted-proxies", "SHOP_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed", func(s string) error {
			c.TrustedProxies = nil
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part == "" {
					continue
				}
				p, err := netip.ParsePrefix(part)
				if err != nil {
					return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", part)
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
		{"payment-minutes", "SHOP_PAYMENT_MINUTES", "30", "an unpaid order keeps its stock this long", minutes(&c.PaymentWindow)},
		{"bank-payment-minutes", "SHOP_BANK_PAYMENT_MINUTES", "120", "the same once the shopper has left for the bank's page", minutes(&c.BankWindow)},
		{"smtp-host", "SHOP_SMTP_HOST", "", "SMTP server; unset: mails are written as .eml files under <data-dir>/mail", func(s string) error {
			if s != "" && !hostName.MatchString(s) && net.ParseIP(s) == nil {
				return fmt.Errorf("must be a host name or IP address, the port going in SHOP_SMTP_PORT")
			}
			c.SMTPHost = s
			return nil
		}},
		{"smtp-port", "SHOP_SMTP_PORT", "587", "SMTP port", func(s string) error {
			n, ok := wholeNumber(s)
			if !ok || n < 1 || n > 65535 {
				return fmt.Errorf("must be a port number from 1 to 65535")
			}
			c.SMTPPort = n
			return nil
		}},
		{"smtp-user", "SHOP_SMTP_USER", "", "SMTP user (authentication only when set)", func(s string) error {
			c.SMTPUser = s
			return nil
		}},
		{"smtp-password", "SHOP_SMTP_PASSWORD", "", "SMTP password", func(s string) error {
			c.SMTPPassword = s
			return nil
		}},
		{"smtp-tls", "SHOP_SMTP_TLS", "mandatory", "mandatory, opportunistic or none (STARTTLS policy)", func(s string) error {
			s = strings.ToLower(s)
			if s != "mandatory" && s != "opportunistic" && s != "none" {
				return fmt.Errorf("must be mandatory, opportunistic or none")
			}
			c.SMTPTLS = s
			return nil
		}},
		{"smtp-ca-file", "SHOP_SMTP_CA_FILE", "", "PEM file of an extra certificate authority to trust for SMTP (a self-signed server)", func(s string) error {
			c.SMTPCAFile, c.SMTPCA = s, nil
			if s == "" {
				return nil
			}
			// Read now, before the data directory is touched: a wrong path or a file that
			// is not a certificate stops the shop with this setting's name.
			b, err := os.ReadFile(s)
			if err != nil {
				return fmt.Errorf("cannot read it: %w", errors.Unwrap(err))
			}
			if !x509.NewCertPool().AppendCertsFromPEM(b) {
				return fmt.Errorf("holds no PEM certificate")
			}
			c.SMTPCA = b
			return nil
		}},
		{"mail-from", "SHOP_MAIL_FROM", "", "sender address of every mail", func(s string) error {
			c.MailFrom = s
			return checkAddress(s)
		}},
		{"merchant-email", "SHOP_MERCHANT_EMAIL", "", "the merchant's address: order mails go there", func(s string) error {
			c.Merchant = s
			return checkAddress(s)
		}},
		{"card-payments", "SHOP_CARD_PAYMENTS", "on", "on or off: the card form on the shop's own page (puts the server in PCI DSS scope)", boolSetting(&c.CardPayments)},
		{"card-key", "SHOP_CARD_KEY", "", "64 hex characters (or base64 of 32 bytes) encrypting the e-mailed card digits until their mail is sent", func(s string) error {
			c.CardKey = s
			if s == "" {
				return nil
			}
			_, err := card.ParseKey(s) // checked now, before the data directory is touched
			return err
		}},
		{"cmcic-url", "SHOP_CMCIC_URL", "", "the bank's payment page (CM-CIC / Monetico); unset: sandbox in demo, method not offered otherwise", func(s string) error {
			c.CMCICURL = s
			if s == "" {
				return nil
			}
			return cmcic.CheckURL(s)
		}},
		{"cmcic-tpe", "SHOP_CMCIC_TPE", "", "terminal number (7 characters) given by the bank", func(s string) error {
			c.CMCICTPE = s
			if s == "" {
				return nil
			}
			return cmcic.CheckTPE(s)
		}},
		{"cmcic-key", "SHOP_CMCIC_KEY", "", "the terminal's 40-character key given by the bank", func(s string) error {
			c.CMCICKey = s
			if s == "" {
				return nil
			}
			_, err := cmcic.ParseKey(s)
			return err
		}},
		{"cmcic-societe", "SHOP_CMCIC_SOCIETE", "", "site code given by the bank", func(s string) error {
			c.CMCICSociete = s
			if s == "" {
				return nil
			}
			return cmcic.CheckSociete(s)
		}},
		{"cmcic-seal", "SHOP_CMCIC_SEAL", "current", "current (Monetico, sorted fields) or legacy (CM-CIC 3.0 positional)", func(s string) error {
			s = strings.ToLower(s)
			if s != "current" && s != "legacy" {
				return fmt.Errorf("must be current or legacy")
			}
			c.CMCICSeal = s
			return nil
		}},
		{"admin-email", "SHOP_ADMIN_EMAIL", "", "create this admin at start when there is none (with SHOP_ADMIN_PASSWORD)", func(s string) error {
			c.AdminEmail = s
			return checkAddress(s)
		}},
		{"admin-password", "SHOP_ADMIN_PASSWORD", "", "that admin's password, 10 characters to 72 bytes (prefer the variable: flags show in ps)", func(s string) error {
			c.AdminPassword = s
			if s == "" {
				return nil
			}
			// Checked now, before the data directory is touched.
			if err := store.CheckPassword(s); err != nil {
				// "The password must be at least…" as "must be at least…", as the others say.
				return errors.New(strings.TrimSuffix(strings.TrimPrefix(store.ErrorMessage(err), "The password "), "."))
			}
			return nil
		}},
		{"admin-idle-minutes", "SHOP_ADMIN_IDLE_MINUTES", "30", "an admin session unused this long ends", minutes(&c.AdminIdle)},
		{"pprof-addr", "SHOP_PPROF_ADDR", "", "loopback address (e.g. 127.0.0.1:6060) serving Go's profiler and the database writer's counters; unset: off", func(s string) error {
			if s == "" {
				c.PprofAddr = ""
				return nil
			}
			host, port, err := net.SplitHostPort(s)
			if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
				return fmt.Errorf("must be a loopback host:port such as 127.0.0.1:6060")
			}
			if n, ok := wholeNumber(port); !ok || n > 65535 {
				return fmt.Errorf("the port must be a number from 0 to 65535")
			}
			c.PprofAddr = s
			return nil
		}},
	}
}

// wholeNumber reads a number written with digits only: no sign, no spaces.
func wholeNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// validHost says whether host is a DNS name or an IP address without a zone.
func validHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Zone() == ""
	}
	return hostName.MatchString(host)
}

// hostName is a DNS name: dot-separated labels of letters, digits and inner hyphens.
var hostName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

func minutes(dst *time.Duration) func(string) error {
	return func(s string) error {
		n, ok := wholeNumber(s)
		if !ok || n < 1 || n > 7*24*60 {
			return fmt.Errorf("must be a whole number of minutes from 1 to 10080")
		}
		*dst = time.Duration(n) * time.Minute
		return nil
	}
}

func checkAddress(s string) error {
	if s == "" {
		return nil
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return fmt.Errorf("must be a plain address such as shop@example.com")
	}
	return nil
}

// finish checks settings that depend on each other and fills derived defaults.
func (c *config) finish() error {
	if c.SMTPHost != "" && (c.MailFrom == "" || c.Merchant == "") {
		return fmt.Errorf("SHOP_MAIL_FROM and SHOP_MERCHANT_EMAIL are required when SHOP_SMTP_HOST is set")
	}
	if c.SMTPHost == "" {
		for _, v := range []string{"SHOP_SMTP_USER", "SHOP_SMTP_PASSWORD", "SHOP_SMTP_CA_FILE", "SHOP_SMTP_PORT", "SHOP_SMTP_TLS"} {
			if c.explicit[v] {
				return fmt.Errorf("%s is set but SHOP_SMTP_HOST is not: set the host, or unset %s", v, v)
			}
		}
	}
	if (c.SMTPUser == "") != (c.SMTPPassword == "") {
		return fmt.Errorf("SHOP_SMTP_USER and SHOP_SMTP_PASSWORD must be set together")
	}
	if c.SMTPUser != "" && c.SMTPTLS == "none" {
		// The mail library refuses to send a password in clear, so every mail would fail.
		return fmt.Errorf("SHOP_SMTP_USER needs STARTTLS: with SHOP_SMTP_TLS=none the password would cross the network in clear (use mandatory or opportunistic)")
	}
	if c.PprofAddr != "" && c.PprofAddr == c.Addr {
		if _, port, _ := net.SplitHostPort(c.Addr); port != "0" {
			return fmt.Errorf("SHOP_PPROF_ADDR must differ from SHOP_ADDR (%s): the profiler is served apart from the shop", c.Addr)
		}
	}
	c.mailDefaults()
	if c.CardPayments && c.CardKey == "" && !c.Demo {
		if c.explicit["SHOP_CARD_PAYMENTS"] {
			return fmt.Errorf("SHOP_CARD_KEY is required when SHOP_CARD_PAYMENTS=on (or set SHOP_CARD_PAYMENTS=off)")
		}
		// On by default but without its key: the shop starts without the card form
		// rather than refusing to start, and says so.
		c.CardPayments = false
		c.warnings = append(c.warnings, "the card form is off: set SHOP_CARD_KEY to offer it (see README)")
	}
	if c.CMCICURL != "" && (c.CMCICTPE == "" || c.CMCICKey == "" || c.CMCICSociete == "") {
		return fmt.Errorf("SHOP_CMCIC_TPE, SHOP_CMCIC_KEY and SHOP_CMCIC_SOCIETE are required when SHOP_CMCIC_URL is set")
	}
	if c.CMCICURL == "" && !c.Demo { // in demo mode they are the sandbox's terminal
		for _, v := range []string{"SHOP_CMCIC_TPE", "SHOP_CMCIC_KEY", "SHOP_CMCIC_SOCIETE", "SHOP_CMCIC_SEAL"} {
			if c.explicit[v] {
				return fmt.Errorf("%s is set but SHOP_CMCIC_URL is not: set the bank's payment page, or unset %s", v, v)
			}
		}
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return fmt.Errorf("SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD must be set together")
	}
	if c.BankWindow < c.PaymentWindow {
		if !c.explicit["SHOP_BANK_PAYMENT_MINUTES"] {
			// Its default of 120 is meant as "longer than SHOP_PAYMENT_MINUTES": a longer
			// payment window set alone lengthens it too.
			c.BankWindow = c.PaymentWindow
		} else {
			return fmt.Errorf("SHOP_BANK_PAYMENT_MINUTES (%d) must not be shorter than SHOP_PAYMENT_MINUTES (%d)",
				int(c.BankWindow.Minutes()), int(c.PaymentWindow.Minutes()))
		}
	}
	return nil
}

// mailDefaults fills the sender and merchant addresses left unset from the base URL's
// host: shop@ and merchant@ that host.
func (c *config) mailDefaults() {
	host := c.BaseURL.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address, as a mail domain writes it
	}
	if c.MailFrom == "" || c.mailDefaulted {
		c.MailFrom, c.mailDefaulted = "shop@"+host, true
	}
	if c.Merchant == "" || c.merchantDefaulted {
		c.Merchant, c.merchantDefaulted = "merchant@"+host, true
	}
}

// listening sets what depends on the address the shop listens on, when SHOP_BASE_URL
// is not set: the public URL is then that address (localhost for every interface, and
// the port the system chose for port 0), so that links, the bank's return addresses and
// the sandbox bank lead back to this shop, as make run's own default does.
func (c *config) listening(addr net.Addr) {
	if c.explicit["SHOP_BASE_URL"] {
		return
	}
	host, _, err := net.SplitHostPort(c.Addr)
	tcp, ok := addr.(*net.TCPAddr)
	if err != nil || !ok {
		return
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	c.BaseURL = &url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(tcp.Port))}
	c.mailDefaults()
}

func boolSetting(dst *bool) func(string) error {
	return func(s string) error {
		switch strings.ToLower(s) {
		case "1", "true", "yes", "on":
			*dst = true
		case "0", "false", "no", "off", "":
			*dst = false
		default:
			return fmt.Errorf("must be on or off (or 1/0, true/false, yes/no)")
		}
		return nil
	}
}

// parseConfig reads flags from args over SHOP_* variables over defaults. Any bad value
// is an error naming the setting, so the binary stops with a one-line reason.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	// Errors come back as one line; the settings are listed only when asked with -h.
	fs.SetOutput(io.Discard)
	values := map[string]*string{}
	all := c.settings()
	for _, s := range all {
		values[s.flag] = fs.String(s.flag, s.def, s.usage+" ("+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			// The base URL's default is the address served, known once listening.
			if f := fs.Lookup("base-url"); f != nil {
				f.DefValue, f.Usage = "", f.Usage+"; default: http:// and the address served, such as http://127.0.0.1:8080"
			}
			fmt.Fprintln(stderr, "Usage: shop [flags]   or   shop admin add|password EMAIL\nEvery flag is also a SHOP_* variable:")
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.explicit = map[string]bool{}
	for _, s := range all {
		v := *values[s.flag]
		c.explicit[s.env] = set[s.flag]
		if !set[s.flag] {
			if env, ok := lookup(getenv, s.env); ok {
				v = env
				c.explicit[s.env] = true
			}
		}
		if err := s.parse(v); err != nil {
			if set[s.flag] {
				return nil, fmt.Errorf("-%s=%q (%s): %w", s.flag, redact(s.env, v), s.env, err)
			}
			return nil, fmt.Errorf("%s=%q: %w", s.env, redact(s.env, v), err)
		}
	}
	return c, c.finish()
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// redact keeps secrets out of the one-line error that stops the binary.
func redact(name, v string) string {
	if strings.Contains(name, "SECRET") || strings.Contains(name, "PASSWORD") || strings.HasSuffix(name, "_KEY") {
		return "…"
	}
	return v
}
