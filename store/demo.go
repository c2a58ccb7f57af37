package store

import (
	"context"
)

type demoProduct struct {
	slug, name, desc string
	price            int64
	vat, stock       int
}

// demoCatalogue is a small believable shop: food at 5.5 % VAT, goods at 20 %, a few items
// low on stock and one sold out, so every state of a product page can be seen.
var demoCatalogue = []struct {
	cat      Category
	products []demoProduct
}{
	{Category{Slug: "coffee-tea", Name: "Coffee & Tea", Description: "Beans, leaves and a warm cup.", Position: 1}, []demoProduct{
		{"espresso-beans", "Espresso Beans", "Dark roast arabica beans, 500 g, roasted in Lyon.", 1290, 550, 40},
		{"cafe-moulu", "Café moulu", "Ground coffee for filter and French press, 250 g.", 690, 550, 25},
		{"green-tea", "Sencha Green Tea", "Japanese green tea, 100 g of loose leaves.", 950, 550, 3},
		{"earl-grey", "Earl Grey", "Black tea with bergamot, 100 g tin.", 850, 550, 18},
		{"hot-chocolate", "Hot Chocolate", "Cocoa powder with 60 % cocoa, 400 g.", 740, 550, 12},
		{"honey", "Lavender Honey", "Honey from Provence, 250 g jar.", 1120, 550, 2},
	}},
	{Category{Slug: "kitchen", Name: "Kitchen", Description: "Tools for the perfect brew.", Position: 2}, []demoProduct{
		{"mug", "Stoneware Mug", "Hand-glazed stoneware mug, 35 cl.", 1800, 2000, 30},
		{"teapot", "Cast Iron Teapot", "Cast iron teapot with infuser, 0.8 l.", 4900, 2000, 6},
		{"french-press", "French Press", "Glass and steel French press, 1 l.", 3490, 2000, 9},
		{"grinder", "Manual Coffee Grinder", "Ceramic burr grinder with adjustable grind.", 5990, 2000, 4},
		{"kettle", "Gooseneck Kettle", "Stovetop kettle with a fine spout, 1 l.", 4500, 2000, 0},
		{"cups", "Espresso Cups (set of 4)", "Porcelain espresso cups with saucers.", 2400, 2000, 15},
	}},
	{Category{Slug: "bakery", Name: "Bakery", Description: "Baked this morning.", Position: 3}, []demoProduct{
		{"croissant", "Butter Croissant", "Pure butter croissant.", 120, 550, 60},
		{"baguette", "Baguette Tradition", "Traditional French baguette.", 130, 550, 50},
		{"madeleines", "Madeleines (box of 12)", "Lemon madeleines from Commercy.", 650, 550, 20},
		{"macarons", "Macarons (box of 6)", "Assorted Parisian macarons.", 1290, 550, 5},
		{"cookies", "Chocolate Cookies", "Crunchy cookies with dark chocolate chips, 200 g.", 450, 550, 35},
		{"brioche", "Brioche Loaf", "Soft brioche loaf, 400 g.", 590, 550, 8},
	}},
	{Category{Slug: "gifts", Name: "Gifts", Description: "Something to offer.", Position: 4}, []demoProduct{
		{"tote-bag", "Canvas Tote Bag", "Organic cotton tote bag.", 1500, 2000, 22},
		{"apron", "Linen Apron", "Washed linen apron with pocket.", 3200, 2000, 7},
		{"notebook", "Recipe Notebook", "Hardcover notebook for recipes, 120 pages.", 1400, 550, 14},
		{"candle", "Scented Candle", "Soy wax candle, coffee and vanilla.", 2200, 2000, 1},
		{"gift-card", "Gift Card", "A gift card to spend in the shop (sent by post).", 2500, 0, 100},
		{"postcards", "Postcards (set of 8)", "Illustrated postcards of French cafés.", 900, 2000, 40},
	}},
	{Category{Slug: "pantry", Name: "Pantry", Description: "From French producers.", Position: 5}, []demoProduct{
		{"jam", "Apricot Jam", "Apricot jam from Roussillon, 370 g.", 680, 550, 24},
		{"olive-oil", "Olive Oil", "Extra virgin olive oil from Nyons, 50 cl.", 1890, 550, 16},
	}},
}

// SeedDemo fills an empty catalogue with the demo products. It does nothing when any
// product exists, so it is safe on every start and in two processes at once.
func (db *DB) SeedDemo(ctx context.Context) (bool, error) {
	seeded := false
	err := db.Tx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil || n > 0 {
			return err
		}
		for _, group := range demoCatalogue {
			cat := group.cat
			if err := insertCategory(ctx, tx, &cat); err != nil {
				return err
			}
			for _, d := range group.products {
				p := Product{Slug: d.slug, Name: d.name, Description: d.desc, PriceCents: d.price,
					VATRate: d.vat, Stock: d.stock, Image: "img/products/" + d.slug + ".svg",
					CategoryID: cat.ID, Published: true}
				if err := insertProduct(ctx, tx, &p); err != nil {
					return err
				}
			}
		}
		tx.searchTextsChanged()
		seeded = true
		return nil
	})
	return seeded, err
}
