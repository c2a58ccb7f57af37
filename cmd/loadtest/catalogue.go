package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"shop/store"
)

// catalogue is the deterministic catalogue a run seeds: product i (0 ≤ i < size) has id
// i+1 and a name, slug, price and category computed from i alone, so the driver knows
// every product without asking the shop. Every product has plenty of stock except the
// last one, the flash-sale product, which has flashStock.
type catalogue struct {
	size       int
	flashStock int
}

// plentyStock is the stock of every product but the flash-sale one: no scenario can
// run it out, so "sold out" never shows up as an error.
const plentyStock = 1_000_000

// benchCategories is a fixed set whatever the size: a larger catalogue means fuller
// categories, the case where an unindexed listing or count shows. Four, so that with 100
// products a category already fills its first page (25 products, 24 a page) as it does
// with 100,000: the 100,000-vs-100 check then compares pages of the same length (with ten
// categories it compared a page of 10 cards with a page of 24).
var benchCategories = []struct{ slug, name string }{
	{"coffee-tea", "Coffee & Tea"}, {"kitchen", "Kitchen"}, {"bakery", "Bakery"}, {"gifts", "Gifts"},
}

var (
	adjectives = []string{"Smoked", "Roasted", "Organic", "Wild", "Golden", "Rustic", "Classic", "Spiced",
		"Honeyed", "Velvet", "Alpine", "Coastal", "Midnight", "Morning", "Heritage", "Lavender", "Citrus",
		"Amber", "Crimson", "Silver"}
	nouns = []string{"Coffee", "Tea", "Mug", "Teapot", "Honey", "Jam", "Biscuits", "Chocolate", "Candle",
		"Notebook", "Apron", "Kettle", "Grinder", "Cups", "Brioche", "Madeleines", "Macarons", "Olive Oil",
		"Tote Bag", "Postcards"}
	// searchQueries are what the search scenario types: one or two everyday words, each
	// matching a fixed share of the catalogue (1/20 or 1/400), as real words would.
	searchQueries = []string{"mug", "smoked tea", "golden", "lavender honey", "chocolate", "rustic kettle"}
)

func (c catalogue) id(i int) int64 { return int64(i + 1) }

func (c catalogue) name(i int) string {
	return adjectives[i%len(adjectives)] + " " + nouns[(i/len(adjectives))%len(nouns)] + " No. " + strconv.Itoa(i+1)
}

func (c catalogue) slug(i int) string {
	return strings.ReplaceAll(strings.ToLower(adjectives[i%len(adjectives)]+"-"+nouns[(i/len(adjectives))%len(nouns)]), " ", "-") +
		"-" + strconv.Itoa(i+1)
}

func (c catalogue) category(i int) int { return i % len(benchCategories) }

// flash is the index of the flash-sale product; buyable lists exclude it.
func (c catalogue) flash() int { return c.size - 1 }

// buyable is how many products other scenarios pick from: all but the flash-sale one.
func (c catalogue) buyable() int { return c.size - 1 }

// seed creates the database in dataDir through the shop's own store.Open (its
// migrations, its pragmas), then inserts the catalogue in one transaction. The shop
// applies its other packages' migrations when it starts; SHOP_DEMO then finds products
// and seeds nothing.
func (c catalogue) seed(ctx context.Context, dataDir string) error {
	if c.size < 2 {
		return fmt.Errorf("a catalogue needs at least 2 products")
	}
	db, err := store.Open(ctx, filepath.Join(dataDir, "shop.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Tx(ctx, func(tx *store.Tx) error {
		for i, cat := range benchCategories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO categories (id, slug, name, description, position)
				VALUES (?, ?, ?, ?, ?)`, i+1, cat.slug, cat.name, "Benchmark category "+cat.name+".", i+1); err != nil {
				return fmt.Errorf("seed categories: %w", err)
			}
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO products
			(id, slug, name, description, price_cents, vat_rate, stock, image, category_id, published)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, 1)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		vat := []int{550, 2000}
		for i := 0; i < c.size; i++ {
			stock := plentyStock
			if i == c.flash() {
				stock = c.flashStock
			}
			desc := "A " + strings.ToLower(c.name(i)) + " from the benchmark catalogue, made in France and packed by hand."
			if _, err := stmt.ExecContext(ctx, c.id(i), c.slug(i), c.name(i), desc, 100+(i*7919)%9900,
				vat[i%len(vat)], stock, c.category(i)+1); err != nil {
				return fmt.Errorf("seed product %d: %w", i, err)
			}
		}
		return nil
	})
}
