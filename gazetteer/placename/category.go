package placename

import (
	"fmt"
	"sort"
	"strings"
)

// Category is a place-name category (地名类别).
type Category struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Categories are the place-name categories this service knows, by code.
//
// Source: GB/T 18521-2001《地名分类与类别代码编制规则》(Rules for classification of
// geographical names and code representation), Table 2 地名地理属性类别代码, whose codes are
// hierarchical: 1 digit 类, 2 digits 大类, 3 digits 中类, 4 digits 小类; the second national
// place-name census (第二次全国地名普查, 2014–2018) exported them as 类别代码. The list below
// is the subset of classes the place-name office and the demo use (it is not the whole of
// Table 2); a code not listed is accepted when its 2-digit class (大类) is listed, and is
// shown with that class's name.
var Categories = []Category{
	{"1", "自然地理实体"},
	{"11", "陆地地形"},
	{"111", "山峰"},
	{"112", "山岭、山口"},
	{"113", "谷地、盆地"},
	{"114", "平原、台地"},
	{"12", "陆地水系"},
	{"121", "河流、溪"},
	{"122", "湖泊、潭"},
	{"123", "泉、瀑布"},
	{"13", "海域"},
	{"131", "海湾"},
	{"132", "海峡、水道"},
	{"14", "岛礁"},
	{"141", "岛屿"},
	{"142", "礁、岬角"},
	{"2", "人文地理实体"},
	{"21", "居民点"},
	{"211", "城镇居民点"},
	{"212", "农村居民点（自然村）"},
	{"213", "居住区、小区"},
	{"22", "交通运输设施"},
	{"221", "道路（路、街、巷）"},
	{"222", "桥梁"},
	{"223", "隧道"},
	{"224", "车站"},
	{"225", "港口、码头、渡口"},
	{"23", "水利、电力、通信设施"},
	{"231", "水库"},
	{"232", "堤坝、水闸"},
	{"233", "电站"},
	{"24", "单位"},
	{"241", "机关、事业单位"},
	{"242", "学校"},
	{"243", "医院"},
	{"25", "建筑物"},
	{"251", "楼宇、大厦"},
	{"252", "广场"},
	{"26", "纪念地、旅游景点和名胜古迹"},
	{"261", "纪念地、陵园"},
	{"262", "亭、台、碑、塔"},
	{"2621", "亭"},
	{"2622", "台"},
	{"2623", "碑"},
	{"2624", "塔"},
	{"263", "公园、风景区"},
	{"264", "古建筑、遗址"},
	{"27", "历史地名、古镇古村"},
	{"271", "古镇"},
	{"272", "古村落"},
}

var categoryByCode = func() map[string]string {
	m := make(map[string]string, len(Categories))
	for _, c := range Categories {
		m[c.Code] = c.Name
	}
	return m
}()

// CategoryName returns the Chinese name of code: its own, or that of its nearest listed
// parent class; ok is false when not even the 2-digit class is known.
func CategoryName(code string) (name string, ok bool) {
	for n := len(code); n >= 1; n-- {
		if nm, found := categoryByCode[code[:n]]; found {
			return nm, n >= 2 || n == len(code)
		}
	}
	return "", false
}

// ParseCategory validates a category code: 1–6 digits whose 2-digit class (or the code
// itself) is listed in Categories.
func ParseCategory(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty")
	}
	if len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return "", fmt.Errorf("%q: a GB/T 18521 category code is 1–6 digits", s)
	}
	if _, ok := CategoryName(s); !ok {
		var top []string
		for _, c := range Categories {
			if len(c.Code) == 2 {
				top = append(top, c.Code+" "+c.Name)
			}
		}
		sort.Strings(top)
		return "", fmt.Errorf("%q: unknown category (classes: %s)", s, strings.Join(top, ", "))
	}
	return s, nil
}

// Heritage levels (地名文化遗产 保护名录 level).
var HeritageLevels = map[string]string{
	"national": "国家级", "provincial": "省级", "municipal": "市级", "county": "县级",
}

// heritageWords maps the level words an import may carry to the stored level.
var heritageWords = map[string]string{
	"": "", "national": "national", "国家级": "national", "国家": "national",
	"provincial": "provincial", "省级": "provincial", "省": "provincial",
	"municipal": "municipal", "市级": "municipal", "市": "municipal",
	"county": "county", "县级": "county", "县": "county",
}

// ParseHeritageLevel maps national/provincial/municipal/county (or 国家级/省级/市级/县级)
// to the stored level; "" is no listing.
func ParseHeritageLevel(s string) (string, error) {
	l, ok := heritageWords[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return "", fmt.Errorf("%q: want national, provincial, municipal or county (国家级/省级/市级/县级)", s)
	}
	return l, nil
}

// Statuses of a place name.
var Statuses = []string{"standard", "draft", "retired"}
