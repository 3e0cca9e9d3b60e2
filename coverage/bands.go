package coverage

import (
	"fmt"
	"strconv"
	"strings"

	"fangyuan/geo"
)

// Population band names: the engine reads layers by name, and a population file
// names its bands as GDAL wrote them or as the planner says (--band NAME=N).

// BandName names band Index (1-based) of a population file.
type BandName struct {
	Name  string
	Index int
}

// ParseBandName parses "age60plus=2".
func ParseBandName(s string) (BandName, error) {
	name, idx, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	n, err := strconv.Atoi(strings.TrimSpace(idx))
	if !ok || err != nil || n < 1 || !identRE.MatchString(name) {
		return BandName{}, fmt.Errorf("band %q: want NAME=N with a layer name like age60plus and a band number from 1", s)
	}
	return BandName{Name: name, Index: n}, nil
}

// NameBands names the bands of g: first as the file says (GDAL band
// descriptions), a single unnamed band is "total" (the convention of `fangyuan
// import population`), then each BandName renames its band; another band that
// had the same name falls back to bandN.
func NameBands(g *geo.Grid, names []BandName) error {
	if len(g.Bands) == 1 && g.Bands[0].Name == "band1" {
		g.Bands[0].Name = "total"
	}
	seen := map[int]string{}
	for _, bn := range names {
		if bn.Index > len(g.Bands) {
			return fmt.Errorf("%w: --band %s=%d: the file has %d band(s)", ErrNoLayer, bn.Name, bn.Index, len(g.Bands))
		}
		if prev, dup := seen[bn.Index]; dup && prev != bn.Name {
			return fmt.Errorf("%w: band %d is named both %s and %s", ErrNoLayer, bn.Index, prev, bn.Name)
		}
		seen[bn.Index] = bn.Name
	}
	for _, bn := range names {
		for i := range g.Bands {
			if i != bn.Index-1 && g.Bands[i].Name == bn.Name {
				if other, named := seen[i+1]; named && other == bn.Name {
					return fmt.Errorf("%w: bands %d and %d are both named %s", ErrNoLayer, i+1, bn.Index, bn.Name)
				}
				g.Bands[i].Name = "band" + strconv.Itoa(i+1)
			}
		}
		g.Bands[bn.Index-1].Name = bn.Name
	}
	return g.Validate()
}
