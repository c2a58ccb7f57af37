package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"shop/store"
)

// runAdmin runs `shop admin ARGS` on dataDir with stdin, returning its output and error.
func runAdmin(t *testing.T, dataDir, stdin string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{"SHOP_DATA_DIR": dataDir}
	var out bytes.Buffer
	err := adminCommand(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out)
	return out.String(), err
}

func openStaff(t *testing.T, dataDir string) *store.Staff {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dataDir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &store.Staff{DB: db}
}

func TestAdminCommand_AddReadsThePasswordFromStdin(t *testing.T) {
	dir := t.TempDir()
	out, err := runAdmin(t, dir, "correct horse battery\r\n", "add", "Boss@Example.com")
	if err != nil {
		t.Fatalf("admin add: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Password for boss@example.com") || !strings.Contains(out, "added") || strings.Contains(out, "correct horse") {
		t.Errorf("output %q: want a prompt and a confirmation, never the password", out)
	}
	staff := openStaff(t, dir)
	if _, err := staff.Authenticate(context.Background(), "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("the new admin cannot log in: %v", err)
	}
}

func TestAdminCommand_Refuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := runAdmin(t, dir, "correct horse battery\n", "add", "boss@example.com"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no e-mail", "x\n", []string{"add"}, "usage"},
		{"unknown subcommand", "x\n", []string{"delete", "boss@example.com"}, "usage"},
		{"password as an argument", "", []string{"add", "new@example.com", "--password=secret"}, "usage"},
		{"not an address", "correct horse battery\n", []string{"add", "boss"}, "e-mail address"},
		{"short password", "short\n", []string{"add", "new@example.com"}, "at least 10"},
		{"nothing on stdin", "", []string{"add", "new@example.com"}, "no password"},
		{"existing account", "another long password\n", []string{"add", "BOSS@example.com"}, "already exists"},
		{"password of an unknown account", "another long password\n", []string{"password", "nobody@example.com"}, "no admin"},
		{"blank data directory", "another long password\n", []string{"add", "-data-dir", "   ", "new@example.com"}, "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := runAdmin(t, dir, tt.stdin, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	if n, _ := openStaff(t, dir).Count(context.Background()); n != 1 {
		t.Errorf("%d admins, want 1", n)
	}
}

func TestAdminCommand_PasswordChangesIt(t *testing.T) {
	dir := t.TempDir()
	runAdmin(t, dir, "correct horse battery\n", "add", "boss@example.com")
	if _, err := runAdmin(t, dir, "a brand new password\n", "password", "-data-dir", dir, "boss@example.com"); err != nil {
		t.Fatal(err)
	}
	staff := openStaff(t, dir)
	if _, err := staff.Authenticate(context.Background(), "boss@example.com", "a brand new password", "192.0.2.1"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
}

func TestSetUpAdmins_FromTheEnvironmentOnceAndTheDemo(t *testing.T) {
	ctx := context.Background()
	staff := openStaff(t, t.TempDir())
	if _, err := setUpAdmins(ctx, staff, "boss@example.com", "", false, ""); err == nil {
		t.Error("an e-mail without a password is accepted")
	}
	if _, err := setUpAdmins(ctx, staff, "boss@example.com", "short", false, ""); err == nil {
		t.Error("a weak password is accepted")
	}
	notice, err := setUpAdmins(ctx, staff, "boss@example.com", "correct horse battery", true, "http://x/admin/login")
	if err != nil || notice != "" {
		t.Fatalf("setUpAdmins = %q, %v; want the env admin and no demo admin", notice, err)
	}
	if _, err := staff.Authenticate(ctx, "boss@example.com", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("the env admin cannot log in: %v", err)
	}
	// Once an admin exists, the variables create no other.
	if _, err := setUpAdmins(ctx, staff, "other@example.com", "correct horse battery", false, ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := staff.Count(ctx); n != 1 {
		t.Errorf("%d admins, want 1", n)
	}

	demo := openStaff(t, t.TempDir())
	notice, err = setUpAdmins(ctx, demo, "", "", true, "http://x/admin/login")
	if err != nil || !strings.Contains(notice, store.DemoAdminEmail) || !strings.Contains(notice, "http://x/admin/login") {
		t.Fatalf("demo: %q, %v", notice, err)
	}
	again, _ := setUpAdmins(ctx, demo, "", "", true, "http://x/admin/login")
	if again != notice {
		t.Errorf("second start prints %q, first %q", again, notice)
	}
	pw := notice[strings.LastIndex(notice, " ")+1:]
	if _, err := demo.Authenticate(ctx, store.DemoAdminEmail, pw, "192.0.2.1"); err != nil {
		t.Errorf("the printed demo password does not log in: %v", err)
	}
	if _, err := demo.Authenticate(ctx, store.DemoAdminEmail, "wrong", "192.0.2.1"); !errors.Is(err, store.ErrBadLogin) {
		t.Errorf("wrong demo password: %v", err)
	}
}
