package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// searchSegments is how many b-trees the full-text index has.
func searchSegments(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(`SELECT count(DISTINCT segid) FROM products_fts_idx`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// searchResults are the slugs each query finds, in the order search pages show them.
func searchResults(t *testing.T, db *DB, queries []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, q := range queries {
		list, _, err := db.ProductPage(context.Background(), ProductFilter{Query: q, OnlyPublished: true, Limit: 400})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		out[q] = slugs(list)
	}
	return out
}

// typeIn creates products one at a time, as a merchant does in the admin area: each
// adds a segment to the index.
func typeIn(t *testing.T, db *DB, names ...string) {
	t.Helper()
	for _, name := range names {
		p := newProduct(name, 3)
		p.Description = "A " + name + ", packed by hand in Lyon."
		if err := db.CreateProduct(context.Background(), &p, "boss@example.com", ""); err != nil {
			t.Fatal(err)
		}
	}
}

var searchTestQueries = []string{"mug", "mu", "golden", "lyon", "tea pot", "hand", "nothing like it"}

func TestMergeSearchIndex_OneSegmentSameResults(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	var names []string
	for i := range 300 { // enough for a merge of a page a step to take several steps
		names = append(names, fmt.Sprintf("%s %s No. %d", []string{"Golden", "Blue", "Smoked"}[i%3],
			[]string{"Mug", "Tea Pot", "Kettle", "Mugwort Tea"}[i%4], i+1))
	}
	typeIn(t, db, names...)
	if n := searchSegments(t, db); n < 2 {
		t.Fatalf("%d segments after typing products in one by one; the test needs several", n)
	}
	before := searchResults(t, db, searchTestQueries)
	if len(before["mug"]) == 0 || len(before["lyon"]) != 300 {
		t.Fatalf("the catalogue does not search as the test expects: %v", before)
	}
	// A page a step: the merge takes several, and goes on until it is done.
	if err := db.mergeSearchIndex(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := searchSegments(t, db); n != 1 {
		t.Errorf("%d segments after merging, want 1", n)
	}
	if _, err := db.W.Exec(`INSERT INTO products_fts (products_fts) VALUES ('integrity-check')`); err != nil {
		t.Errorf("the merged index fails FTS5's integrity check: %v", err)
	}
	after := searchResults(t, db, searchTestQueries)
	for _, q := range searchTestQueries {
		if !slices.Equal(before[q], after[q]) {
			t.Errorf("search %q: %v before merging, %v after", q, before[q], after[q])
		}
	}
	// Merged again, a merged index is left as it is.
	if err := db.MergeSearchIndex(ctx); err != nil || searchSegments(t, db) != 1 {
		t.Errorf("merging a merged index: %v, %d segments", err, searchSegments(t, db))
	}
}

func TestKeepSearchIndexMerged_MergesAfterEachChange(t *testing.T) {
	db := mustOpenStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.KeepSearchIndexMerged(ctx, time.Hour, func(err error) { t.Errorf("merge: %v", err) })
	}()
	defer func() {
		cancel()
		<-done // it stops with its context
	}()
	waitMerged := func(what string) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); searchSegments(t, db) != 1; {
			if time.Now().After(end) {
				t.Fatalf("after %s: %d segments ten seconds later, want 1", what, searchSegments(t, db))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Three: FTS5 merges four segments of a level on its own.
	typeIn(t, db, "Golden Mug", "Blue Tea Pot", "Golden Tea Pot")
	waitMerged("three new products")
	got, _, err := db.ProductPage(ctx, ProductFilter{Query: "golden", OnlyPublished: true, Limit: 10})
	if err != nil || len(got) != 2 {
		t.Fatalf("search golden: %v, %v", slugs(got), err)
	}
	p := got[0]
	p.Name, p.Description = "Silver Mug", "Polished."
	if err := db.UpdateProduct(ctx, &p, StockCount{}, ""); err != nil {
		t.Fatal(err)
	}
	waitMerged("a renamed product")
	if deleted, _, err := db.RemoveProduct(ctx, got[1].ID, fakeOrders{}); err != nil || !deleted {
		t.Fatalf("remove: %v, %v", deleted, err)
	}
	waitMerged("a deleted product")
	for q, want := range map[string][]string{"golden": nil, "silver": {p.Slug}, "mug": {p.Slug}} {
		got, _, err := db.ProductPage(ctx, ProductFilter{Query: q, OnlyPublished: true, Limit: 10})
		if err != nil || !slices.Equal(slugs(got), want) {
			t.Errorf("search %q after the changes: %v, %v; want %v", q, slugs(got), err, want)
		}
	}
}

// The job merges at start an index it was never told about: one a driver seeded, or
// one from before the job existed.
func TestKeepSearchIndexMerged_MergesAtStart(t *testing.T) {
	db := mustOpenStore(t)
	for i, name := range []string{"Golden Mug", "Blue Tea Pot", "Golden Tea Pot"} {
		if _, err := db.W.Exec(`INSERT INTO products (slug, name, description, price_cents, vat_rate, stock, published)
			VALUES (?, ?, '', 100, 2000, 1, 1)`, fmt.Sprint("p", i), name); err != nil {
			t.Fatal(err)
		}
	}
	if n := searchSegments(t, db); n < 2 {
		t.Fatalf("%d segments after three inserts; the test needs several", n)
	}
	select {
	case <-db.searchChanged:
		t.Fatal("inserts outside the store's product writes woke the merge; the test needs them not to")
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.KeepSearchIndexMerged(ctx, time.Hour, func(err error) { t.Errorf("merge: %v", err) })
	}()
	defer func() { cancel(); <-done }()
	for end := time.Now().Add(10 * time.Second); searchSegments(t, db) != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d segments ten seconds after the job started, want 1", searchSegments(t, db))
		}
	}
}

// Each write that changes a product's name or description wakes the merge once it has
// committed; stock and publishing, which the index does not hold, do not.
func TestSearchTextsChanged_WakesTheMergeOnlyForTexts(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	woke := func() bool {
		select {
		case <-db.searchChanged:
			return true
		default:
			return false
		}
	}
	check := func(what string, err error, want bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := woke(); got != want {
			t.Errorf("%s woke the merge: %v, want %v", what, got, want)
		}
	}
	p := newProduct("Golden Mug", 5)
	check("a new product", db.CreateProduct(ctx, &p, "boss@example.com", ""), true)
	p.Name = "Silver Mug"
	check("a renamed product", db.UpdateProduct(ctx, &p, StockCount{}, ""), true)
	_, err := db.AdjustStock(ctx, p.ID, 3, "Delivery", "boss@example.com", "")
	check("a stock change", err, false)
	deleted, _, err := db.RemoveProduct(ctx, p.ID, fakeOrders{p.ID: true})
	check("an unpublished product (it is in an order)", err, false)
	if deleted {
		t.Fatal("a product in an order was deleted")
	}
	deleted, _, err = db.RemoveProduct(ctx, p.ID, fakeOrders{})
	check("a deleted product", err, true)
	if !deleted {
		t.Fatal("a product in no order was not deleted")
	}
}

// A change merges a small index at once and leaves a large one to the periodic merge.
func TestMergeSmallSearchIndex_LeavesALargeOne(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	typeIn(t, db, "Golden Mug", "Blue Tea Pot", "Golden Tea Pot")
	if err := db.mergeSmallSearchIndex(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := searchSegments(t, db); n < 2 {
		t.Fatalf("an index above the bound was merged: %d segments", n)
	}
	if err := db.mergeSmallSearchIndex(ctx, searchMergeOnChange); err != nil {
		t.Fatal(err)
	}
	if n := searchSegments(t, db); n != 1 {
		t.Errorf("an index within the bound: %d segments after a change's merge, want 1", n)
	}
}
