package store

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func categoryNames(cs []Category) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// TestShopCategories_AdminChangesShowAtOnce: the shop's pages reuse the category list,
// but a change made in the admin area of the same process is on the next page, even when
// pages were reading the list while it happened.
func TestShopCategories_AdminChangesShowAtOnce(t *testing.T) {
	db := mustOpenStore(t)
	ctx := context.Background()
	tea := &Category{Name: "Tea"}
	if err := db.CreateCategory(ctx, tea); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ShopCategories(ctx); err != nil || !slices.Equal(categoryNames(got), []string{"Tea"}) {
		t.Fatalf("first read: %v, %v", categoryNames(got), err)
	}

	// Readers keep reading while the admin creates, renames and moves.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					if _, err := db.ShopCategories(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	coffee := &Category{Name: "Coffee"}
	err := db.CreateCategory(ctx, coffee)
	if err == nil {
		tea.Name = "Green Tea"
		err = db.UpdateCategory(ctx, tea)
	}
	if err == nil {
		err = db.MoveCategory(ctx, coffee.ID, true)
	}
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.ShopCategories(ctx); err != nil || !slices.Equal(categoryNames(got), []string{"Coffee", "Green Tea"}) {
		t.Errorf("after the changes: %v, %v; want [Coffee Green Tea]", categoryNames(got), err)
	}
	if c, err := db.ShopCategoryBySlug(ctx, tea.Slug); err != nil || c.Name != "Green Tea" {
		t.Errorf("by slug %q: %+v, %v", tea.Slug, c, err)
	}
}

// TestShopCategoryBySlug_FindsWhatAnotherProcessCreated: a category created by another
// process sharing the file has a page at once, though the list may lag a few seconds.
func TestShopCategoryBySlug_FindsWhatAnotherProcessCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	here, other := mustOpenAt(t, path), mustOpenAt(t, path)
	ctx := context.Background()
	if _, err := here.ShopCategories(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.CreateCategory(ctx, &Category{Name: "Chocolate"}); err != nil {
		t.Fatal(err)
	}
	if c, err := here.ShopCategoryBySlug(ctx, "chocolate"); err != nil || c.Name != "Chocolate" {
		t.Errorf("by slug: %+v, %v", c, err)
	}
	if _, err := here.ShopCategoryBySlug(ctx, "no-such-thing"); ErrorCode(err) != NotFound {
		t.Errorf("unknown slug: %v, want NotFound", err)
	}
}
