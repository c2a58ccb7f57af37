package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// shopListing is the home page's first page as the shop reads it.
func shopListing(t *testing.T, db *DB, category int64) map[string]Product {
	t.Helper()
	cards, _, err := db.ProductPage(context.Background(), ProductFilter{CategoryID: category, OnlyPublished: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Product{}
	for _, p := range cards {
		out[p.Slug] = p
	}
	return out
}

func TestListingCache_EveryKindOfCatalogueChangeShowsAtOnce(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	mustSeed(t, db)
	slug := "espresso-beans"
	before := shopListing(t, db, 0)[slug]
	if before.ID == 0 {
		t.Fatalf("no %s in the demo listing", slug)
	}
	if len(db.listings.pages) != 1 {
		t.Fatalf("%d listing pages cached, want 1", len(db.listings.pages))
	}
	inTx := func(q string, args ...any) {
		t.Helper()
		if err := db.Tx(ctx, func(tx *Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}
	inTx(`UPDATE products SET price_cents = price_cents + 100 WHERE slug = ?`, slug)
	if got := shopListing(t, db, 0)[slug].PriceCents; got != before.PriceCents+100 {
		t.Errorf("price after a change through the writer: %d, want %d", got, before.PriceCents+100)
	}
	if err := db.LightTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE products SET stock = 1 WHERE slug = ?`, slug)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := shopListing(t, db, 0)[slug].Stock; got != 1 {
		t.Errorf("stock after a light write: %d, want 1", got)
	}
	// A statement outside the writer's batches (as migrations run) is seen too.
	if _, err := db.W.Exec(`UPDATE products SET published = 0 WHERE slug = ?`, slug); err != nil {
		t.Fatal(err)
	}
	if _, ok := shopListing(t, db, 0)[slug]; ok {
		t.Error("an unpublished product is still listed")
	}
	inTx(`UPDATE products SET published = 1 WHERE slug = ?`, slug)
	cat := before.CategoryID
	if cat == 0 {
		var id int64
		if err := db.R.QueryRow(`SELECT category_id FROM products WHERE slug = ?`, slug).Scan(&id); err != nil {
			t.Fatal(err)
		}
		cat = id
	}
	if _, ok := shopListing(t, db, cat)[slug]; !ok {
		t.Fatalf("%s not in its category %d", slug, cat)
	}
	// Deleting its category moves the product out of it (ON DELETE SET NULL).
	inTx(`DELETE FROM categories WHERE id = ?`, cat)
	if _, ok := shopListing(t, db, cat)[slug]; ok {
		t.Error("the deleted category still lists the product")
	}
	// A write that fails changes nothing, and the listing says so.
	err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE products SET price_cents = 1 WHERE slug = ?`, slug); err != nil {
			return err
		}
		return fmt.Errorf("refused")
	})
	if err == nil {
		t.Fatal("the failing write succeeded")
	}
	if got := shopListing(t, db, 0)[slug].PriceCents; got != before.PriceCents+100 {
		t.Errorf("price after a write that was rolled back: %d, want %d", got, before.PriceCents+100)
	}
}

func TestListingCache_AReadThatRacedAChangeIsNotKept(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	ctx := context.Background()
	k := listingKey{limit: 100}
	gen := db.watch.gen.Load() // a read begins…
	stale, more, err := db.listingPage(ctx, ProductFilter{OnlyPublished: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *Tx) error { // …a change commits meanwhile…
		_, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock + 1`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.listings.put(k, listingPage{cards: stale, more: more, gen: gen, at: time.Now()}) // …and it stores what it saw
	if _, ok := db.listings.get(k, db.watch.gen.Load(), time.Now()); ok {
		t.Error("a page read before a committed change was served after it")
	}
}

// The pre-update hook fires before the commit: a read in that gap sees the old rows
// under the new generation, and the bump after the commit must still retire it.
func TestListingCache_AReadBetweenTheChangeAndItsCommitIsNotKept(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	ctx := context.Background()
	slug := "espresso-beans"
	before := shopListing(t, db, 0)[slug].Stock
	if err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock + 7 WHERE slug = ?`, slug); err != nil {
			return err
		}
		if got := shopListing(t, db, 0)[slug].Stock; got != before { // not committed yet
			t.Errorf("a reader saw stock %d before the commit, want %d", got, before)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := shopListing(t, db, 0)[slug].Stock; got != before+7 {
		t.Errorf("listing after the commit shows stock %d, want %d", got, before+7)
	}
}

func TestListingCache_AnotherProcessesChangeShowsWithinTheTTL(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	shopListing(t, db, 0)
	k := listingKey{limit: 100}
	p := db.listings.pages[k]
	p.at = time.Now().Add(-listingTTL)
	p.cards = nil // what the next read must not see
	db.listings.pages[k] = p
	if len(shopListing(t, db, 0)) == 0 {
		t.Error("a page past listingTTL was served")
	}
}

// Shoppers browse while others buy: whatever the interleaving, once the last order is
// answered, the listing shows the stock it left.
func TestListingCache_ConcurrentReadsAndStockChanges(t *testing.T) {
	db := mustOpenStore(t)
	mustSeed(t, db)
	ctx := context.Background()
	const slug, buyers, browsers = "espresso-beans", 20, 8
	if _, err := db.W.Exec(`UPDATE products SET stock = ? WHERE slug = ?`, buyers, slug); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var browse, buy sync.WaitGroup
	for range browsers {
		browse.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					if _, _, err := db.ProductPage(ctx, ProductFilter{OnlyPublished: true, Limit: 100}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for range buyers {
		buy.Go(func() {
			if err := db.Tx(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - 1 WHERE slug = ? AND stock > 0`, slug)
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	buy.Wait()
	if got := shopListing(t, db, 0)[slug].Stock; got != 0 {
		t.Errorf("listing shows stock %d once every order is answered, want 0", got)
	}
	close(stop)
	browse.Wait()
}
