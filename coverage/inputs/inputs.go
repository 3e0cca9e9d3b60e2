// Package inputs reads the coverage engine's inputs from the files a planner has:
// division boundaries (GeoJSON or Shapefile), facilities (CSV or GeoJSON, the layout of
// `fangyuan import facilities`) and a population GeoTIFF. It sits above the engine, which
// takes in-memory inputs and knows no file format.
package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/importers/parse"
)

// Bad rows are not skipped: a coverage figure that silently lost a facility or a
// township would be wrong, so every problem is reported with file, line or feature,
// field and reason.

// UnitFileOptions control LoadUnits.
type UnitFileOptions struct {
	CodeField, NameField string // empty: detected as by the importers
	Encoding             string // utf-8, gbk or gb18030; empty: detected
}

// maxListed bounds how many rejected rows an error message lists.
const maxListed = 20

// LoadUnits reads division boundaries (what: "townships", "villages" or
// "counties", for messages) from a GeoJSON or Shapefile.
func LoadUnits(fsys fs.FS, path, what string, opts UnitFileOptions) ([]coverage.Unit, error) {
	res, err := parse.ReadBoundaries(fsys, path, parse.BoundaryOptions{CodeField: opts.CodeField, NameField: opts.NameField, Encoding: opts.Encoding})
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) && pe.Field != "" && opts.CodeField == "" && strings.Contains(pe.Reason, "code") {
			return nil, fmt.Errorf("%w: %s: %v (name the code property with --code-field)", coverage.ErrBadUnit, what, err)
		}
		return nil, fmt.Errorf("%w: %s: %v", coverage.ErrBadUnit, what, err)
	}
	if len(res.Rejects) > 0 {
		return nil, rejectsError(coverage.ErrBadUnit, what, path, len(res.Rejects)+len(res.Features), res.Rejects)
	}
	if len(res.Features) == 0 {
		return nil, fmt.Errorf("%w: %s: %s holds no features", coverage.ErrBadUnit, what, path)
	}
	units := make([]coverage.Unit, len(res.Features))
	for i, f := range res.Features {
		units[i] = coverage.Unit{Code: f.Code, Name: f.Name, Geometry: f.Geometry}
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
func LoadFacilities(fsys fs.FS, path string, opts FacilityFileOptions) ([]coverage.Facility, error) {
	res, err := parse.ReadFacilities(fsys, path, parse.FacilityOptions{CRS: opts.CRS, Encoding: opts.Encoding})
	if err != nil {
		return nil, fmt.Errorf("%w: facilities: %v", coverage.ErrBadFacility, err)
	}
	if len(res.Rejects) > 0 {
		return nil, rejectsError(coverage.ErrBadFacility, "facilities", path, len(res.Rejects)+len(res.Rows), res.Rejects)
	}
	out := make([]coverage.Facility, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = coverage.Facility{
			ID: r.ID, Name: r.Name, Location: orb.Point{r.Lon, r.Lat}, Status: r.Status,
			Beds: r.Beds, NursingBeds: r.NursingBeds, DementiaBeds: r.DementiaBeds,
			Source: fmt.Sprintf("%s:%d", path, r.Line),
		}
	}
	return out, nil
}

// LoadPopulation reads a population GeoTIFF (EPSG:4326/4490) and names its bands
// (NameBands).
func LoadPopulation(path string, names []coverage.BandName) (*geo.Grid, error) {
	g, err := geotiff.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	if err := coverage.NameBands(g, names); err != nil {
		return nil, fmt.Errorf("population %s: %w", path, err)
	}
	return g, nil
}
