package store

import (
	"context"
	"fmt"
)

// The full-text index of the products' names and descriptions (products_fts) is kept
// merged into one b-tree. FTS5 writes the words of each statement that changes a
// product as a b-tree ("segment") of its own, and merges them only four at a time, while
// a search looks every word up in every segment. Seeded in one transaction, a catalogue
// of 100 products had ten segments, and each of a search's queries cost 76 µs; merged,
// 23 µs (measured with this driver). A catalogue a merchant types in product by product
// fares the same. Merging a catalogue of 100,000 products took 0.15 s.

// searchMergeStep bounds one merge step, in leaf pages written (about 4 KiB each): a
// step holds the writer, which orders wait for, about 15 ms at 100,000 products.
const searchMergeStep = 32

// KeepSearchIndexMerged merges the full-text index now, and again after each change
// of a product's texts (searchTextsChanged), until ctx ends. Each step is a transaction
// of its own, so writes go on between steps. A failed merge is reported and tried again
// at the next change: the index stays correct, only slower to search.
func (db *DB) KeepSearchIndexMerged(ctx context.Context, report func(error)) {
	for {
		if err := db.MergeSearchIndex(ctx); err != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-db.searchChanged:
		}
	}
}

// MergeSearchIndex merges the full-text index into one segment, a step at a time.
func (db *DB) MergeSearchIndex(ctx context.Context) error {
	return db.mergeSearchIndex(ctx, searchMergeStep)
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
// negative 'merge' merges segments of every level, down to two; FTS5 documents that a
// step which changed fewer than two rows found nothing to do.
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
