package store

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A HEAD answered as a GET is routed as a GET but logged as the HEAD the client sent,
// the error log of a failed request included.
func TestAsGet_LogsTheClientsMethod(t *testing.T) {
	head := httptest.NewRequest(http.MethodHead, "/products/x", nil)
	get := AsGet(head)
	if get.Method != http.MethodGet || head.Method != http.MethodHead {
		t.Fatalf("AsGet: copy says %s, original %s; want GET and HEAD untouched", get.Method, head.Method)
	}
	if m := RequestMethod(get); m != http.MethodHead {
		t.Errorf("RequestMethod of the copy = %s, want HEAD", m)
	}
	if m := RequestMethod(httptest.NewRequest(http.MethodGet, "/", nil)); m != http.MethodGet {
		t.Errorf("RequestMethod of a GET = %s", m)
	}

	var logs bytes.Buffer
	site := &Site{DB: mustOpenStore(t), Assets: stubAssets{}, Name: "Test shop", Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	e := echo.New()
	rec := httptest.NewRecorder()
	site.HandleError(errors.New("boom"), e.NewContext(get, rec))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if !strings.Contains(logs.String(), "method=HEAD") {
		t.Errorf("the error log does not say HEAD: %s", logs.String())
	}
}
