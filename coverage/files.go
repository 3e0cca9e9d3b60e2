package coverage

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/importers/parse"
)

// This file reads engine inputs from the files a planner has: boundaries
// (GeoJSON or Shapefile), facilities (CSV or GeoJSON, the layout of
// `fangyuan import facilities`) and a population GeoTIFF. Bad rows are not
// skipped: a coverage figure that silently lost a facility or a township would
// be wrong, so every problem is reported with file, line or feature, field and
// reason.

// UnitFileOptions control LoadUnits.
type UnitFileOptions struct {
	CodeField, NameField string // empty: detected as by the importers
	Encoding             string // utf-8, gbk or gb18030; empty: detected
}

// maxListed bounds how many rejected rows an error message lists.
const maxListed = 20

// LoadUnits reads division boundaries (what: "townships", "villages" or
// "counties", for messages) from a GeoJSON or Shapefile.
func LoadUnits(fsys fs.FS, path, what string, opts UnitFileOptions) ([]Unit, error) {
	res, err := parse.ReadBoundaries(fsys, path, parse.BoundaryOptions{CodeField: opts.CodeField, NameField: opts.NameField, Encoding: opts.Encoding})
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) && pe.Field != "" && opts.CodeField == "" && strings.Contains(pe.Reason, "code") {
			return nil, fmt.Errorf("%w: %s: %v (name the code property with --code-field)", ErrBadUnit, what, err)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrBadUnit, what, err)
	}
	if len(res.Rejects) > 0 {
		return nil, rejectsError(ErrBadUnit, what, path, len(res.Rejects)+len(res.Features), res.Rejects)
	}
	if len(res.Features) == 0 {
		return nil, fmt.Errorf("%w: %s: %s holds no features", ErrBadUnit, what, path)
	}
	units := make([]Unit, len(res.Features))
	for i, f := range res.Features {
		units[i] = Unit{Code: f.Code, Name: f.Name, Geometry: f.Geometry}
	}
	return units, nil
}

func rejectsError(sentinel error, what, path string, total int, rejects []parse.Reject) error {
	var b strings.Builder
	for i, r := range rejects {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(rejects)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(r.Err.Error())
	}
	return fmt.Errorf("%w: %s: %d of %d rows of %s are invalid; fix them (nothing was computed):%s", sentinel, what, len(rejects), total, path, b.String())
}

// FacilityFileOptions control LoadFacilities.
type FacilityFileOptions struct {
	CRS      geo.CRS // coordinates of the file (converted to WGS84)
	Encoding string
}

// LoadFacilities reads facilities from a CSV (id, name, lon, lat, optional
// address, beds, nursing_beds, dementia_beds, status) or GeoJSON file, the
// layout of `fangyuan import facilities`.
func LoadFacilities(fsys fs.FS, path string, opts FacilityFileOptions) ([]Facility, error) {
	res, err := parse.ReadFacilities(fsys, path, parse.FacilityOptions{CRS: opts.CRS, Encoding: opts.Encoding})
	if err != nil {
		return nil, fmt.Errorf("%w: facilities: %v", ErrBadFacility, err)
	}
	if len(res.Rejects) > 0 {
		return nil, rejectsError(ErrBadFacility, "facilities", path, len(res.Rejects)+len(res.Rows), res.Rejects)
	}
	out := make([]Facility, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = Facility{
			ID: r.ID, Name: r.Name, Location: orb.Point{r.Lon, r.Lat}, Status: r.Status,
			Beds: r.Beds, NursingBeds: r.NursingBeds, DementiaBeds: r.DementiaBeds,
			Source: fmt.Sprintf("%s:%d", path, r.Line),
		}
	}
	return out, nil
}

// BandName names band Index (1-based) of a population file.
type BandName struct {
	Name  string
	Index int
}

// ParseBandName parses "age60plus=2".
func ParseBandName(s string) (BandName, error) {
	name, idx, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	n, err := strconv.Atoi(strings.TrimSpace(idx))
	if !ok || err != nil || n < 1 || !identRE.MatchString(name) {
		return BandName{}, fmt.Errorf("band %q: want NAME=N with a layer name like age60plus and a band number from 1", s)
	}
	return BandName{Name: name, Index: n}, nil
}

// NameBands names the bands of g: first as the file says (GDAL band
// descriptions), a single unnamed band is "total" (the convention of `fangyuan
// import population`), then each BandName renames its band; another band that
// had the same name falls back to bandN.
func NameBands(g *geo.Grid, names []BandName) error {
	if len(g.Bands) == 1 && g.Bands[0].Name == "band1" {
		g.Bands[0].Name = "total"
	}
	seen := map[int]string{}
	for _, bn := range names {
		if bn.Index > len(g.Bands) {
			return fmt.Errorf("%w: --band %s=%d: the file has %d band(s)", ErrNoLayer, bn.Name, bn.Index, len(g.Bands))
		}
		if prev, dup := seen[bn.Index]; dup && prev != bn.Name {
			return fmt.Errorf("%w: band %d is named both %s and %s", ErrNoLayer, bn.Index, prev, bn.Name)
		}
		seen[bn.Index] = bn.Name
	}
	for _, bn := range names {
		for i := range g.Bands {
			if i != bn.Index-1 && g.Bands[i].Name == bn.Name {
				if other, named := seen[i+1]; named && other == bn.Name {
					return fmt.Errorf("%w: bands %d and %d are both named %s", ErrNoLayer, i+1, bn.Index, bn.Name)
				}
				g.Bands[i].Name = "band" + strconv.Itoa(i+1)
			}
		}
		g.Bands[bn.Index-1].Name = bn.Name
	}
	return g.Validate()
}

// LoadPopulation reads a population GeoTIFF (EPSG:4326/4490) and names its bands
// (NameBands).
func LoadPopulation(path string, names []BandName) (*geo.Grid, error) {
	g, err := geotiff.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	if err := NameBands(g, names); err != nil {
		return nil, fmt.Errorf("population %s: %w", path, err)
	}
	return g, nil
}
