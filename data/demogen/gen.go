package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// seed is the one fixed seed of the generator; every part draws from its own
// PCG stream (seed, stream) so changing one part leaves the others alone.
const seed = 20231101

type outFile struct {
	path string // slash-separated, relative to the output directory
	data []byte
}

// demo is everything the generator knows about the demo data set.
type demo struct {
	c      *county
	roads  []road
	fac    []facility
	places []placeName
	houses []demoHouse
	net    *demoNetwork
	pop    *popGrid
	zj     map[string][]byte
	stats  stats
	render []outFile
}

func build(divDir string) (*demo, error) {
	zj, err := extractZhejiang(divDir)
	if err != nil {
		return nil, err
	}
	c := buildCounty(seed)
	stream := func(s uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, s)) }
	c.settleVillages(stream(5))
	d := &demo{c: c, zj: zj}
	d.pop = c.buildPopulation()
	d.roads = c.buildRoads(stream(6))
	d.fac = c.buildFacilities(stream(7), d.roads)
	d.places = c.buildPlaceNames(stream(8), d.roads)
	d.houses = d.buildHouseNumbers()
	d.net = d.buildNetwork()
	d.stats = d.computeStats()
	return d, nil
}

// files renders every output file, in a fixed order.
func (d *demo) files() ([]outFile, error) {
	var out []outFile
	for _, name := range divisionFiles {
		out = append(out, outFile{"divisions/zhejiang-2023/" + name, d.zj[name]})
	}
	dd := demoDivisions(d.c, d.zj)
	for _, name := range divisionFiles {
		out = append(out, outFile{"divisions/fangyuan-demo/" + name, dd[name]})
	}
	out = append(out,
		outFile{"boundaries/county.geojson", d.countyGeoJSON()},
		outFile{"boundaries/townships.geojson", d.townshipsGeoJSON()},
		outFile{"boundaries/villages.geojson", d.villagesGeoJSON()},
		outFile{"boundaries/villages-with-problems.geojson", d.villagesProblemsGeoJSON()},
		outFile{"roads.geojson", d.roadsGeoJSON()},
		outFile{"network.osm", d.net.networkOSM()},
	)
	out = append(out, outFile{"housenumbers.csv", d.houseNumbersCSV()})
	fc := facilityCSVs(d.fac)
	for _, k := range facilityKinds {
		out = append(out, outFile{"facilities/" + k.kind + ".csv", fc[k.kind+".csv"]})
	}
	out = append(out, outFile{"placenames.csv", placeNamesCSV(d.places)})
	tif, err := d.populationTIFF()
	if err != nil {
		return nil, fmt.Errorf("population.tif: %w", err)
	}
	out = append(out, outFile{"population.tif", tif})
	out = append(out, outFile{"README.md", d.readme(out)})
	return out, nil
}

// generate writes the demo data set into outDir.
func generate(divDir, outDir string) ([]outFile, error) {
	d, err := build(divDir)
	if err != nil {
		return nil, err
	}
	files, err := d.files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		path := filepath.Join(outDir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// outputPaths lists the generated paths, sorted.
func outputPaths(files []outFile) []string {
	var ps []string
	for _, f := range files {
		ps = append(ps, f.path)
	}
	slices.Sort(ps)
	return ps
}
