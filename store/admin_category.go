package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/templates"
)

// CategoryByID finds a category, or returns NotFound.
func (db *DB) CategoryByID(ctx context.Context, id int64) (Category, error) {
	var c Category
	err := db.R.QueryRowContext(ctx, `SELECT id, slug, name, description, position FROM categories WHERE id = ?`, id).
		Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return c, Errorf(NotFound, "This category does not exist.")
	}
	return c, err
}

// ErrCategoryNameTaken refuses a second category of the same name: the shop's menu would
// show it twice.
var ErrCategoryNameTaken = Errorf(Conflict, "Another category already has this name.")

// checkCategoryNames checks c's name against the others (letter case aside) and settles its slug.
func checkCategoryNames(ctx context.Context, tx *Tx, c *Category) error {
	taken, err := categoryNameTaken(ctx, tx, c)
	if err != nil {
		return err
	}
	if taken {
		return ErrCategoryNameTaken
	}
	return categorySlug(ctx, tx, c)
}

func categoryNameTaken(ctx context.Context, q Querier, c *Category) (bool, error) {
	var same int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM categories WHERE lower(name) = lower(?) AND id != ?`,
		c.Name, c.ID).Scan(&same)
	return same > 0, err
}

// categoryTaken adds to errs the fields a save of c would refuse because another
// category has them, so that the form shows them beside its other errors; the save
// checks again.
func (db *DB) categoryTaken(ctx context.Context, c *Category, errs map[string]string) error {
	if c.Name != "" && errs["name"] == "" {
		taken, err := categoryNameTaken(ctx, db.R, c)
		if err != nil {
			return err
		}
		if taken {
			errs["name"] = ErrCategoryNameTaken.Message
		}
	}
	if c.Slug != "" && errs["slug"] == "" {
		taken, err := slugTaken(ctx, db.R, "categories", c.Slug, c.ID)
		if err != nil {
			return err
		}
		if taken {
			errs["slug"] = ErrSlugTaken.Message
		}
	}
	return nil
}

func categorySlug(ctx context.Context, tx *Tx, c *Category) error {
	if c.Slug == "" {
		var err error
		c.Slug, err = freeSlug(ctx, tx, "categories", Slugify(c.Name), c.ID)
		return err
	}
	taken, err := slugTaken(ctx, tx, "categories", c.Slug, c.ID)
	if err == nil && taken {
		err = ErrSlugTaken
	}
	return err
}

// CreateCategory adds c at the end of the list.
func (db *DB) CreateCategory(ctx context.Context, c *Category) error {
	defer db.categories.forget()
	return db.Tx(ctx, func(tx *Tx) error {
		if err := checkCategoryNames(ctx, tx, c); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) + 1 FROM categories`).Scan(&c.Position); err != nil {
			return err
		}
		if err := insertCategory(ctx, tx, c); err != nil {
			return err
		}
		return keepOldSlug(ctx, tx, "category", c.ID, "", c.Slug)
	})
}

// UpdateCategory saves a category's name, slug and description.
func (db *DB) UpdateCategory(ctx context.Context, c *Category) error {
	defer db.categories.forget()
	return db.Tx(ctx, func(tx *Tx) error {
		if err := checkCategoryNames(ctx, tx, c); err != nil {
			return err
		}
		var old string
		err := tx.QueryRowContext(ctx, `SELECT slug FROM categories WHERE id = ?`, c.ID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(NotFound, "This category does not exist.")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE categories SET slug = ?, name = ?, description = ? WHERE id = ?`,
			c.Slug, c.Name, c.Description, c.ID); err != nil {
			return err
		}
		return keepOldSlug(ctx, tx, "category", c.ID, old, c.Slug)
	})
}

// DeleteCategory removes an empty category. One that still holds products is refused
// rather than emptied: its products would leave the shop's menu unnoticed.
func (db *DB) DeleteCategory(ctx context.Context, id int64) (Category, error) {
	defer db.categories.forget()
	var c Category
	err := db.Tx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, slug, name FROM categories WHERE id = ?`, id).Scan(&c.ID, &c.Slug, &c.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(NotFound, "This category does not exist.")
		}
		if err != nil {
			return err
		}
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM products WHERE category_id = ?`, id).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return Errorf(Conflict, "“%s” still holds %d %s: move %s to another category first, then delete it.",
				c.Name, held, plural(held, "product", "products"), plural(held, "it", "them"))
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM categories WHERE id = ?`, id)
		return err
	})
	return c, err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MoveCategory swaps a category with its neighbour above (up) or below, then numbers all
// positions 1…n, so ties left by older data cannot make a move do nothing.
func (db *DB) MoveCategory(ctx context.Context, id int64, up bool) error {
	defer db.categories.forget()
	return db.Tx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM categories ORDER BY position, name, id`)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var x int64
			if err := rows.Scan(&x); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		i := slices.Index(ids, id)
		if i < 0 {
			return Errorf(NotFound, "This category does not exist.")
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j >= 0 && j < len(ids) {
			ids[i], ids[j] = ids[j], ids[i]
		}
		for pos, x := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE categories SET position = ? WHERE id = ?`, pos+1, x); err != nil {
				return err
			}
		}
		return nil
	})
}

// productCounts is the number of products in each category.
func (db *DB) productCounts(ctx context.Context) (map[int64]int, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT category_id, count(*) FROM products WHERE category_id IS NOT NULL GROUP BY category_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

var categoryFieldOrder = []string{"name", "slug", "description"}

func (a *Admin) categories(c echo.Context) error {
	ctx := c.Request().Context()
	cats, err := a.DB.Categories(ctx)
	if err != nil {
		return err
	}
	counts, err := a.DB.productCounts(ctx)
	if err != nil {
		return err
	}
	v := templates.AdminCategoriesView{Admin: a.Chrome(c, "Categories", "categories")}
	for i, cat := range cats {
		v.Rows = append(v.Rows, templates.AdminCategoryRow{
			ID: cat.ID, Name: cat.Name, Slug: cat.Slug, Products: counts[cat.ID],
			EditURL: categoryAdminURL(cat.ID), ShopURL: "/categories/" + url.PathEscape(cat.Slug),
			First: i == 0, Last: i == len(cats)-1,
		})
	}
	return a.Site.Render(c, http.StatusOK, templates.AdminCategories(v))
}

func categoryAdminURL(id int64) string { return "/admin/categories/" + strconv.FormatInt(id, 10) }

func (a *Admin) categoryPage(c echo.Context, status int, id int64, heading string, f templates.AdminCategoryForm, errs map[string]string) error {
	v := templates.AdminCategoryView{
		Admin: a.Chrome(c, heading, "categories"), ID: id, Heading: heading, Action: "/admin/categories", Form: f,
		Errors: errs, Summary: summaryOf(errs, categoryFieldOrder),
	}
	if id != 0 {
		v.Action = categoryAdminURL(id)
	}
	return a.Site.Render(c, status, templates.AdminCategory(v))
}

func categoryFormOf(c echo.Context) (templates.AdminCategoryForm, Category, map[string]string) {
	f := templates.AdminCategoryForm{
		Name:        strings.TrimSpace(c.FormValue("name")),
		Slug:        strings.TrimSpace(c.FormValue("slug")), // as typed, for a form that comes back
		Description: strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
	}
	slug := strings.ToLower(f.Slug)
	errs := map[string]string{}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		errs["name"] = "Enter the category's name."
	case n > 80:
		errs["name"] = "The name must be at most 80 characters."
	}
	if slug != "" && !ValidSlug(slug) {
		errs["slug"] = "Use lower-case letters, digits and single dashes only, such as tea-and-coffee."
	}
	if utf8.RuneCountInString(f.Description) > 1000 {
		errs["description"] = "The description must be at most 1000 characters."
	}
	return f, Category{Name: f.Name, Slug: slug, Description: f.Description}, errs
}

func (a *Admin) newCategory(c echo.Context) error {
	return a.categoryPage(c, http.StatusOK, 0, "New category", templates.AdminCategoryForm{}, nil)
}

func (a *Admin) createCategory(c echo.Context) error {
	f, cat, errs := categoryFormOf(c)
	if err := a.DB.categoryTaken(c.Request().Context(), &cat, errs); err != nil {
		return err
	}
	if len(errs) == 0 {
		err := a.DB.CreateCategory(c.Request().Context(), &cat)
		if errors.Is(err, ErrSlugTaken) {
			errs["slug"] = ErrSlugTaken.Message
		} else if errors.Is(err, ErrCategoryNameTaken) {
			errs["name"] = ErrCategoryNameTaken.Message
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.categoryPage(c, http.StatusUnprocessableEntity, 0, "New category", f, errs)
	}
	return a.seeOther(c, "/admin/categories", fmt.Sprintf("Category “%s” created.", cat.Name))
}

func (a *Admin) editCategory(c echo.Context) error {
	cat, err := a.pathCategory(c)
	if err != nil {
		return err
	}
	f := templates.AdminCategoryForm{Name: cat.Name, Slug: cat.Slug, Description: cat.Description}
	return a.categoryPage(c, http.StatusOK, cat.ID, cat.Name, f, nil)
}

func (a *Admin) updateCategory(c echo.Context) error {
	old, err := a.pathCategory(c)
	if err != nil {
		return err
	}
	f, cat, errs := categoryFormOf(c)
	cat.ID = old.ID
	if err := a.DB.categoryTaken(c.Request().Context(), &cat, errs); err != nil {
		return err
	}
	if len(errs) == 0 {
		err := a.DB.UpdateCategory(c.Request().Context(), &cat)
		if errors.Is(err, ErrSlugTaken) {
			errs["slug"] = ErrSlugTaken.Message
		} else if errors.Is(err, ErrCategoryNameTaken) {
			errs["name"] = ErrCategoryNameTaken.Message
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.categoryPage(c, http.StatusUnprocessableEntity, old.ID, old.Name, f, errs)
	}
	return a.seeOther(c, "/admin/categories", "Changes saved.")
}

func (a *Admin) moveCategory(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	dir := c.FormValue("direction")
	if dir != "up" && dir != "down" {
		return Errorf(Invalid, "Choose to move the category up or down.")
	}
	if err := a.DB.MoveCategory(c.Request().Context(), id, dir == "up"); err != nil {
		return err
	}
	return a.seeOther(c, "/admin/categories", "")
}

func (a *Admin) deleteCategory(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		cat, err := a.DB.CategoryByID(c.Request().Context(), id)
		if err != nil {
			return err
		}
		// A category that holds products is refused at once, below: nothing to confirm.
		var held int
		if err := a.DB.R.QueryRowContext(c.Request().Context(), `SELECT count(*) FROM products WHERE category_id = ?`, id).Scan(&held); err != nil {
			return err
		}
		if held == 0 {
			return a.confirmDelete(c, "category", "categories", cat.Name, categoryRemoveRule, categoryAdminURL(id))
		}
	}
	cat, err := a.DB.DeleteCategory(c.Request().Context(), id)
	if ErrorCode(err) == Conflict { // it still holds products: back to it, saying so
		return a.seeOther(c, categoryAdminURL(id), ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return a.seeOther(c, "/admin/categories", fmt.Sprintf("Category “%s” deleted.", cat.Name))
}

func (a *Admin) pathCategory(c echo.Context) (Category, error) {
	id, err := pathID(c)
	if err != nil {
		return Category{}, err
	}
	return a.DB.CategoryByID(c.Request().Context(), id)
}
