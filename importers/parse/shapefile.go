package parse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	shapefile "github.com/twpayne/go-shapefile"

	"fangyuan/geo"
)

// readShapefile reads an ESRI Shapefile: geometry from the .shp (records
// located through the .shx, decoded by go-shapefile), attributes from the
// .dbf (read here, so that GBK text is decoded right), encoding from the
// option, the .cpg, the .dbf language driver byte or detection, and the
// coordinate system from the .prj.
func readShapefile(fsys fs.FS, name, opt string) (*featureSet, error) {
	s := &featureSet{Source: Source{Path: name, Format: FormatShapefile}}
	sib, err := siblings(fsys, name)
	if err != nil {
		return nil, err
	}
	shpData, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, ext := range []string{".shx", ".dbf"} {
		if sib[ext] == "" {
			return nil, &Error{File: name, Reason: fmt.Sprintf("missing %s beside it (a Shapefile needs .shp, .shx and .dbf)", ext)}
		}
	}
	if p := sib[".prj"]; p != "" {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			crs, err := checkPRJ(string(b))
			if err != nil {
				return nil, &Error{File: p, Reason: err.Error() + "; reproject it first: " + reprojectFix(name)}
			}
			s.CRS = crs
		}
	}

	// Geometry.
	shxName := sib[".shx"]
	shxData, err := fs.ReadFile(fsys, shxName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shxName, err)
	}
	shx, err := shapefile.ReadSHX(bytes.NewReader(shxData), int64(len(shxData)))
	if err != nil {
		return nil, &Error{File: shxName, Reason: "invalid .shx: " + err.Error()}
	}
	if len(shpData) < 100 || binary.BigEndian.Uint32(shpData) != 9994 {
		return nil, &Error{File: name, Reason: "not an ESRI Shapefile (bad header)"}
	}

	// Attributes.
	dbfName := sib[".dbf"]
	dbfData, err := fs.ReadFile(fsys, dbfName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dbfName, err)
	}
	tab, err := parseDBF(dbfName, dbfData)
	if err != nil {
		return nil, err
	}
	if len(tab.records) != len(shx.Records) {
		return nil, &Error{File: dbfName, Reason: fmt.Sprintf("%d records, but %s has %d", len(tab.records), path.Base(shxName), len(shx.Records))}
	}
	enc, from, err := dbfEncoding(fsys, tab, opt, sib[".cpg"])
	if err != nil {
		return nil, err
	}
	s.Encoding, s.EncodingFrom = enc, from
	fields, err := tab.fieldNames(enc)
	if err != nil {
		return nil, err
	}
	s.Fields = fields

	for i, rec := range shx.Records {
		if tab.records[i] == nil {
			continue // deleted record
		}
		f := feature{index: i + 1}
		vals, err := tab.values(i, enc)
		if err != nil {
			return nil, err
		}
		for j, v := range vals {
			f.props = append(f.props, prop{fields[j], v})
		}
		end := rec.Offset + 8 + rec.ContentLength
		if rec.Offset < 100 || end > len(shpData) {
			f.geomErr = fmt.Sprintf("record %d lies outside the .shp (truncated file?)", i+1)
		} else {
			r, err := shapefile.ReadSHPRecord(bytes.NewReader(shpData[rec.Offset:end]), nil)
			switch {
			case err != nil:
				f.geomErr = err.Error()
			case r.Number != i+1:
				f.geomErr = fmt.Sprintf(".shp record number %d where .shx says %d", r.Number, i+1)
			case r.ShapeType != shapefile.ShapeTypeNull:
				f.geom, err = geo.FromGeom(r.Geom)
				if err != nil {
					f.geomErr = err.Error()
				}
			}
		}
		s.features = append(s.features, f)
		s.fieldsAt = append(s.fieldsAt, len(fields))
	}
	return s, nil
}

// siblings finds the companion files of a .shp, matching the extension
// case-insensitively (x.shp, x.SHX, x.Dbf ...).
func siblings(fsys fs.FS, name string) (map[string]string, error) {
	dir := path.Dir(name)
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := map[string]string{}
	found := false
	for _, e := range entries {
		n := e.Name()
		ext := path.Ext(n)
		if strings.TrimSuffix(n, ext) != base {
			continue
		}
		out[strings.ToLower(ext)] = path.Join(dir, n)
		if n == path.Base(name) {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return out, nil
}

var (
	wktHead = regexp.MustCompile(`^\s*([A-Za-z_]+)\s*\[\s*"([^"]*)"`)
	wktWGS  = regexp.MustCompile(`(?i)WGS[ _]?(19)?84`)
	wktCGCS = regexp.MustCompile(`(?i)CGCS[ _]?2000|China[ _]2000|China[ _]Geodetic[ _]Coordinate[ _]System[ _]2000`)
)

// checkPRJ accepts the WKT of a geographic WGS84 or CGCS2000 system and
// returns its EPSG name.
func checkPRJ(wkt string) (string, error) {
	m := wktHead.FindStringSubmatch(wkt)
	if m == nil {
		return "", fmt.Errorf("unrecognised .prj (want the WKT of a geographic WGS84 or CGCS2000 system)")
	}
	kind, label := strings.ToUpper(m[1]), m[2]
	up := strings.ToUpper(wkt)
	switch {
	case kind == "PROJCS" || kind == "PROJCRS" || kind == "PROJECTEDCRS" || strings.Contains(up, "PROJCS[") || strings.Contains(up, "PROJCRS["):
		return "", fmt.Errorf("projected coordinate system %q (metres); want geographic WGS84 or CGCS2000 longitude/latitude", label)
	case kind != "GEOGCS" && kind != "GEOGCRS" && kind != "GEODCRS" && kind != "GEOGRAPHICCRS":
		return "", fmt.Errorf("coordinate system %s[%q] is not geographic WGS84 or CGCS2000", kind, label)
	case wktCGCS.MatchString(wkt):
		return "EPSG:4490", nil
	case wktWGS.MatchString(wkt):
		return "EPSG:4326", nil
	}
	return "", fmt.Errorf("geographic coordinate system %q is neither WGS84 nor CGCS2000 (Beijing 1954 or Xian 1980 need a datum shift)", label)
}

// dbfTable is a .dbf file split into raw fields; text is decoded later, when
// the encoding is known.
type dbfTable struct {
	name    string
	ldid    byte
	fields  []dbfField
	records [][][]byte // nil: deleted
}

type dbfField struct {
	rawName  []byte
	typ      byte
	length   int
	decimals int
}

// parseDBF splits a dBase III table (the .dbf of a Shapefile).
func parseDBF(name string, data []byte) (*dbfTable, error) {
	bad := func(format string, args ...any) error {
		return &Error{File: name, Reason: "invalid .dbf: " + fmt.Sprintf(format, args...)}
	}
	if len(data) < 32 {
		return nil, bad("file too short")
	}
	t := &dbfTable{name: name, ldid: data[29]}
	nrec := int(binary.LittleEndian.Uint32(data[4:8]))
	headerLen := int(binary.LittleEndian.Uint16(data[8:10]))
	recLen := int(binary.LittleEndian.Uint16(data[10:12]))
	if headerLen > len(data) || headerLen < 33 {
		return nil, bad("header length %d", headerLen)
	}
	total := 1
	for off := 32; off+32 <= headerLen && data[off] != 0x0d; off += 32 {
		d := data[off : off+32]
		f := dbfField{rawName: bytes.TrimRight(d[:11], "\x00 "), typ: d[11], length: int(d[16]), decimals: int(d[17])}
		if i := bytes.IndexByte(f.rawName, 0); i >= 0 {
			f.rawName = f.rawName[:i]
		}
		if f.typ != 'N' && f.typ != 'F' {
			// Character fields longer than 255 keep the high byte here.
			f.length += 256 * f.decimals
			f.decimals = 0
		}
		total += f.length
		t.fields = append(t.fields, f)
	}
	if total != recLen {
		return nil, bad("fields add up to %d bytes, records are %d", total, recLen)
	}
	if headerLen+nrec*recLen > len(data) {
		return nil, bad("%d records of %d bytes do not fit in the file (truncated?)", nrec, recLen)
	}
	t.records = make([][][]byte, nrec)
	for i := range nrec {
		r := data[headerLen+i*recLen : headerLen+(i+1)*recLen]
		if r[0] == '*' {
			continue
		}
		vals := make([][]byte, len(t.fields))
		off := 1
		for j, f := range t.fields {
			vals[j] = r[off : off+f.length]
			off += f.length
		}
		t.records[i] = vals
	}
	return t, nil
}

// dbfEncoding picks the text encoding of the .dbf: the option, else the
// .cpg, else the language driver byte (0x4D, 0x7A: GBK/CP936), else the one
// that decodes every text value (UTF-8, GBK, GB18030 in that order).
func dbfEncoding(fsys fs.FS, t *dbfTable, opt, cpgName string) (enc, from string, err error) {
	if enc, _ = NormalizeEncoding(opt); enc != "" {
		return enc, "option", t.check(enc, fmt.Sprintf("(encoding option %q)", opt))
	}
	if cpgName != "" {
		b, err := fs.ReadFile(fsys, cpgName)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", cpgName, err)
		}
		label := strings.TrimSpace(string(b))
		if label != "" {
			enc, err := cpgEncoding(label)
			if err != nil {
				return "", "", &Error{File: cpgName, Reason: err.Error()}
			}
			return enc, ".cpg", t.check(enc, fmt.Sprintf("(declared by %s: %q); fix the .cpg, or set the encoding option", path.Base(cpgName), label))
		}
	}
	if t.ldid == 0x4d || t.ldid == 0x7a {
		return EncodingGBK, "dbf language driver",
			t.check(EncodingGBK, fmt.Sprintf("(language driver byte 0x%02X says GBK); add a .cpg naming the real encoding, or set the encoding option", t.ldid))
	}
	var last error
	for _, enc := range []string{EncodingUTF8, EncodingGBK, EncodingGB18030} {
		if last = t.check(enc, ""); last == nil {
			return enc, "detected", nil
		}
	}
	var e *Error
	if errors.As(last, &e) {
		e.Reason = fmt.Sprintf("text is neither UTF-8 nor GBK/GB18030; name the encoding in a .cpg file, or convert: ogr2ogr -lco ENCODING=UTF-8 out.shp %s --config SHAPE_ENCODING <encoding>",
			shellQuote(strings.TrimSuffix(path.Base(t.name), path.Ext(t.name))+".shp"))
	}
	return "", "", last
}

// cpgEncoding maps the content of a .cpg file to an encoding.
func cpgEncoding(label string) (string, error) {
	l := strings.ToUpper(strings.TrimSpace(label))
	l = strings.TrimPrefix(l, "ANSI ")
	l = strings.TrimPrefix(l, "WINDOWS-")
	l = strings.TrimPrefix(l, "CP")
	switch l {
	case "UTF-8", "UTF8", "65001":
		return EncodingUTF8, nil
	case "GBK", "936", "GB2312", "EUC-CN":
		return EncodingGBK, nil
	case "GB18030", "54936":
		return EncodingGB18030, nil
	}
	return "", fmt.Errorf("unsupported encoding %q (supported: UTF-8, GBK/CP936/936, GB18030); set the encoding option, or convert: ogr2ogr -lco ENCODING=UTF-8 out.shp in.shp", label)
}

// check reports the first text value (or field name) that is not valid in
// enc.
func (t *dbfTable) check(enc, why string) error {
	fail := func(rec int, field string) error {
		return &Error{File: t.name, Feature: rec, Field: field, Reason: fmt.Sprintf("not valid %s text %s", strings.ToUpper(enc), why)}
	}
	for _, f := range t.fields {
		if _, ok := decodeBytes(enc, f.rawName); !ok {
			return fail(0, fmt.Sprintf("field name %q", f.rawName))
		}
	}
	for i, r := range t.records {
		for j, v := range r {
			if t.fields[j].typ == 'N' || t.fields[j].typ == 'F' || t.fields[j].typ == 'D' || t.fields[j].typ == 'L' {
				continue
			}
			if _, ok := decodeBytes(enc, bytes.TrimRight(v, " \x00")); !ok {
				n, _ := decodeBytes(enc, t.fields[j].rawName)
				return fail(i+1, n)
			}
		}
	}
	return nil
}

func (t *dbfTable) fieldNames(enc string) ([]string, error) {
	names := make([]string, len(t.fields))
	seen := map[string]bool{}
	for i, f := range t.fields {
		names[i], _ = decodeBytes(enc, f.rawName)
		if seen[names[i]] {
			return nil, &Error{File: t.name, Field: names[i], Reason: "duplicate field name"}
		}
		seen[names[i]] = true
	}
	return names, nil
}

// values decodes record i: text trimmed of its padding, numbers as written
// (integers) or in shortest form (decimals), logicals as true/false, dates
// as YYYY-MM-DD, and empty or unset values as "".
func (t *dbfTable) values(i int, enc string) ([]string, error) {
	out := make([]string, len(t.fields))
	for j, v := range t.records[i] {
		f := t.fields[j]
		switch f.typ {
		case 'N', 'F':
			s := strings.TrimSpace(string(v))
			if strings.Trim(s, "*") == "" {
				s = ""
			} else if f.decimals > 0 || f.typ == 'F' {
				if x, err := strconv.ParseFloat(s, 64); err == nil {
					s = strconv.FormatFloat(x, 'f', -1, 64)
				}
			}
			out[j] = s
		case 'L':
			switch strings.TrimSpace(string(v)) {
			case "T", "t", "Y", "y":
				out[j] = "true"
			case "F", "f", "N", "n":
				out[j] = "false"
			}
		case 'D':
			s := strings.TrimSpace(string(v))
			if len(s) == 8 && isDigits(s) && s != "00000000" {
				s = s[:4] + "-" + s[4:6] + "-" + s[6:]
			} else if !isDigits(s) || s == "00000000" {
				s = ""
			}
			out[j] = s
		default:
			s, ok := decodeBytes(enc, bytes.TrimRight(v, " \x00"))
			if !ok {
				return nil, &Error{File: t.name, Feature: i + 1, Field: f.name(enc), Reason: "not valid " + strings.ToUpper(enc) + " text"}
			}
			out[j] = s
		}
	}
	return out, nil
}

func (f dbfField) name(enc string) string {
	n, _ := decodeBytes(enc, f.rawName)
	return n
}
