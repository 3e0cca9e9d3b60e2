package parse

import (
	"testing"

	"github.com/paulmach/osm"
)

// Tags of routable ways, read by hand from the OSM wiki's conventions.
func TestOSMWayTags(t *testing.T) {
	tags := func(kv ...string) osm.Tags {
		var ts osm.Tags
		for i := 0; i < len(kv); i += 2 {
			ts = append(ts, osm.Tag{Key: kv[i], Value: kv[i+1]})
		}
		return ts
	}
	for _, tt := range []struct {
		name string
		tags osm.Tags
		ok   bool
		want OSMWay
	}{
		{"residential", tags("highway", "residential"), true, OSMWay{Highway: "residential", Foot: true, Motor: true}},
		{"oneway reverse, mph", tags("highway", "primary", "oneway", "-1", "maxspeed", "30 mph"), true, OSMWay{Highway: "primary", Oneway: -1, MaxspeedFwd: 48.28032, MaxspeedBwd: 48.28032, Foot: true, Motor: true}},
		{"roundabout implies oneway", tags("highway", "tertiary", "junction", "roundabout"), true, OSMWay{Highway: "tertiary", Oneway: 1, Junction: "roundabout", Foot: true, Motor: true}},
		{"directional speeds", tags("highway", "primary", "maxspeed:forward", "70", "maxspeed:backward", "30"), true, OSMWay{Highway: "primary", MaxspeedFwd: 70, MaxspeedBwd: 30, Foot: true, Motor: true}},
		{"footway: no cars", tags("highway", "footway"), true, OSMWay{Highway: "footway", Foot: true}},
		{"motorway: no walkers, oneway", tags("highway", "motorway"), true, OSMWay{Highway: "motorway", Oneway: 1, Motor: true}},
		{"access no, foot yes", tags("highway", "service", "access", "no", "foot", "yes"), true, OSMWay{Highway: "service", Foot: true}},
		{"motor_vehicle private", tags("highway", "track", "motor_vehicle", "private", "bridge", "yes"), true, OSMWay{Highway: "track", Foot: true, Bridge: true}},
		{"tunnel", tags("highway", "secondary", "tunnel", "yes", "maxspeed", "RU:urban"), true, OSMWay{Highway: "secondary", Tunnel: true, Foot: true, Motor: true}},
		{"ferry with duration", tags("route", "ferry", "duration", "01:30"), true, OSMWay{Ferry: true, DurationS: 5400, Foot: true, Motor: true}},
		{"ferry for walkers", tags("route", "ferry", "foot", "yes", "duration", "25"), true, OSMWay{Ferry: true, DurationS: 1500, Foot: true}},
		{"construction", tags("highway", "construction"), false, OSMWay{}},
		{"building", tags("building", "yes"), false, OSMWay{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := osmWay(&osm.Way{ID: 1, Tags: tt.tags})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Fatalf("kept %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			tt.want.ID = 1
			if got.MaxspeedFwd-tt.want.MaxspeedFwd > 1e-9 || tt.want.MaxspeedFwd-got.MaxspeedFwd > 1e-9 {
				t.Errorf("maxspeed %v, want %v", got.MaxspeedFwd, tt.want.MaxspeedFwd)
			}
			got.MaxspeedFwd, got.MaxspeedBwd = tt.want.MaxspeedFwd, tt.want.MaxspeedBwd
			if got.Highway != tt.want.Highway || got.Oneway != tt.want.Oneway || got.Foot != tt.want.Foot || got.Motor != tt.want.Motor ||
				got.Bridge != tt.want.Bridge || got.Tunnel != tt.want.Tunnel || got.Ferry != tt.want.Ferry || got.DurationS != tt.want.DurationS || got.Junction != tt.want.Junction {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, _, err := osmWay(&osm.Way{ID: 7, Tags: tags("route", "ferry", "duration", "soon")}); err == nil {
		t.Error("a bad duration is accepted")
	}
}
