package templates

// Option is one entry of a select list or radio group.
type Option struct {
	Value, Label string
}

// CheckoutForm holds the order form's values as typed, to put them back on error.
type CheckoutForm struct {
	Email, Name, Phone                                                       string
	BillingLine1, BillingLine2, BillingPostcode, BillingCity, BillingCountry string
	ShipDifferent                                                            bool
	ShipName, ShipLine1, ShipLine2, ShipPostcode, ShipCity, ShipCountry      string
	Delivery                                                                 string
	Note                                                                     string
	Terms                                                                    bool
}

// FieldError is one entry of the error summary at the top of a form.
type FieldError struct {
	Field, Message string
}

// DeliveryOption is a delivery method in the order form.
type DeliveryOption struct {
	Code, Name, Description, Price string
	NeedsAddress                   bool
	Total                          string // the order's total with this method
	Totals                         string // the summary's foot with it, as JSON for shop.js
	FreeFrom                       string // the items' total from which it is free, when not yet
}

// OrderSummary is an order's or a cart's lines and totals, with the VAT per rate.
type OrderSummary struct {
	Lines        []SummaryLine
	Items        string
	DeliveryName string
	Delivery     string
	VAT          []SummaryVAT
	TotalHT      string
	TotalVAT     string
	Total        string
}

// SummaryLine is one product line of a summary.
type SummaryLine struct {
	Name, Quantity, Unit, Total, VATRate string
}

// SummaryVAT is the VAT at one rate.
type SummaryVAT struct {
	Rate   string `json:"rate"`
	Base   string `json:"base"`
	Amount string `json:"amount"`
}

// CheckoutView is the order form page.
type CheckoutView struct {
	Chrome     Chrome
	Form       CheckoutForm
	Errors     map[string]string
	Summary    []FieldError
	Countries  []Option
	Methods    []DeliveryOption
	Cart       OrderSummary
	Submission string
	Shown      string
	// ShownDelivery is the delivery prices shown (checkout.DeliverySnapshot), compared
	// when the order is placed.
	ShownDelivery string
}

// ChangedView explains why an order could not be placed as shown.
type ChangedView struct {
	Chrome   Chrome
	Problems []string
}

// OrderView is an order's page for the shopper.
type OrderView struct {
	Chrome      Chrome
	Reference   string
	Placed      string
	Payment     string // the payment state in words
	PaymentCode string // the state's code, for styling and tests
	Fulfilment  string
	Message     string // what happens next
	Summary     OrderSummary
	Email       string
	Phone       string
	Billing     []string
	Shipping    []string
	PickUp      string // for a pick-up: where to collect the order
	Note        string
	Tracking    string
	PayURL      string // set while the order can still be paid
	AgainURL    string // set once it cannot: its items back in the cart
	RefreshSecs int    // set while waiting for the bank's answer
}

// PaymentOption is a way to pay on the payment page.
type PaymentOption struct {
	Code, Label, Description, URL string
}

// PaymentView is the page where the shopper chooses how to pay a placed order.
type PaymentView struct {
	Chrome    Chrome
	Reference string
	Summary   OrderSummary
	Options   []PaymentOption
	Deadline  string
	OrderURL  string
}

// CardFormView is the card payment form. It never carries the card number: after an
// error the shopper types it again.
type CardFormView struct {
	Chrome    Chrome
	Reference string
	Total     string
	Action    string
	Brands    []Option
	Brand     string
	Expiry    string
	Errors    map[string]string
	Summary   []FieldError
	Insecure  bool // plain HTTP: the form is not offered
	OrderURL  string
}

// BankHandoffView is the page that posts the signed form to the bank's payment page.
type BankHandoffView struct {
	Chrome    Chrome
	Reference string
	Total     string
	BankURL   string
	Fields    []HiddenField // already sealed: posted exactly as they are
	Sandbox   bool
}

// HiddenField is a name and value posted unchanged.
type HiddenField struct {
	Name, Value string
}

// addressLabels are the labels of one address's fields.
type addressLabels struct{ Line1, Line2, Postcode, City, Country string }

var (
	billingLabels  = addressLabels{"Address", "Address line 2 (optional)", "Postcode", "City", "Country"}
	deliveryLabels = addressLabels{"Delivery address", "Delivery address line 2 (optional)", "Delivery postcode",
		"Delivery city", "Delivery country"}
)
