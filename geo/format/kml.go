package format

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// WriteKML writes layers as one KML 2.2 document, a Folder per layer and a Placemark per
// feature with every attribute in ExtendedData (<Data name="..."><value>), which
// 奥维互动地图, Google Earth and GDAL's LIBKML driver read as fields.
func WriteKML(w io.Writer, docName string, layers []*Layer) error {
	for _, l := range layers {
		if err := l.Check(); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(w)
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>%s</name>\n", esc(docName))
	for _, l := range layers {
		for _, s := range l.Styles {
			fmt.Fprintf(bw, "<Style id=\"%s\">", esc(l.Name+"-"+s.ID))
			if s.Width > 0 {
				fmt.Fprintf(bw, "<LineStyle><color>%s</color><width>%s</width></LineStyle>", esc(s.Color), strconv.FormatFloat(s.Width, 'f', -1, 64))
			}
			if s.IconScale > 0 {
				fmt.Fprintf(bw, "<IconStyle><color>%s</color><scale>%s</scale></IconStyle>", esc(s.Color), strconv.FormatFloat(s.IconScale, 'f', -1, 64))
			}
			bw.WriteString("</Style>\n")
		}
	}
	for _, l := range layers {
		fmt.Fprintf(bw, "<Folder>\n<name>%s</name>\n", esc(l.Name))
		if l.Title != "" {
			fmt.Fprintf(bw, "<description>%s</description>\n", esc(l.Title))
		}
		nameIdx := 0
		for i, f := range l.Fields {
			if f.Name == l.NameField {
				nameIdx = i
			}
		}
		for _, f := range l.Features {
			bw.WriteString("<Placemark>")
			if len(f.Values) > 0 {
				fmt.Fprintf(bw, "<name>%s</name>", esc(text(f.Values[nameIdx])))
			}
			style := f.Style
			if style == "" && len(l.Styles) > 0 {
				style = l.Styles[0].ID
			}
			if style != "" {
				fmt.Fprintf(bw, "<styleUrl>#%s</styleUrl>", esc(l.Name+"-"+style))
			}
			bw.WriteString("<ExtendedData>")
			for i, fd := range l.Fields {
				fmt.Fprintf(bw, "<Data name=\"%s\"><value>%s</value></Data>", esc(fd.Name), esc(text(f.Values[i])))
			}
			bw.WriteString("</ExtendedData>")
			writeKMLGeometry(bw, f.Geometry)
			bw.WriteString("</Placemark>\n")
		}
		bw.WriteString("</Folder>\n")
	}
	bw.WriteString("</Document>\n</kml>\n")
	return bw.Flush()
}

func kmlCoords(w *bufio.Writer, ps []orb.Point) {
	w.WriteString("<coordinates>")
	for i, p := range ps {
		if i > 0 {
			w.WriteByte(' ')
		}
		w.WriteString(strconv.FormatFloat(p[0], 'f', -1, 64))
		w.WriteByte(',')
		w.WriteString(strconv.FormatFloat(p[1], 'f', -1, 64))
	}
	w.WriteString("</coordinates>")
}

func kmlPolygon(w *bufio.Writer, p orb.Polygon) {
	w.WriteString("<Polygon>")
	for i, r := range p {
		if i == 0 {
			w.WriteString("<outerBoundaryIs><LinearRing>")
		} else {
			w.WriteString("<innerBoundaryIs><LinearRing>")
		}
		kmlCoords(w, r)
		if i == 0 {
			w.WriteString("</LinearRing></outerBoundaryIs>")
		} else {
			w.WriteString("</LinearRing></innerBoundaryIs>")
		}
	}
	w.WriteString("</Polygon>")
}

func writeKMLGeometry(w *bufio.Writer, g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		w.WriteString("<Point>")
		kmlCoords(w, []orb.Point{g})
		w.WriteString("</Point>")
	case orb.MultiPoint:
		w.WriteString("<MultiGeometry>")
		for _, p := range g {
			writeKMLGeometry(w, p)
		}
		w.WriteString("</MultiGeometry>")
	case orb.LineString:
		w.WriteString("<LineString><tessellate>1</tessellate>")
		kmlCoords(w, g)
		w.WriteString("</LineString>")
	case orb.MultiLineString:
		if len(g) == 1 {
			writeKMLGeometry(w, g[0])
			return
		}
		w.WriteString("<MultiGeometry>")
		for _, l := range g {
			writeKMLGeometry(w, l)
		}
		w.WriteString("</MultiGeometry>")
	case orb.Polygon:
		kmlPolygon(w, g)
	case orb.MultiPolygon:
		w.WriteString("<MultiGeometry>")
		for _, p := range g {
			kmlPolygon(w, p)
		}
		w.WriteString("</MultiGeometry>")
	}
}

// WriteKMZ writes the KML document of WriteKML as doc.kml in a zip (KMZ). modified is the
// zip entry's time (pass the export time; zero: 1980-01-01, for reproducible files).
func WriteKMZ(w io.Writer, docName string, layers []*Layer, modified time.Time) error {
	zw := zip.NewWriter(w)
	if modified.IsZero() {
		modified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "doc.kml", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return err
	}
	if err := WriteKML(f, docName, layers); err != nil {
		return err
	}
	return zw.Close()
}
