package geotiff

import (
	"fmt"
	"math"
	"strings"
)

// GeoKey ids (GeoTIFF 1.1, OGC 19-008r4).
const (
	keyGTModelType          = 1024
	keyGTRasterType         = 1025
	keyGTCitation           = 1026
	keyGeographicType       = 2048
	keyGeogCitation         = 2049
	keyGeogGeodeticDatum    = 2050
	keyGeogPrimeMeridian    = 2051
	keyGeogAngularUnits     = 2054
	keyGeogEllipsoid        = 2056
	keyGeogSemiMajorAxis    = 2057
	keyGeogInvFlattening    = 2059
	keyGeogPrimeMeridianLon = 2061
	keyProjectedCSType      = 3072
	keyPCSCitation          = 3073
	keyProjection           = 3074
	keyProjCoordTrans       = 3075

	modelProjected  = 1
	modelGeographic = 2
	modelGeocentric = 3
	rasterPixelArea = 1
	rasterPixelPt   = 2
	userDefined     = 32767
	angularDegree   = 9102
	datumWGS84      = 6326
	datumCGCS2000   = 1043
	ellipsoidWGS84  = 7030
	ellipsoidGRS80  = 7019
	ellipsoidCGCS   = 1024
	pmGreenwich     = 8901
)

// reprojectHint is appended to every error about a CRS this package does not
// take.
const reprojectHint = "reproject first: gdalwarp -t_srs EPSG:4326 in.tif out.tif"

// geoKeys holds the parsed GeoKeyDirectory: short values and strings.
type geoKeys struct {
	shorts  map[uint16]uint16
	doubles map[uint16][]float64
	strs    map[uint16]string
}

func parseGeoKeys(d *ifd) (*geoKeys, error) {
	dir, ok, err := d.uints(tagGeoKeyDirectory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	if len(dir) < 4 {
		return nil, formatErr("GeoKeyDirectory has %d values, want at least 4", len(dir))
	}
	if dir[0] != 1 {
		return nil, formatErr("GeoKeyDirectory version %d, want 1", dir[0])
	}
	n := int(dir[3])
	if len(dir) < 4+4*n {
		return nil, formatErr("GeoKeyDirectory declares %d keys but holds %d", n, (len(dir)-4)/4)
	}
	doubles, _, err := d.floats(tagGeoDoubleParams)
	if err != nil {
		return nil, err
	}
	ascii, _ := d.ascii(tagGeoASCIIParams)
	k := &geoKeys{shorts: map[uint16]uint16{}, doubles: map[uint16][]float64{}, strs: map[uint16]string{}}
	for i := 0; i < n; i++ {
		e := dir[4+4*i : 8+4*i]
		id, loc, count, val := uint16(e[0]), e[1], e[2], e[3]
		switch loc {
		case 0:
			k.shorts[id] = uint16(val)
		case tagGeoDoubleParams:
			if val+count > uint64(len(doubles)) {
				return nil, formatErr("GeoKey %d points past GeoDoubleParams", id)
			}
			k.doubles[id] = doubles[val : val+count]
		case tagGeoASCIIParams:
			if val+count > uint64(len(ascii)) {
				return nil, formatErr("GeoKey %d points past GeoAsciiParams", id)
			}
			s := ascii[val : val+count]
			k.strs[id] = strings.TrimRight(s, "|\x00")
		default:
			// keys stored in other tags are not needed here
		}
	}
	return k, nil
}

func (k *geoKeys) short(id uint16) (uint16, bool) {
	v, ok := k.shorts[id]
	return v, ok
}

// describe names the CRS for error messages: its EPSG code and citation.
func (k *geoKeys) describe(projected bool) string {
	var parts []string
	codeKey, citations := uint16(keyGeographicType), []uint16{keyGeogCitation, keyGTCitation}
	if projected {
		codeKey, citations = keyProjectedCSType, []uint16{keyGTCitation, keyPCSCitation}
	}
	if v, ok := k.short(codeKey); ok && v != userDefined {
		parts = append(parts, fmt.Sprintf("EPSG:%d", v))
	}
	for _, id := range citations {
		if s := citationName(k.strs[id]); s != "" {
			parts = append(parts, fmt.Sprintf("%q", s))
			break
		}
	}
	if len(parts) == 0 {
		return "(user-defined)"
	}
	return strings.Join(parts, " ")
}

// citationName shortens a citation to a name: the part before the first
// "|", or the PROJCS/GEOGCS name of an ESRI PE string.
func citationName(s string) string {
	if i := strings.Index(s, "PE String = "); i >= 0 {
		s = s[i+len("PE String = "):]
		if j := strings.Index(s, `["`); j >= 0 {
			s = s[j+2:]
			if e := strings.Index(s, `"`); e >= 0 {
				return s[:e]
			}
		}
	}
	if i := strings.IndexAny(s, "|\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.TrimSpace(s)
}

// checkCRS accepts EPSG:4326, EPSG:4490 and user-defined geographic CRSs on
// the WGS84 / CGCS2000 datum (or ellipsoid, or with a WGS 84 citation), in
// degrees with the Greenwich meridian. It returns the raster type.
func checkCRS(k *geoKeys) (rasterType uint16, err error) {
	if k == nil {
		return 0, unsupported("no GeoKeyDirectory: the file has no coordinate system; assign one with gdal_translate -a_srs EPSG:4326 in.tif out.tif (if it is WGS84 lon/lat) or %s", reprojectHint)
	}
	rasterType = rasterPixelArea
	if v, ok := k.short(keyGTRasterType); ok {
		rasterType = v
	}
	if rasterType != rasterPixelArea && rasterType != rasterPixelPt {
		return 0, formatErr("GTRasterTypeGeoKey is %d, want 1 (PixelIsArea) or 2 (PixelIsPoint)", rasterType)
	}
	model, hasModel := k.short(keyGTModelType)
	// Projected-CRS keys are 3072–4095. GDAL writes e.g. ESRI:54009
	// (GHS-POP's Mollweide) as a user-defined model with only a PCS citation
	// and linear units; a file that says it is geographic may still carry a
	// stray ProjLinearUnits key, so only defining keys count there.
	hasKey := func(id uint16) bool {
		_, a := k.shorts[id]
		_, b := k.doubles[id]
		_, c := k.strs[id]
		return a || b || c
	}
	hasProjKeys := hasKey(keyProjectedCSType) || hasKey(keyProjection) || hasKey(keyProjCoordTrans) || hasKey(keyPCSCitation)
	if model != modelGeographic {
		for id := uint16(3072); id < 4096 && !hasProjKeys; id++ {
			hasProjKeys = hasKey(id)
		}
	}
	if model == modelProjected || hasProjKeys {
		return 0, unsupported("projected coordinate system %s: population grids must be EPSG:4326 lon/lat; %s", k.describe(true), reprojectHint)
	}
	if model == modelGeocentric {
		return 0, unsupported("geocentric coordinate system %s; %s", k.describe(false), reprojectHint)
	}
	if hasModel && model != modelGeographic && model != userDefined {
		return 0, unsupported("GTModelTypeGeoKey %d; %s", model, reprojectHint)
	}
	gcs, hasGCS := k.short(keyGeographicType)
	switch {
	case gcs == 4326 || gcs == 4490:
		// WGS 84, CGCS2000 (treated as equal)
	case !hasGCS || gcs == userDefined:
		if !k.wgs84Like() {
			return 0, unsupported("geographic coordinate system %s is not WGS84 or CGCS2000; %s", k.describe(false), reprojectHint)
		}
	default:
		return 0, unsupported("geographic coordinate system EPSG:%d%s is not WGS84 (EPSG:4326) or CGCS2000 (EPSG:4490); %s",
			gcs, citationSuffix(k), reprojectHint)
	}
	if u, ok := k.short(keyGeogAngularUnits); ok && u != angularDegree {
		return 0, unsupported("angular unit %d is not degrees (9102); %s", u, reprojectHint)
	}
	if pm, ok := k.short(keyGeogPrimeMeridian); ok && pm != pmGreenwich && pm != userDefined {
		return 0, unsupported("prime meridian %d is not Greenwich; %s", pm, reprojectHint)
	}
	if pl := k.doubles[keyGeogPrimeMeridianLon]; len(pl) > 0 && pl[0] != 0 {
		return 0, unsupported("prime meridian at longitude %v is not Greenwich; %s", pl[0], reprojectHint)
	}
	return rasterType, nil
}

func citationSuffix(k *geoKeys) string {
	for _, id := range []uint16{keyGeogCitation, keyGTCitation} {
		if s := k.strs[id]; s != "" {
			return fmt.Sprintf(" (%q)", s)
		}
	}
	return ""
}

// wgs84Like recognises a user-defined geographic CRS on the WGS84 or
// CGCS2000 datum: by datum code, by ellipsoid code or parameters, or by its
// citation.
func (k *geoKeys) wgs84Like() bool {
	if d, ok := k.short(keyGeogGeodeticDatum); ok && d != userDefined {
		return d == datumWGS84 || d == datumCGCS2000
	}
	if e, ok := k.short(keyGeogEllipsoid); ok && e != userDefined {
		return e == ellipsoidWGS84 || e == ellipsoidGRS80 || e == ellipsoidCGCS
	}
	if a, f := k.doubles[keyGeogSemiMajorAxis], k.doubles[keyGeogInvFlattening]; len(a) > 0 && len(f) > 0 {
		return a[0] == 6378137 && math.Abs(f[0]-298.257) < 0.001
	}
	for _, id := range []uint16{keyGeogCitation, keyGTCitation} {
		c := strings.ToUpper(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(k.strs[id]))
		if strings.Contains(c, "WGS84") || strings.Contains(c, "WGS1984") || strings.Contains(c, "CGCS2000") ||
			strings.Contains(c, "CHINAGEODETICCOORDINATESYSTEM2000") {
			return true
		}
	}
	return false
}

// transform is a north-up geotransform: the top-left corner of the top-left
// pixel and positive pixel sizes.
type transform struct {
	west, north, dx, dy float64
}

// readTransform derives the grid's corner and cell size from
// ModelPixelScale + ModelTiepoint or ModelTransformation, applying the
// half-cell shift of PixelIsPoint (as GDAL does).
func readTransform(d *ifd, rasterType uint16) (transform, error) {
	var t transform
	scale, hasScale, err := d.floats(tagModelPixelScale)
	if err != nil {
		return t, err
	}
	tie, hasTie, err := d.floats(tagModelTiepoint)
	if err != nil {
		return t, err
	}
	mt, hasMT, err := d.floats(tagModelTransformation)
	if err != nil {
		return t, err
	}
	switch {
	case hasMT:
		if len(mt) < 16 {
			return t, formatErr("ModelTransformation has %d values, want 16", len(mt))
		}
		if mt[1] != 0 || mt[4] != 0 {
			return t, unsupported("rotated or sheared grid (ModelTransformation terms %g, %g): make it north-up with gdalwarp -t_srs EPSG:4326 in.tif out.tif", mt[1], mt[4])
		}
		t = transform{west: mt[3], north: mt[7], dx: mt[0], dy: -mt[5]}
	case hasScale && hasTie:
		if len(scale) < 2 {
			return t, formatErr("ModelPixelScale has %d values, want 3", len(scale))
		}
		if len(tie) < 6 {
			return t, formatErr("ModelTiepoint has %d values, want 6", len(tie))
		}
		t = transform{dx: scale[0], dy: scale[1]}
		t.west = tie[3] - tie[0]*t.dx
		t.north = tie[4] + tie[1]*t.dy
	case hasTie && len(tie) > 6:
		return t, unsupported("grid is georeferenced by %d ground control points, not a geotransform: warp it with gdalwarp -t_srs EPSG:4326 in.tif out.tif", len(tie)/6)
	default:
		return t, unsupported("the file is not georeferenced (no ModelPixelScale/ModelTiepoint or ModelTransformation): assign the extent with gdal_translate -a_srs EPSG:4326 -a_ullr west north east south in.tif out.tif")
	}
	for _, v := range []float64{t.west, t.north, t.dx, t.dy} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return t, formatErr("geotransform has a non-finite value (%v, %v, %v, %v)", t.west, t.north, t.dx, t.dy)
		}
	}
	if t.dx == 0 || t.dy == 0 {
		return t, formatErr("pixel size %g × %g has a zero", t.dx, t.dy)
	}
	if t.dx < 0 || t.dy < 0 {
		return t, unsupported("grid is not north-up (pixel size %g × %g): make it north-up with gdalwarp -t_srs EPSG:4326 in.tif out.tif", t.dx, -t.dy)
	}
	if rasterType == rasterPixelPt {
		t.west -= t.dx / 2
		t.north += t.dy / 2
	}
	return t, nil
}
