package coverage

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestDefaultStandards(t *testing.T) {
	s, err := ParseStandards("standards.json", DefaultStandardsJSON)
	if err != nil {
		t.Fatal(err)
	}
	// DESIGN.md's table, and the kinds of the provincial plans (issue 14).
	want := map[string]struct {
		layer    string
		level    Level
		radius   float64
		target   float64
		min, max int
		beds     string
		villages *VillageShare
	}{
		"eldercare_center":       {"age60plus", LevelTownship, 2000, 0.9, 1, 0, "", nil},
		"daycare_center":         {"age60plus", LevelVillage, 1000, 0.9, 1, 0, "", nil},
		"eldercare_institution":  {"age60plus", LevelCounty, 15000, 0.9, 0, 0, "beds", nil},
		"childrens_home":         {"age0_17", LevelTownship, 2000, 0.9, 1, 0, "", nil},
		"child_welfare":          {"age0_17", LevelCounty, 50000, 0.9, 1, 0, "beds", nil},
		"eco_burial":             {"total", LevelTownship, 5000, 0.9, 1, 0, "", nil},
		"funeral_venue":          {"total", LevelTownship, 5000, 0.9, 1, 0, "", nil},
		"funeral_home":           {"total", LevelCounty, 40000, 0.9, 1, 0, "", nil},
		"elderly_canteen":        {"age60plus", LevelTownship, 1000, 0.8, 0, 0, "", &VillageShare{All: 0.8}},
		"social_work_station":    {"total", LevelTownship, 5000, 0.9, 1, 0, "", nil},
		"community_service":      {"total", LevelVillage, 1000, 0.8, 0, 0, "", &VillageShare{Urban: 1, Rural: 0.8}},
		"regional_child_welfare": {"age0_17", LevelPrefecture, 100000, 0.9, 1, 2, "beds", nil},
	}
	if len(s.Kinds) != len(want) {
		t.Errorf("%d kinds %v, want %d", len(s.Kinds), s.IDs(), len(want))
	}
	for _, k := range s.Kinds {
		w, ok := want[k.ID]
		if !ok {
			t.Errorf("unexpected kind %s", k.ID)
			continue
		}
		if k.Layer != w.layer || k.Presence.Level != w.level || k.RadiusM != w.radius || k.TargetShare != w.target || k.Travel == nil ||
			k.Presence.Min != w.min || k.Presence.Max != w.max || k.BedsField != w.beds || !villageShareEqual(k.Presence.VillageShare, w.villages) {
			t.Errorf("%s: %+v, want %+v", k.ID, k, w)
		}
		if k.Name == "" || k.NameEn == "" {
			t.Errorf("%s: no names", k.ID)
		}
	}
	ei, _ := s.Kind("eldercare_institution")
	if len(ei.Capacity) != 3 || ei.Capacity[0] != (Ratio{Field: "beds", Min: 3.6, Per: 100}) ||
		ei.Capacity[1] != (Ratio{Field: "nursing_beds", Min: 0.55, ShareOf: "beds"}) || ei.Capacity[2] != (Ratio{Field: "dementia_beds", Min: 20, Per: 10000}) {
		t.Errorf("capacity %+v", ei.Capacity)
	}
	eco, _ := s.Kind("eco_burial")
	if !eco.Presence.VillagesServed {
		t.Error("eco_burial: every village served is not set")
	}
	// What MarshalStandards writes reads back the same.
	b, err := MarshalStandards(s)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := ParseStandards("round trip", b)
	if err != nil {
		t.Fatalf("round trip: %v\n%s", err, b)
	}
	if !slices.EqualFunc(s.Kinds, s2.Kinds, func(a, b Standard) bool {
		return a.ID == b.ID && a.RadiusM == b.RadiusM && presenceEqual(a.Presence, b.Presence) && slices.Equal(a.Capacity, b.Capacity) &&
			*a.Travel == *b.Travel && a.BedsField == b.BedsField && a.TargetShare == b.TargetShare
	}) {
		t.Errorf("round trip changed the kinds:\n%s", b)
	}
}

func villageShareEqual(a, b *VillageShare) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func presenceEqual(a, b Presence) bool {
	return a.Level == b.Level && a.Min == b.Min && a.Max == b.Max && a.VillagesServed == b.VillagesServed && villageShareEqual(a.VillageShare, b.VillageShare)
}

func TestStandardsValidation(t *testing.T) {
	kind := func(fields string) string {
		return `{"kinds": [{"id": "eldercare_center", "layer": "age60plus", "presence": {"level": "township"}, "radius_m": 2000` + fields + `}]}`
	}
	for _, tt := range []struct {
		name, json, want string
	}{
		{"syntax", "{\n  \"kinds\": [\n    {\"id\": \"x\",,}\n  ]\n}", "s.json:3:"},
		{"not an object", `[]`, "s.json: is an array, want an object"},
		{"no kinds", `{"target_share": 0.9}`, "s.json: kinds: missing"},
		{"empty kinds", `{"kinds": []}`, "kinds: is empty"},
		{"unknown top field", `{"kinds": [], "radius": 3}`, "radius: unknown field (allowed: comment, kinds, profiles, target_share, version)"},
		{"bad version", `{"version": 2, "kinds": []}`, "version: 2 is not supported"},
		{"target share", `{"target_share": 90, "kinds": []}`, "target_share: 90 must be a share in (0, 1]"},
		{"unknown kind field", kind(`, "radius_km": 2`), "kinds[0].radius_km: unknown field"},
		{"missing radius", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township"}}]}`, "kinds[0].radius_m: missing"},
		{"radius as string", kind(`, "radius_m": "2km"`), "kinds[0].radius_m: is a string, want a number"},
		{"negative radius", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township"}, "radius_m": -5}]}`, "kinds[0].radius_m: -5 must be a distance in metres in (0, 300000]"},
		{"huge radius", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township"}, "radius_m": 1e7}]}`, "kinds[0].radius_m: 1e+07 must be"},
		{"bad id", `{"kinds": [{"id": "Elder Care", "layer": "total", "presence": {"level": "township"}, "radius_m": 5}]}`, `kinds[0].id: "Elder Care" must be a lower-case identifier`},
		{"bad layer", `{"kinds": [{"id": "a", "layer": "60+", "presence": {"level": "township"}, "radius_m": 5}]}`, `kinds[0].layer: "60+" must be a population layer name`},
		{"bad level", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "province"}, "radius_m": 5}]}`, `kinds[0].presence.level: "province" is not one of village, township, county, prefecture`},
		{"max below min", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "prefecture", "min": 2, "max": 1}, "radius_m": 5}]}`, "kinds[0].presence.max: 1 must be at least 1 and at least min (2)"},
		{"max zero", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "prefecture", "min": 0, "max": 0}, "radius_m": 5}]}`, "kinds[0].presence.max: 0 must be at least 1"},
		{"village share above 1", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township", "village_share": 80}, "radius_m": 5}]}`, "kinds[0].presence.village_share: 80 must be a share in (0, 1]"},
		{"village share type", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township", "village_share": "80%"}, "radius_m": 5}]}`, "kinds[0].presence.village_share: is a string, want an object"},
		{"village share key", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township", "village_share": {"town": 1}}, "radius_m": 5}]}`, "kinds[0].presence.village_share.town: unknown field (allowed: rural, urban)"},
		{"village share empty", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township", "village_share": {}}, "radius_m": 5}]}`, "kinds[0].presence.village_share: give a share"},
		{"village share rural", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "township", "village_share": {"urban": 1, "rural": 0}}, "radius_m": 5}]}`, "kinds[0].presence.village_share.rural: 0 must be a share"},
		{"beds field", kind(`, "beds_field": "rooms"`), `kinds[0].beds_field: "rooms" is not one of beds, nursing_beds, dementia_beds`},
		{"negative min", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county", "min": -1}, "radius_m": 5}]}`, "kinds[0].presence.min: -1 is negative"},
		{"fractional min", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county", "min": 1.5}, "radius_m": 5}]}`, "kinds[0].presence.min: 1.5 is not a whole number"},
		{"villages_served type", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county", "villages_served": "yes"}, "radius_m": 5}]}`, "kinds[0].presence.villages_served: is a string, want true or false"},
		{"kind target", kind(`, "target_share": 0`), "kinds[0].target_share: 0 must be a share"},
		{"travel mode", kind(`, "travel": {"mode": "fly", "minutes": 5}`), `kinds[0].travel.mode: "fly" is not one of walk, bike, drive, ferry`},
		{"travel minutes", kind(`, "travel": {"mode": "walk", "minutes": -1}`), "kinds[0].travel.minutes: -1 must be a number of minutes"},
		{"capacity not array", kind(`, "capacity": {}`), "kinds[0].capacity: is an object, want an array"},
		{"capacity field", kind(`, "capacity": [{"field": "rooms", "min": 1, "per": 100}]`), `kinds[0].capacity[0].field: "rooms" is not one of beds, nursing_beds, dementia_beds`},
		{"capacity both", kind(`, "capacity": [{"field": "beds", "min": 1, "per": 100, "share_of": "beds"}]`), "kinds[0].capacity[0]: give exactly one of per (people) or share_of"},
		{"capacity neither", kind(`, "capacity": [{"field": "beds", "min": 1}]`), "kinds[0].capacity[0]: give exactly one of"},
		{"capacity share of itself", kind(`, "capacity": [{"field": "beds", "min": 0.5, "share_of": "beds"}]`), `kinds[0].capacity[0].share_of: "beds" must be another of`},
		{"capacity share above 1", kind(`, "capacity": [{"field": "nursing_beds", "min": 55, "share_of": "beds"}]`), "kinds[0].capacity[0].min: 55: a share must be at most 1"},
		{"capacity per zero", kind(`, "capacity": [{"field": "beds", "min": 3.6, "per": 0}]`), "kinds[0].capacity[0].per: 0 must be a positive number of people"},
		{"duplicate kind", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}, {"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}]}`, `kinds[1].id: duplicate kind "a" (first at kinds[0])`},
		{"profile mode", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}], "profiles": {"fly": {"walk_kmh": 4, "max_access_m": 5}}}`, `profiles.fly: "fly" is not one of walk`},
		{"profile walk speed", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}], "profiles": {"walk": {"walk_kmh": 0, "max_access_m": 5}}}`, "profiles.walk.walk_kmh: 0 must be a walking speed"},
		{"profile access", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}], "profiles": {"walk": {"walk_kmh": 4}}}`, "profiles.walk.max_access_m: missing"},
		{"profile drive speeds", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}], "profiles": {"drive": {"walk_kmh": 4, "max_access_m": 5}}}`, "profiles.drive.speeds_kmh: a drive profile needs speeds"},
		{"profile class speed", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}], "profiles": {"drive": {"walk_kmh": 4, "max_access_m": 5, "speeds_kmh": {"primary": 900}}}}`, "profiles.drive.speeds_kmh.primary: 900 must be a speed"},
		{"profile ferry wait", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}], "profiles": {"walk": {"walk_kmh": 4, "max_access_m": 5, "ferry_wait_min": -2}}}`, "profiles.walk.ferry_wait_min: -2 must be"},
		{"trailing data", `{"kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}]} {}`, "unexpected data after the top-level object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStandards("s.json", []byte(tt.json))
			var se *StandardsError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want a *StandardsError", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
	// A minimal valid file: defaults fill the rest.
	s, err := ParseStandards("s.json", []byte(`{"target_share": 0.8, "kinds": [{"id": "a", "layer": "total", "presence": {"level": "county"}, "radius_m": 5}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if k := s.Kinds[0]; k.TargetShare != 0.8 || k.Presence.Min != 1 {
		t.Errorf("defaults: %+v", k)
	}
	if k := s.Kinds[0]; k.Presence.Max != 0 || k.Presence.VillageShare != nil || k.BedsField != "" {
		t.Errorf("defaults: %+v", k)
	}
	if _, err := s.Profile("walk"); err == nil || !strings.Contains(err.Error(), `no travel profile "walk"`) {
		t.Errorf("missing profile: %v", err)
	}
}

// The default standards walk at an older person's 4 km/h (the design's figure)
// and drive on the main classes.
func TestDefaultProfiles(t *testing.T) {
	s := DefaultStandards()
	w, err := s.Profile("walk")
	if err != nil {
		t.Fatal(err)
	}
	if w.WalkKmh != 4 || w.MaxAccessM <= 0 || w.FerryWaitMin <= 0 {
		t.Errorf("walk profile %+v", w)
	}
	d, err := s.Profile("drive")
	if err != nil {
		t.Fatal(err)
	}
	if d.SpeedsKmh["primary"] != 60 || d.SpeedsKmh["residential"] != 25 || !d.UseMaxspeed {
		t.Errorf("drive profile %+v", d)
	}
	for _, k := range s.Kinds {
		if k.Travel == nil {
			continue
		}
		if _, err := s.Profile(k.Travel.Mode); err != nil {
			t.Errorf("kind %s: %v", k.ID, err)
		}
	}
}

func TestVillageIsUrban(t *testing.T) {
	for name, urban := range map[string]bool{
		"清波门社区": true, "鹤鸣社区居委会": true, "城东居委会": true, "城西居民委员会": true,
		"青岚村委会": false, "石门村民委员会": false, "下村": false, "某农场生活区": false, "社区村委会": false,
	} {
		if got := VillageIsUrban(name); got != urban {
			t.Errorf("VillageIsUrban(%s) = %v, want %v", name, got, urban)
		}
	}
}
