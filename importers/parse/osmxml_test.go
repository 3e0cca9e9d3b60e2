package parse

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// An OSM XML file gives the same routable ways as the PBF it was converted from:
// the Monaco extract, converted by osmium (Debian's osmium-tool).
func TestOSMXMLEqualsPBF(t *testing.T) {
	osmium, err := exec.LookPath("osmium")
	if err != nil {
		t.Fatalf("osmium is not installed (apt-get install osmium-tool): %v", err)
	}
	pbf := filepath.Join("..", "..", "data", "testdata", "osm", "monaco-latest.osm.pbf")
	xml := filepath.Join(t.TempDir(), "monaco.osm")
	if out, err := exec.Command(osmium, "cat", pbf, "-o", xml).CombinedOutput(); err != nil {
		t.Fatalf("osmium cat: %v: %s", err, out)
	}
	ctx := context.Background()
	a, err := ReadOSM(ctx, pbf, OSMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadOSM(ctx, xml, OSMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Ways) < 100 || len(a.Ways) != len(b.Ways) || a.Skipped != b.Skipped {
		t.Fatalf("PBF %d ways (%d skipped), XML %d ways (%d skipped)", len(a.Ways), a.Skipped, len(b.Ways), b.Skipped)
	}
	for i := range a.Ways {
		wa, wb := a.Ways[i], b.Ways[i]
		// Positions: the PBF's nanodegree integers scaled, the XML's decimals parsed;
		// equal to 1e-9° (0.1 mm).
		if len(wa.Points) != len(wb.Points) {
			t.Fatalf("way %d: %d points in the PBF, %d in the XML", wa.ID, len(wa.Points), len(wb.Points))
		}
		for j := range wa.Points {
			if math.Abs(wa.Points[j][0]-wb.Points[j][0]) > 1e-9 || math.Abs(wa.Points[j][1]-wb.Points[j][1]) > 1e-9 {
				t.Fatalf("way %d point %d: PBF %v, XML %v", wa.ID, j, wa.Points[j], wb.Points[j])
			}
		}
		wa.Points, wb.Points = nil, nil
		if !reflect.DeepEqual(wa, wb) {
			t.Fatalf("way %d: PBF %+v, XML %+v", wa.ID, wa, wb)
		}
	}
}

// The demo network (data/demo/network.osm, OSM XML): every way of the file is
// routable, and its one ferry carries its tagged duration (00:10 = 600 s).
func TestDemoNetworkXML(t *testing.T) {
	path := filepath.Join("..", "..", "data", "demo", "network.osm")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ScanOSM(context.Background(), path, bytes.NewReader(raw), OSMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Count(string(raw), "<way "); len(res.Ways) != want {
		t.Fatalf("%d ways read, the file has %d", len(res.Ways), want)
	}
	var ferries []OSMWay
	for _, w := range res.Ways {
		if w.Ferry {
			ferries = append(ferries, w)
		}
	}
	if len(ferries) != 1 || ferries[0].DurationS != 600 || !ferries[0].Foot || !ferries[0].Motor {
		t.Fatalf("ferries: %+v", ferries)
	}
	// Not OSM at all: a clear error naming the file.
	if _, err := ScanOSM(context.Background(), "bad.osm", bytes.NewReader([]byte("<osm><way id=\"x\"></osm>")), OSMOptions{}); err == nil || !strings.Contains(err.Error(), "bad.osm") {
		t.Errorf("bad XML: %v", err)
	}
}
