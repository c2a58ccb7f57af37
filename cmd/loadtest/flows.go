package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// shop is the shop under load as the flows see it: where it answers, the shared
// connection pool and the catalogue it was seeded with.
type shop struct {
	base      *url.URL
	transport *http.Transport
	cat       catalogue
}

func (s *shop) newShopper(rec *recorder) *shopper { return newShopper(s.transport, s.base, rec) }

// Pages a shopper browses.
const (
	pageHome     = "home"
	pageCategory = "category page"
	pageProduct  = "product page"
	pageSearch   = "search"
	pageCart     = "cart page"
)

// pagePath picks the address of a page of that kind, at random but from rng alone.
func (s *shop) pagePath(kind string, rng *rand.Rand) string {
	switch kind {
	case pageHome:
		return "/"
	case pageCategory:
		return "/categories/" + benchCategories[rng.IntN(len(benchCategories))].slug
	case pageProduct:
		return "/products/" + s.cat.slug(rng.IntN(s.cat.buyable()))
	case pageSearch:
		return "/search?q=" + url.QueryEscape(searchQueries[rng.IntN(len(searchQueries))])
	case pageCart:
		return "/cart"
	}
	panic("unknown page kind " + kind)
}

// enter gives a new shopper its visitor and CSRF cookies and a token, as landing on a
// product page does.
func (s *shop) enter(ctx context.Context, sh *shopper, i int) error {
	_, err := sh.get(ctx, pageProduct, "/products/"+s.cat.slug(i), http.StatusOK)
	return err
}

func (s *shop) addToCart(ctx context.Context, sh *shopper, i int) error {
	_, err := sh.post(ctx, "add to cart", "/cart/add", url.Values{
		"product_id": {strconv.FormatInt(s.cat.id(i), 10)}, "quantity": {"1"}, "from": {"product"},
	}, http.StatusSeeOther)
	return err
}

// Payment methods a flow can use; none stops at the payment page.
const (
	payNone = ""
	payCard = "card"
	payBank = "cmcic"
)

// missingError is a route or a payment option the shop does not have (yet).
type missingError struct{ what string }

func (e *missingError) Error() string { return e.what + " is missing" }

// asMissing turns a 404/405 into a missingError naming the route.
func asMissing(err error, route string) error {
	if isNotFound(err) {
		return &missingError{what: "route " + route}
	}
	return err
}

// orderForm is what the benchmark shopper types; fill sets only the fields the form has.
// The e-mail's number has at most 12 digits: the shop refuses a run of 13 to 19 digits
// that passes the Luhn check anywhere in the form, as a card number typed in the wrong
// place, and a whole 64-bit number would be one in ten times.
func orderForm(n uint64) map[string]string {
	return map[string]string{
		"email": "shopper" + strconv.FormatUint(n%1e12, 10) + "@example.com", "name": "Camille Martin",
		"phone": "06 12 34 56 78", "billing_line1": "12 rue des Tanneurs", "billing_postcode": "75011",
		"billing_city": "Paris", "billing_country": "FR", "delivery": "home", "terms": "1",
	}
}

// buy is a whole purchase by a new shopper: an order (see order), then payment with
// method. It returns the order's payment state as its page finally shows it.
func (s *shop) buy(ctx context.Context, sh *shopper, rng *rand.Rand, method string) (string, error) {
	payURL, err := s.order(ctx, sh, rng.IntN(s.cat.buyable()), rng.Uint64())
	if err != nil {
		return "", err
	}
	return s.pay(ctx, sh, payURL, method)
}

// order takes a new shopper to a placed order of product i: land on its page, add it,
// open the order form, place the order. It returns the payment page's address.
func (s *shop) order(ctx context.Context, sh *shopper, i int, n uint64) (string, error) {
	if err := s.enter(ctx, sh, i); err != nil {
		return "", err
	}
	if err := s.addToCart(ctx, sh, i); err != nil {
		return "", err
	}
	form, err := s.orderForm(ctx, sh, n)
	if err != nil {
		return "", err
	}
	return s.place(ctx, sh, form)
}

// orderForm opens the order form and fills it, keeping its hidden fields.
func (s *shop) orderForm(ctx context.Context, sh *shopper, n uint64) (htmlForm, error) {
	p, err := sh.get(ctx, "order form", "/checkout", http.StatusOK)
	if err != nil {
		return htmlForm{}, asMissing(err, "GET /checkout")
	}
	f, ok := findForm(p, "checkout")
	if !ok {
		return f, errors.New("GET /checkout: no order form on the page")
	}
	f.fill(orderForm(n))
	return f, nil
}

// place posts the order form and returns where the shop sends the shopper to pay.
func (s *shop) place(ctx context.Context, sh *shopper, f htmlForm) (string, error) {
	p, err := sh.submit(ctx, "place order", f, http.StatusSeeOther)
	if err != nil {
		return "", asMissing(err, "POST /checkout")
	}
	if !strings.Contains(p.location, "/orders/") {
		return "", fmt.Errorf("POST /checkout: redirected to %q, not to an order", p.location)
	}
	return p.location, nil
}

// pay opens the payment page and pays with method, returning the order's state.
func (s *shop) pay(ctx context.Context, sh *shopper, payURL, method string) (string, error) {
	p, err := sh.get(ctx, "payment page", payURL, http.StatusOK)
	if err != nil {
		return "", asMissing(err, "GET /orders/:ref/pay")
	}
	if method == payNone {
		return "awaiting_payment", nil
	}
	link := linkByTestID(p.body, "pay-"+method)
	if link == "" {
		return "", &missingError{what: "payment option " + method}
	}
	switch method {
	case payCard:
		return s.payByCard(ctx, sh, link)
	default:
		return s.payAtBank(ctx, sh, link)
	}
}

// The test card every payment uses: Visa, accepted by the sandbox bank.
const (
	testCard   = "4242424242424242"
	testExpiry = "12/30"
)

// payByCard fills the shop's own card form (number, expiry, brand), keeping its
// hidden fields.
func (s *shop) payByCard(ctx context.Context, sh *shopper, link string) (string, error) {
	p, err := sh.get(ctx, "card form", link, http.StatusOK)
	if err != nil {
		return "", asMissing(err, "GET /orders/:ref/pay/card")
	}
	f, ok := findForm(p, "card-form")
	if !ok {
		return "", errors.New("card page: no card form")
	}
	f.fill(map[string]string{"number": testCard, "expiry": testExpiry, "brand": "visa"})
	p, err = sh.submit(ctx, "pay by card", f, http.StatusSeeOther, http.StatusOK)
	if err != nil {
		return "", asMissing(err, "POST /orders/:ref/pay/card")
	}
	return s.land(ctx, sh, p)
}

// payAtBank follows the bank redirect protocol through the sandbox bank: the shop's
// self-posting form, the bank's card page, its answer (the bank notifies the shop
// server to server before answering), and the return link.
func (s *shop) payAtBank(ctx context.Context, sh *shopper, link string) (string, error) {
	p, err := sh.get(ctx, "bank hand-off", link, http.StatusOK)
	if err != nil {
		return "", asMissing(err, "GET /orders/:ref/pay/cmcic")
	}
	f, ok := findForm(p, "bank-form")
	if !ok {
		return "", errors.New("bank hand-off page: no form to the bank")
	}
	if p, err = sh.submit(ctx, "bank card page", f, http.StatusOK); err != nil {
		return "", asMissing(err, "the bank's payment page")
	}
	if f, ok = findForm(p, "card-form"); !ok {
		return "", errors.New("bank payment page: no card form")
	}
	f.fill(map[string]string{"number": testCard, "expiry": testExpiry, "cvc": "123"})
	if p, err = sh.submit(ctx, "bank pays", f, http.StatusOK); err != nil {
		return "", err
	}
	back := linkByTestID(p.body, "return-link")
	if back == "" {
		return "", errors.New("bank result page: no return link")
	}
	p, err = sh.get(ctx, "order page", back, http.StatusOK)
	if err != nil {
		return "", err
	}
	return paymentState(p.body), nil
}

// land follows a redirect to the order page, or reads the page already given.
func (s *shop) land(ctx context.Context, sh *shopper, p page) (string, error) {
	if p.status == http.StatusSeeOther {
		var err error
		if p, err = sh.get(ctx, "order page", p.location, http.StatusOK); err != nil {
			return "", err
		}
	}
	return paymentState(p.body), nil
}
