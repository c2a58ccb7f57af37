package store

import (
	"context"
	"fmt"
	"time"
)

// The full-text index of the products' names and descriptions (products_fts) is kept
// merged into one b-tree. FTS5 writes the words of each statement that changes a
// product as a b-tree ("segment") of its own, and merges them only four at a time, while
// a search looks every word up in every segment. Seeded in one transaction, a catalogue
// of 100 products had ten segments, and each of a search's queries cost 76 µs; merged,
// 23 µs (measured with this driver). A catalogue a merchant types in product by product
// fares the same.
//
// A merge rewrites the whole index: 0.15 s for 100,000 products, about 0.4 ms per leaf
// page. So a small index is merged after every change of a product's texts, and every
// index when the shop starts and then every hour. In a large one, the few segments that
// changes add in an hour cost a search little next to its matches: at 100,000 products,
// 715 µs merged against 732 µs in nine segments for a word beginning.

// searchMergeStep bounds one merge step, in leaf pages written (about 4 KiB each): a
// step holds the writer, which orders wait for, some 10 to 15 ms.
const searchMergeStep = 32

// searchMergeOnChange is the largest index, in leaf pages, that a change merges at
// once: up to about 0.1 s of merging, at some 70,000 products.
const searchMergeOnChange = 256

// KeepSearchIndexMerged merges the full-text index now and every period, and a small
// one after each change of a product's texts (searchTextsChanged), until ctx ends. Each
// step is a write of its own, so other writes go on between steps. A failed merge is
// reported and tried again later: the index stays correct, only slower to search.
func (db *DB) KeepSearchIndexMerged(ctx context.Context, period time.Duration, report func(error)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	whole := true
	for {
		var err error
		if whole {
			err = db.MergeSearchIndex(ctx)
		} else {
			err = db.mergeSmallSearchIndex(ctx, searchMergeOnChange)
		}
		if err != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-db.searchChanged:
			whole = false
		case <-tick.C:
			whole = true
		}
	}
}

// MergeSearchIndex merges the full-text index into one segment, a step at a time.
func (db *DB) MergeSearchIndex(ctx context.Context) error {
	return db.mergeSearchIndex(ctx, searchMergeStep)
}

// mergeSmallSearchIndex merges the index if it has at most pages leaf pages (one row
// each in its products_fts_idx table).
func (db *DB) mergeSmallSearchIndex(ctx context.Context, pages int) error {
	var n int
	if err := db.ReadRow(ctx, `SELECT count(*) FROM products_fts_idx`).Scan(&n); err != nil {
		return fmt.Errorf("store: size the search index: %w", err)
	}
	if n > pages {
		return nil
	}
	return db.MergeSearchIndex(ctx)
}

func (db *DB) mergeSearchIndex(ctx context.Context, pages int) error {
	for {
		worked := false
		err := db.LightTx(ctx, func(tx *Tx) error {
			var err error
			worked, err = mergeSearchStep(ctx, tx, pages)
			return err
		})
		if err != nil || !worked {
			return err
		}
	}
}

// mergeSearchStep does up to pages of merge work and says whether there was any. A
// negative 'merge' first puts every segment on one level, so that it merges even two;
// FTS5 documents that a step which changed fewer than two rows found nothing to do.
func mergeSearchStep(ctx context.Context, tx *Tx, pages int) (bool, error) {
	var before, after int64
	if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO products_fts (products_fts, rank) VALUES ('merge', ?)`, -pages); err != nil {
		return false, fmt.Errorf("store: merge the search index: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
		return false, err
	}
	return after-before >= 2, nil
}

// searchTextsChanged wakes KeepSearchIndexMerged, if it runs, once tx commits.
func (tx *Tx) searchTextsChanged() {
	tx.AfterCommit(func() {
		select {
		case tx.db.searchChanged <- struct{}{}:
		default: // a merge is due already
		}
	})
}
