package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
)

// ---- house numbers 门牌 ----
//
// Every road gets house numbers by its rule (the one houseNumber applies: from the first
// vertex, one odd/even pair per 15 m, odd numbers on r.oddSide, one-sided roads odd only),
// 15 m off the centre line: town streets a building per pair for their first
// demoStreetPairs pairs, roads between townships one every sixth pair up to where they
// first leave their township (a side ends at its first misfit). A building is kept only where houseNumber (the generator's
// own projection) gives it the number it was laid out for. Then a handful of deliberate
// errors are planted for the validation report (fangyuan housenumbers check); the CSV's
// planted column names them.

const (
	demoPairM        = 15.0
	demoSetbackKm    = 0.015
	demoStreetPairs  = 40
	demoConnectEvery = 6 // a road between townships has a building every sixth pair
)

type demoHouse struct {
	road     int // index into d.roads
	number   int
	building string
	p        pt
	planted  string // the validation finding it is planted for, or ""
	note     string
}

func (d *demo) buildHouseNumbers() []demoHouse {
	var hs []demoHouse
	for ri, r := range d.roads {
		lengthM := lineLengthKm(r.line) * 1000
		town := d.c.towns[r.town].poly
		pairs, every := demoStreetPairs, 1
		if r.connect {
			pairs, every = 1<<30, demoConnectEvery
		}
		sides := []bool{r.oddSide == "left", r.oddSide != "left"} // odd side first (true: left)
		if r.oneSided {
			sides = sides[:1]
		}
		stopped := []bool{false, false} // a side of a road between townships ends at its first misfit
	pairsLoop:
		for k := 0; k < pairs; k += every {
			along := (float64(k) + 0.5) * demoPairM
			if along > lengthM-demoPairM/2 {
				break
			}
			for si, left := range sides {
				off := demoSetbackKm
				if !left {
					off = -off
				}
				p := pointAlong(r, along/lengthM, off)
				n := 2*k + 1
				if si == 1 {
					n = 2*k + 2
				}
				if !inMulti(p, town) {
					if r.connect {
						break pairsLoop
					}
					continue
				}
				if stopped[si] {
					continue
				}
				if houseNumber(r, p) != n {
					stopped[si] = r.connect
					continue
				}
				hs = append(hs, demoHouse{road: ri, number: n, p: p})
			}
		}
	}
	return d.plantHouseErrors(hs)
}

// plantHouseErrors adds one error of each kind the validation report knows, on fixed
// roads, and returns the numbers in a fixed order (road, then as laid out).
func (d *demo) plantHouseErrors(hs []demoHouse) []demoHouse {
	// The town streets with at least demoStreetPairs pairs of numbers on their odd side,
	// in road order: the planted errors go on the first five of them.
	count := map[int]int{}
	for _, h := range hs {
		if h.number%2 == 1 {
			count[h.road]++
		}
	}
	var long []int
	for ri, r := range d.roads {
		if !r.connect && !r.oneSided && count[ri] >= 30 {
			long = append(long, ri)
		}
	}
	if len(long) < 5 {
		panic(fmt.Sprintf("demo: only %d long streets for the planted house-number errors", len(long)))
	}
	find := func(road, number int) int {
		for i, h := range hs {
			if h.road == road && h.number == number {
				return i
			}
		}
		panic(fmt.Sprintf("demo: road %s has no house number %d", d.roads[road].name, number))
	}
	oddLeft := func(ri int) bool { return d.roads[ri].oddSide == "left" }
	side := func(ri int, odd bool) float64 { // the offset sign of the odd or even side
		if odd == oddLeft(ri) {
			return 1
		}
		return -1
	}
	at := func(ri, k int, offKm float64) pt {
		r := d.roads[ri]
		return pointAlong(r, (float64(k)+0.5)*demoPairM/(lineLengthKm(r.line)*1000), offKm)
	}
	// wrong_side: an odd number 181 (used nowhere else on the road) on the even side, pair 5.
	ri := long[0]
	hs = append(hs, demoHouse{road: ri, number: 181, p: at(ri, 5, side(ri, false)*0.008), planted: "wrong_side",
		note: "odd number on the even side"})
	// out_of_order: 171 among 7 and 9 on the odd side (pair 3, 20 m off).
	ri = long[1]
	hs = append(hs, demoHouse{road: ri, number: 171, p: at(ri, 3, side(ri, true)*0.020), planted: "out_of_order",
		note: "171 between 7 and 9"})
	// duplicate: 9 again, 35 m behind the first 9 (building 2, so not a sub-address of it).
	ri = long[2]
	i := find(ri, 9)
	hs = append(hs, demoHouse{road: ri, number: 9, building: "2", p: at(ri, 4, side(ri, true)*0.050), planted: "duplicate",
		note: "the same number as another building 35 m away"})
	_ = i
	// large_gap: the odd numbers 11–35 of a street removed: 13 missing between 9 and 37.
	ri = long[3]
	kept := hs[:0]
	for _, h := range hs {
		if h.road == ri && h.number%2 == 1 && h.number >= 11 && h.number <= 35 {
			continue
		}
		kept = append(kept, h)
	}
	hs = kept
	hs[find(ri, 37)].planted, hs[find(ri, 37)].note = "large_gap", "11–35 missing before it"
	// far_from_road: 13 of a street 120 m off the centre line.
	ri = long[4]
	i = find(ri, 13)
	hs[i].p, hs[i].planted, hs[i].note = at(ri, 6, side(ri, true)*0.120), "far_from_road", "120 m from the road"
	// outside_township: the first position past where a road between townships leaves its
	// township, on its odd side.
	for ri, r := range d.roads {
		if !r.connect {
			continue
		}
		last := 0
		for _, h := range hs {
			if h.road == ri && h.number%2 == 1 && h.number > last {
				last = h.number
			}
		}
		if last == 0 {
			continue
		}
		found := false
		for k := (last-1)/2 + 1; k <= (last-1)/2+8 && !found; k++ {
			p := at(ri, k, side(ri, true)*demoSetbackKm)
			if inMulti(p, d.c.towns[r.town].poly) || houseNumber(r, p) != 2*k+1 {
				continue
			}
			hs = append(hs, demoHouse{road: ri, number: 2*k + 1, p: p, planted: "outside_township", note: "past the township boundary"})
			found = true
		}
		if found {
			break
		}
	}
	return hs
}

// demoHouseValidFrom is the day the demo's house numbers are in force from: a fixed day, so
// that the demo does not depend on the day it is loaded (tests ask for fixed days).
const demoHouseValidFrom = "2024-01-01"

// houseNumbersCSV renders housenumbers.csv (UTF-8).
func (d *demo) houseNumbersCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"road", "admin_code", "number", "suffix", "building", "lon", "lat", "valid_from", "planted"})
	for _, h := range d.houses {
		r := d.roads[h.road]
		_ = w.Write([]string{r.name, d.c.towns[r.town].code, strconv.Itoa(h.number), "", h.building,
			strconv.FormatFloat(h.p[0], 'f', 6, 64), strconv.FormatFloat(h.p[1], 'f', 6, 64), demoHouseValidFrom, h.planted})
	}
	w.Flush()
	return b.Bytes()
}

// houseNumbersReadme is the README section on the house numbers.
func (d *demo) houseNumbersReadme() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## House numbers · 门牌 (`housenumbers.csv`)\n\n")
	fmt.Fprintf(&b, "%d house numbers along the %d roads, laid out by each road's rule (from the first vertex, one\n", len(d.houses), len(d.roads))
	fmt.Fprintf(&b, "odd/even pair per 15 m, odd numbers on the road's `odd_side`, one-sided roads odd only), 15 m off the\n")
	fmt.Fprintf(&b, "centre line: town streets a building per pair for their first %d pairs, roads between townships one\n", demoStreetPairs)
	fmt.Fprintf(&b, "every sixth pair until they leave their township. Deliberate errors for `fangyuan housenumbers check`\n")
	fmt.Fprintf(&b, "(column `planted`; the report finds these and nothing else):\n\n")
	fmt.Fprintf(&b, "| finding | road | number | what |\n|---|---|---|---|\n")
	for _, h := range d.houses {
		if h.planted != "" {
			fmt.Fprintf(&b, "| `%s` | %s | %d号%s | %s |\n", h.planted, d.roads[h.road].name, h.number, map[bool]string{true: " (" + h.building + "幢)", false: ""}[h.building != ""], h.note)
		}
	}
	b.WriteString("\n")
	return b.String()
}
