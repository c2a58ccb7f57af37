package templates

// View structs of checkout's admin pages: orders, the mail outbox and delivery methods.

// AdminOrderFilter is the order list's filters as typed.
type AdminOrderFilter struct {
	Query, Payment, Fulfilment, Method, Delivery, From, To string
}

// AdminOrderRow is an order in the admin list.
type AdminOrderRow struct {
	Reference, URL, Placed     string
	Name, Email                string
	Total                      string
	Payment, PaymentCode       string
	Fulfilment, FulfilmentCode string
	Method, Delivery           string
}

// AdminOrdersView is the order list with its filters.
type AdminOrdersView struct {
	Admin            AdminChrome
	Filter           AdminOrderFilter
	Errors           map[string]string // by field id
	PaymentStates    []Option
	FulfilmentStates []Option
	Methods          []Option
	Deliveries       []Option
	Rows             []AdminOrderRow
	Total            int
	Pager            Pager
}

// AdminOrderEvent is one entry of an order's timeline.
type AdminOrderEvent struct {
	At, Kind, What, Detail, Actor string
}

// AdminCardPayment is an order's card record. Masked shows the first six digits at most;
// Shown, the stored part in full, is set only in the answer to the merchant's explicit,
// logged request to see it.
type AdminCardPayment struct {
	Brand, Expiry string
	Masked        string
	Shown         string
	Reduced       bool // only the first six digits are kept: nothing more to show
}

// AdminBankNotification is one notification the bank sent about an order.
type AdminBankNotification struct {
	ReceivedAt, Code, Outcome, AuthNumber, Status3DS string
	MACValid                                         bool
}

// AdminOrderMail is a mail the shop queued about an order.
type AdminOrderMail struct {
	To, Subject, Status, At, URL string
}

// AdminActionForm is what the merchant typed in one of an order's action forms
// (Action: "certify", "reject", "ship", "cancel").
type AdminActionForm struct {
	Action, Reason, Tracking string
}

// AdminOrderView is an order's admin page: everything about it and the actions that
// apply to it now.
type AdminOrderView struct {
	Admin          AdminChrome
	Reference      string
	URL            string // the page's own address; actions post to URL + "/certify" etc.
	Placed         string
	PaidAt         string
	ExpiresAt      string // while awaiting payment
	Payment        string
	PaymentCode    string
	Fulfilment     string
	FulfilmentCode string
	Method         string
	Tracking       string
	AuthNumber     string
	Status3DS      string
	StockReturned  bool
	Name           string
	Email          string
	Phone          string
	Billing        []string
	Shipping       []string
	Delivery       string
	PickUp         bool // collected at the shop: "ready", not "shipped"
	Note           string
	Summary        OrderSummary
	Card           *AdminCardPayment
	Bank           bool
	Notifications  []AdminBankNotification
	Events         []AdminOrderEvent
	Mails          []AdminOrderMail

	CanCertify, CanReject, CanShip, CanCancel bool
	CanSendDetails                            bool // the customer's confirmation, once more
	// Refusal says that an action no longer applied and nothing changed (status 409).
	Refusal string
	// Notice is a one-off message of this response, such as "shown and recorded".
	Notice       string
	Form         AdminActionForm   // the form being corrected, if any
	Errors       map[string]string // by field id, e.g. "cancel-reason"
	ErrorSummary []FieldError
}

// AdminMailRow is a mail in the outbox list: never its body.
type AdminMailRow struct {
	ID        int64
	Created   string
	To        string
	Subject   string
	Status    string
	Attempts  int
	LastError string
	SentAt    string
	OrderRef  string
	OrderURL  string
	CanResend bool
	ResendURL string
	ViewURL   string // the .eml viewer, when mail goes to a folder
}

// AdminMailsView is the mail outbox.
type AdminMailsView struct {
	Admin    AdminChrome
	Status   string
	Statuses []Option
	Rows     []AdminMailRow
	Total    int
	Pager    Pager
	Folder   bool   // mail is written to a folder (no SMTP): the viewer is available
	Refusal  string // a resend that no longer applied (status 409)
}

// AdminEmlView shows a mail written to the mail folder, its card digits masked.
type AdminEmlView struct {
	Admin   AdminChrome
	ID      int64
	File    string
	From    string
	To      string
	Subject string
	Date    string
	Body    string
	Masked  bool // some digits were masked
}

// AdminDeliveryRow is a delivery method in the admin list.
type AdminDeliveryRow struct {
	ID           int64
	Code, Name   string
	Price        string
	FreeAbove    string
	VAT          string
	NeedsAddress bool
	Active       bool
	EditURL      string
	MoveURL      string
	First, Last  bool
}

// AdminDeliveriesView is the list of delivery methods in the order the checkout shows them.
type AdminDeliveriesView struct {
	Admin AdminChrome
	Rows  []AdminDeliveryRow
}

// AdminDeliveryForm holds the delivery method form's values as typed.
type AdminDeliveryForm struct {
	Code, Name, Description, Price, FreeAbove, VATRate string
	NeedsAddress, Active                               bool
}

// AdminDeliveryView is the new-method page (ID 0) or a method's edit page.
type AdminDeliveryView struct {
	Admin    AdminChrome
	ID       int64
	Heading  string
	Action   string
	Form     AdminDeliveryForm
	Errors   map[string]string
	Summary  []FieldError
	VATRates []Option
}
