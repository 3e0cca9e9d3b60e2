package geotiff

import (
	"bytes"
	"testing"
)

// fuzzSeeds are small valid files in the layouts Read handles.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, opts := range []WriteOptions{
		{},
		{Compression: NoCompression},
		{Interleave: InterleavePixel, Predictor: PredictorFloat},
		{TileSize: 16, Predictor: PredictorHorizontal},
		{TileSize: 16, Interleave: InterleavePixel, Compression: NoCompression},
	} {
		seeds = append(seeds, writeWith(t, 9, 5, 2, opts, nil))
	}
	// Old-style deflate code, PixelIsPoint, a ModelTransformation.
	seeds = append(seeds, writeWith(t, 5, 3, 1, WriteOptions{}, func(ts *tagSet) {
		ts.shorts(tagCompression, []uint16{compDeflateOld})
	}))
	seeds = append(seeds, writeWith(t, 5, 3, 1, WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4490}, "")))
	seeds = append(seeds, writeWith(t, 5, 3, 1, WriteOptions{}, func(ts *tagSet) {
		delete(ts.m, tagModelPixelScale)
		delete(ts.m, tagModelTiepoint)
		ts.doubles(tagModelTransformation, []float64{0.1, 0, 0, 119, 0, -0.1, 0, 29, 0, 0, 0, 0, 0, 0, 0, 1})
	}))
	return seeds
}

// FuzzRead feeds arbitrary bytes to Read: it must return an error or a
// grid, never panic or allocate without bound.
//
//	go test -run '^$' -fuzz FuzzRead -fuzztime 30s ./geo/geotiff/
func FuzzRead(f *testing.F) {
	// Keep declared sizes from exhausting memory or time.
	maxCells, blockSlack = 1<<16, 1<<14
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add([]byte("MM\x00+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		n := g.Width * g.Height
		for _, band := range g.Bands {
			if len(band.Data) != n {
				t.Fatalf("band %q has %d values for %d×%d", band.Name, len(band.Data), g.Width, g.Height)
			}
		}
	})
}
