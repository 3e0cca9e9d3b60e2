package data

import (
	"io/fs"
	"strings"
	"testing"
)

func TestDemoEmbedded(t *testing.T) {
	for _, p := range []string{
		"demo/README.md",
		"demo/boundaries/county.geojson",
		"demo/boundaries/townships.geojson",
		"demo/boundaries/villages.geojson",
		"demo/divisions/fangyuan-demo/villages.csv",
		"demo/divisions/zhejiang-2023/villages.csv",
		"demo/facilities/eldercare_center.csv",
		"demo/population.tif",
		"demo/roads.geojson",
	} {
		b, err := fs.ReadFile(Demo, p)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %d bytes, %v", p, len(b), err)
		}
	}
	readme, _ := fs.ReadFile(Demo, "demo/README.md")
	if !strings.Contains(string(readme), "虚构") || !strings.Contains(string(readme), "SYNTHETIC") {
		t.Error("README does not say the data is synthetic")
	}
}
