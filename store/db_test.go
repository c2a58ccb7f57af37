package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// mustOpenStore opens a new database file under the test's temporary directory and
// closes it when the test ends.
func mustOpenStore(t *testing.T, sets ...Migrations) *DB {
	t.Helper()
	return mustOpenAt(t, filepath.Join(t.TempDir(), "shop.db"), sets...)
}

// mustOpenAt opens the database file at path; it is closed when the test ends.
func mustOpenAt(t *testing.T, path string, sets ...Migrations) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, sets...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// mustSeed fills the database with the demo catalogue.
func mustSeed(t *testing.T, db *DB) {
	t.Helper()
	if ok, err := db.SeedDemo(context.Background()); err != nil || !ok {
		t.Fatalf("SeedDemo = %v, %v; want true, nil", ok, err)
	}
}

type migrationRow struct {
	Package, Name, AppliedAt string
	Version                  int
}

func migrationRows(t *testing.T, db *DB) []migrationRow {
	t.Helper()
	rows, err := db.R.Query(`SELECT package, version, name, applied_at FROM schema_migrations ORDER BY package, version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var r migrationRow
		if err := rows.Scan(&r.Package, &r.Version, &r.Name, &r.AppliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tableNames(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.R.Query(`SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestOpen_RefusesNoFileOrMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		if db, err := Open(context.Background(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded; tests and the shop need a file", path)
		}
	}
}

func TestOpen_MigrationsApplyOnceAndAreIdempotent(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "data", "shop.db") // the directory is created
	extra := Migrations{Name: "extra", FS: fstest.MapFS{
		"migrations/001_things.sql": {Data: []byte(`CREATE TABLE things (id INTEGER PRIMARY KEY);`)},
		"migrations/002_more.sql":   {Data: []byte(`ALTER TABLE things ADD COLUMN name TEXT;`)},
	}}

	db, err := Open(context.Background(), dbPath, extra)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	first := migrationRows(t, db)
	schema := tableNames(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Every embedded file of every set is recorded once, by package and number.
	var want []migrationRow
	for _, set := range []Migrations{extra, catalogueMigrations} {
		files, err := fs.Glob(set.FS, "migrations/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations of %s: %v %v", set.Name, files, err)
		}
		slices.Sort(files)
		for i, f := range files {
			want = append(want, migrationRow{Package: set.Name, Name: path.Base(f), Version: i + 1})
		}
	}
	if len(first) != len(want) {
		t.Fatalf("schema_migrations = %+v, want %d rows", first, len(want))
	}
	for i, w := range want {
		if first[i].Package != w.Package || first[i].Version != w.Version || first[i].Name != w.Name || first[i].AppliedAt == "" {
			t.Errorf("row %d = %+v, want %+v with a time", i, first[i], w)
		}
	}
	for _, name := range []string{"products", "categories", "settings", "products_fts", "things", "products_fts_insert"} {
		if !slices.Contains(schema, name) {
			t.Errorf("schema lacks %s", name)
		}
	}

	// Open again, twice: nothing is applied again (an applied ALTER TABLE would fail).
	for i := range 2 {
		db := mustOpenAt(t, dbPath, extra)
		if again := migrationRows(t, db); !slices.Equal(again, first) {
			t.Errorf("open #%d: schema_migrations = %+v, want unchanged %+v", i+2, again, first)
		}
		if got := tableNames(t, db); !slices.Equal(got, schema) {
			t.Errorf("open #%d: schema changed: %v, was %v", i+2, got, schema)
		}
		db.Close()
	}
}

func TestOpen_FailedMigrationLeavesNoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	bad := Migrations{Name: "bad", FS: fstest.MapFS{
		"migrations/001_ok.sql":     {Data: []byte(`CREATE TABLE ok (id INTEGER);`)},
		"migrations/002_broken.sql": {Data: []byte(`CREATE TABLE half (id INTEGER); CREATE TABLE oops (;`)},
	}}
	if db, err := Open(context.Background(), path, bad); err == nil {
		db.Close()
		t.Fatal("Open succeeded with a broken migration")
	} else if !strings.Contains(err.Error(), "002_broken.sql") {
		t.Errorf("error %q does not name the broken migration", err)
	}
	db := mustOpenAt(t, path)
	var versions []int
	for _, r := range migrationRows(t, db) {
		if r.Package == "bad" {
			versions = append(versions, r.Version)
		}
	}
	if !slices.Equal(versions, []int{1}) {
		t.Errorf("recorded versions of the bad set = %v, want [1] only", versions)
	}
	schema := tableNames(t, db)
	if !slices.Contains(schema, "ok") || slices.Contains(schema, "half") {
		t.Errorf("schema %v: want table ok from 001 and nothing from the rolled-back 002", schema)
	}
}

func TestOpen_RejectsBadMigrationName(t *testing.T) {
	set := Migrations{Name: "odd", FS: fstest.MapFS{"migrations/first.sql": {Data: []byte(`SELECT 1;`)}}}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "shop.db"), set)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a migration without a number")
	}
	if !strings.Contains(err.Error(), "first.sql") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestDSN_WriterIsImmediateReaderIsQueryOnly(t *testing.T) {
	tests := []struct {
		name      string
		readOnly  bool
		txlock    string
		queryOnly bool
	}{
		{"writer", false, "immediate", false},
		{"reader", true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := dsn("/data/shop.db", tt.readOnly)
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "file" || u.Opaque != "/data/shop.db" && u.Path != "/data/shop.db" {
				t.Errorf("dsn %q does not point at the file", raw)
			}
			q := u.Query()
			if got := q.Get("_txlock"); got != tt.txlock {
				t.Errorf("_txlock = %q, want %q", got, tt.txlock)
			}
			if q.Get("_time_format") != "sqlite" {
				t.Errorf("_time_format = %q, want sqlite", q.Get("_time_format"))
			}
			pragmas := q["_pragma"]
			for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
				if !slices.Contains(pragmas, p) {
					t.Errorf("pragmas %v lack %s", pragmas, p)
				}
			}
			if got := slices.Contains(pragmas, "query_only(1)"); got != tt.queryOnly {
				t.Errorf("query_only present = %v, want %v", got, tt.queryOnly)
			}
		})
	}
}

func TestDB_PragmasHoldOnEveryConnection(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	pragma := func(pool *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := pool.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	// Hold several reader connections at once so that more than the first are checked.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.R.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "query_only": "1"} {
			var v string
			if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != want {
				t.Errorf("reader %d: %s = %s, want %s", i, name, v, want)
			}
		}
		c.Close()
	}
	for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "query_only": "0", "synchronous": "2"} {
		if got := pragma(db.W, name); got != want {
			t.Errorf("writer: %s = %s, want %s", name, got, want)
		}
	}
}

func TestDB_ReadersCannotWrite(t *testing.T) {
	db := mustOpenStore(t)
	if _, err := db.R.Exec(`INSERT INTO settings (key, value) VALUES ('x', 'y')`); err == nil {
		t.Fatal("a write through db.R succeeded; readers must be query-only")
	}
	if _, err := db.W.Exec(`INSERT INTO settings (key, value) VALUES ('x', 'y')`); err != nil {
		t.Fatalf("a write through db.W failed: %v", err)
	}
	var v string
	if err := db.R.QueryRow(`SELECT value FROM settings WHERE key = 'x'`).Scan(&v); err != nil || v != "y" {
		t.Errorf("reader sees %q, %v; want the writer's row", v, err)
	}
}

// A write transaction takes the write lock at BEGIN (IMMEDIATE), not at its first write:
// while it is open, another connection cannot write even before it has written anything.
func TestDB_WriteTransactionsLockAtBegin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	db := mustOpenAt(t, path)
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	tx, err := db.W.Begin()
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Exec(`INSERT INTO settings (key, value) VALUES ('other', 'x')`)
	if err == nil {
		t.Errorf("another connection wrote while a write transaction was open: BEGIN is not IMMEDIATE")
	} else if !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "busy") {
		t.Errorf("other writer failed with %v, want database is locked", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`INSERT INTO settings (key, value) VALUES ('other', 'x')`); err != nil {
		t.Errorf("after the transaction ended the other connection still cannot write: %v", err)
	}
}

func TestDB_TxCommitsOrRollsBack(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('a', 'rolled back')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want fn's error", err)
	}
	if err := db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('b', 'kept')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	db.R.QueryRow(`SELECT count(*) FROM settings WHERE key = 'a'`).Scan(&n)
	if n != 0 {
		t.Errorf("the failed transaction's row was kept")
	}
	db.R.QueryRow(`SELECT count(*) FROM settings WHERE key = 'b'`).Scan(&n)
	if n != 1 {
		t.Errorf("the committed row is missing")
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestSetting_GetOrCreateReturnsTheSameValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	db := mustOpenAt(t, path)
	ctx := context.Background()
	calls := 0
	gen := func() ([]byte, error) {
		calls++
		return []byte("value-" + string(rune('0'+calls))), nil
	}
	first, err := db.Setting(ctx, "k", gen)
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.Setting(ctx, "k", gen)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != "value-1" || string(second) != string(first) {
		t.Errorf("Setting = %q then %q, want the first generated value twice", first, second)
	}
	if calls != 1 {
		t.Errorf("generate called %d times, want once", calls)
	}
	db.Close()
	db = mustOpenAt(t, path)
	if again, err := db.Setting(ctx, "k", gen); err != nil || string(again) != string(first) {
		t.Errorf("after reopening: %q, %v; want %q", again, err, first)
	}

	failing := func() ([]byte, error) { return nil, errors.New("no entropy") }
	if _, err := db.Setting(ctx, "other", failing); err == nil {
		t.Errorf("a failing generator gave no error")
	}
	if v, err := db.Setting(ctx, "other", gen); err != nil || len(v) == 0 {
		t.Errorf("after a failed generation the key should be created afresh: %q, %v", v, err)
	}
}

func TestSessionKeys_StableAndOfTheRightSize(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	h1, b1, err := db.SessionKeys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	h2, b2, err := db.SessionKeys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(h1) != 64 || len(b1) != 32 || string(h1) != string(h2) || string(b1) != string(b2) {
		t.Errorf("generated keys: %d/%d bytes, stable %v", len(h1), len(b1), string(h1) == string(h2) && string(b1) == string(b2))
	}
	secret := strings.Repeat("s", 32)
	h3, b3, _ := db.SessionKeys(ctx, secret)
	h4, b4, _ := db.SessionKeys(ctx, secret)
	if len(h3) != 64 || len(b3) != 32 || string(h3) != string(h4) || string(b3) != string(b4) || string(h3) == string(h1) {
		t.Errorf("derived keys: %d/%d bytes; want stable keys from the secret", len(h3), len(b3))
	}
}
