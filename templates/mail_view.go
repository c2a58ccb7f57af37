package templates

// MailView is one e-mail. checkout fills it; the HTML part is rendered by Mail and the
// plain-text part from the same view, so the two always say the same thing.
type MailView struct {
	ShopName   string
	Title      string   // the heading, also the HTML <title>
	Paragraphs []string // what happened and what comes next, one paragraph each
	Card       *MailCard
	Order      *MailOrder
	Link       MailLink // the one call to action, if any
	Footer     string
}

// MailLink is a button-like link with an absolute URL.
type MailLink struct {
	Text string
	URL  string
}

// MailCard is what the merchant needs to charge a card taken on the shop's own page.
// Digits holds a placeholder that the mail worker replaces at send time; the six
// digits themselves never pass through a template.
type MailCard struct {
	Brand  string
	Expiry string
	Digits string
}

// MailOrder is an order as a mail shows it; every amount is already formatted.
type MailOrder struct {
	Reference     string
	Date          string
	State         string // in words, e.g. "payment being verified by the merchant"
	Lines         []MailLine
	Items         string // total of the lines
	DeliveryName  string
	DeliveryPrice string
	TotalHT       string
	VAT           []MailVAT
	Total         string // tax-inclusive, what is paid
	Customer      *MailCustomer
	Billing       []string // address lines; empty to leave the block out
	Shipping      []string // empty for a pick-up
	PickUp        string   // for a pick-up: where to collect the order, as the method said
	Note          string
	PaymentMethod string
	PaymentStatus string
	Tracking      string
}

// MailLine is one ordered product.
type MailLine struct {
	Name     string
	Quantity string
	Unit     string
	Total    string
}

// MailVAT is the VAT at one rate.
type MailVAT struct {
	Rate   string // "20%"
	Amount string
}

// MailCustomer is who ordered, for the merchant.
type MailCustomer struct {
	Name  string
	Email string
	Phone string
}
