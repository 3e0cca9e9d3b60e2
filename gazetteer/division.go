// Package gazetteer owns the place-name office's data: divisions (行政区划), place names
// (地名), roads, house numbers (门牌), plates (数字门牌), boundary lines (界线) and markers
// (界桩). It holds their types, their SQL (sql.go) and their HTTP handlers.
package gazetteer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Level is a division level: 1 province (省级) … 5 village/community (村级).
type Level int

// The levels.
const (
	Province   Level = 1 // 省级
	Prefecture Level = 2 // 地级
	County     Level = 3 // 县级
	Township   Level = 4 // 乡级 (乡镇/街道)
	Village    Level = 5 // 村级 (村/社区)
)

var levelNames = map[Level]string{Province: "province", Prefecture: "prefecture", County: "county", Township: "township", Village: "village"}

func (l Level) String() string {
	if s, ok := levelNames[l]; ok {
		return s
	}
	return "level" + strconv.Itoa(int(l))
}

// ParseLevel accepts 1–5, the English names and the Chinese level words.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "province", "省", "省级":
		return Province, nil
	case "2", "prefecture", "city", "市", "地级":
		return Prefecture, nil
	case "3", "county", "district", "县", "区县", "县级":
		return County, nil
	case "4", "township", "street", "乡", "乡镇", "街道", "乡级":
		return Township, nil
	case "5", "village", "community", "村", "社区", "村级":
		return Village, nil
	}
	return 0, fmt.Errorf("unknown level %q (want province|prefecture|county|township|village or 1–5)", s)
}

// Digits is the number of significant code digits at each level.
func (l Level) Digits() int { return [...]int{0, 2, 4, 6, 9, 12}[l] }

// PadCode turns a 2-, 4-, 6-, 9- or 12-digit division code into the 12-digit form and
// reports the level the short form implies.
func PadCode(code string) (string, Level, error) {
	code = strings.TrimSpace(code)
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", 0, fmt.Errorf("division code %q: digits only", code)
		}
	}
	var lvl Level
	switch len(code) {
	case 2:
		lvl = Province
	case 4:
		lvl = Prefecture
	case 6:
		lvl = County
	case 9:
		lvl = Township
	case 12:
		lvl = levelOf12(code)
	default:
		return "", 0, fmt.Errorf("division code %q: want 2, 4, 6, 9 or 12 digits", code)
	}
	return code + strings.Repeat("0", 12-len(code)), lvl, nil
}

// levelOf12 infers the level of a 12-digit code from its trailing zeros.
func levelOf12(c string) Level {
	switch {
	case c[9:] != "000":
		return Village
	case c[6:9] != "000":
		return Township
	case c[4:6] != "00":
		return County
	case c[2:4] != "00":
		return Prefecture
	}
	return Province
}

// ShortCode returns the significant digits of a 12-digit code at level l (e.g. 330000000000
// at Province → "33").
func ShortCode(code12 string, l Level) string {
	if len(code12) != 12 || l < Province || l > Village {
		return code12
	}
	return code12[:l.Digits()]
}

// KindOf classifies a unit by its level, code and name: at township level by the code's
// digit class (街道 001–099, 镇 100–199, 乡 200–399, others are statistical units such as
// development zones), at village level 居委会 001–199, 村委会 200–399.
func KindOf(level Level, code12, name string) string {
	// A trailing note in full-width parentheses (方圆县（虚构）) is not part of the suffix.
	if i := strings.LastIndex(name, "（"); i > 0 && strings.HasSuffix(name, "）") {
		name = name[:i]
	}
	switch level {
	case Province:
		switch {
		case strings.HasSuffix(name, "自治区"):
			return "自治区"
		case strings.HasSuffix(name, "特别行政区"):
			return "特别行政区"
		case strings.HasSuffix(name, "市"):
			return "直辖市"
		}
		return "省"
	case Prefecture:
		switch {
		case IsPlaceholderName(name):
			return "统计用"
		case strings.HasSuffix(name, "自治州"):
			return "自治州"
		case strings.HasSuffix(name, "地区"):
			return "地区"
		case strings.HasSuffix(name, "盟"):
			return "盟"
		}
		return "地级市"
	case County:
		switch {
		case strings.HasSuffix(name, "自治县"):
			return "自治县"
		case strings.HasSuffix(name, "自治旗"):
			return "自治旗"
		case strings.HasSuffix(name, "旗"):
			return "旗"
		case strings.HasSuffix(name, "区"):
			return "市辖区"
		case strings.HasSuffix(name, "市"):
			return "县级市"
		case strings.HasSuffix(name, "县"):
			return "县"
		}
		return "其他县级"
	case Township:
		n, _ := strconv.Atoi(code12[6:9])
		switch {
		case n < 100:
			return "街道"
		case n < 200:
			return "镇"
		case n < 400:
			if strings.HasSuffix(name, "苏木") {
				return "苏木"
			}
			return "乡"
		}
		return "其他乡级" // 开发区, 农场 and other statistical units
	case Village:
		n, _ := strconv.Atoi(code12[9:12])
		switch {
		case n < 200:
			return "居委会"
		case n < 400:
			return "村委会"
		}
		return "其他村级"
	}
	return "未知"
}

// IsPlaceholderName reports the names the statistical tables give to prefecture rows that
// are not real units ("市辖区" under municipalities, "省直辖县级行政区划" ...).
func IsPlaceholderName(name string) bool {
	return name == "市辖区" || name == "县" || strings.HasSuffix(name, "直辖县级行政区划")
}

// Division is an admin unit as of a date.
type Division struct {
	Code        string          `json:"code"`
	Level       Level           `json:"level"`
	LevelName   string          `json:"level_name"`
	Kind        string          `json:"kind"`
	Name        string          `json:"name"`
	ParentCode  *string         `json:"parent_code"`
	Pinyin      *string         `json:"pinyin"`
	PinyinDraft string          `json:"pinyin_draft"`
	Aliases     []string        `json:"aliases"`
	ValidFrom   string          `json:"valid_from"`
	ValidTo     *string         `json:"valid_to"`
	HasGeometry bool            `json:"has_geometry"`
	Version     int             `json:"version"`
	Chain       []ChainLink     `json:"chain,omitempty"`
	Geometry    json.RawMessage `json:"geometry,omitempty"`
}

// ChainLink is one ancestor in a division's admin chain.
type ChainLink struct {
	Code  string `json:"code"`
	Level Level  `json:"level"`
	Name  string `json:"name"`
}

// DivisionInput is a unit as an importer hands it to the store.
type DivisionInput struct {
	Code       string // 12 digits
	Level      Level
	Kind       string
	Name       string
	ParentCode string // 12 digits, "" for provinces
}
