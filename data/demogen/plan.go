package main

// The fictional county: codes, names and the parameters that shape it. All
// names are invented (checked against the 2023 national division tables: no
// township or county of these names exists; village names were drawn from
// combinations that do not occur as village names anywhere in China).

const (
	provinceCode   = "33"
	prefectureCode = "3399"
	prefectureName = "方圆示范市（虚构）"
	countyCode     = "339901"
	countyName     = "方圆县（虚构）"
	countyShort    = "方圆县"
)

// Township classes.
const (
	classUrban    = "urban"    // 街道 of the county seat
	classTown     = "town"     // 镇
	classMountain = "mountain" // 乡 in the western mountains
	classIsland   = "island"   // 乡 on the islands
)

type townSpec struct {
	code   string // 9 digits
	name   string
	kind   string // 街道 | 镇 | 乡
	class  string
	seat   pt      // seat (乡镇政府驻地) lon/lat; the region grows from here
	speed  float64 // region-growing speed relative to the neighbours
	nComm  int     // 社区居委会
	nVil   int     // 村委会
	pop    float64 // target total population
	s60    float64 // share aged 60+
	s017   float64 // share aged 0–17
	street []string
}

// Urban core: the four 街道 share a disc around the county seat.
var (
	coreCenter   = pt{120.018, 28.242}
	coreRadiusKm = 4.6
)

var townSpecs = []townSpec{
	{"339901001", "鹤鸣街道", "街道", classUrban, pt{120.012, 28.247}, 1, 10, 0, 64000, 0.215, 0.160,
		[]string{"人民路", "解放街", "中山路", "府前街", "鹤鸣路", "文化路"}},
	{"339901002", "澄川街道", "街道", classUrban, pt{119.990, 28.236}, 1, 8, 2, 47000, 0.205, 0.168,
		[]string{"澄川大道", "环城西路", "建设路", "新华路", "学府路"}},
	{"339901003", "望潮街道", "街道", classUrban, pt{120.038, 28.252}, 1, 8, 2, 51000, 0.225, 0.160,
		[]string{"环城东路", "滨江路", "望潮路", "观海路", "胜利街"}},
	{"339901004", "玉澜街道", "街道", classUrban, pt{120.016, 28.220}, 1, 7, 3, 41000, 0.200, 0.172,
		[]string{"环城南路", "玉澜路", "花园路", "商城路", "和平街"}},

	{"339901101", "青岚镇", "镇", classTown, pt{119.820, 28.385}, 1, 2, 14, 30000, 0.285, 0.140,
		[]string{"青岚大街", "青岚路", "新街", "老街"}},
	{"339901102", "枫渡镇", "镇", classTown, pt{119.850, 28.230}, 1, 3, 14, 38000, 0.275, 0.145,
		[]string{"枫渡大街", "渡口路", "兴镇路", "学前路"}},
	{"339901103", "龙栖镇", "镇", classTown, pt{119.845, 28.085}, 1, 2, 13, 28000, 0.300, 0.135,
		[]string{"龙栖大街", "龙栖路", "工业路", "站前路"}},
	{"339901104", "桐湾镇", "镇", classTown, pt{119.975, 28.385}, 1, 3, 13, 40000, 0.270, 0.148,
		[]string{"桐湾大街", "桐湾路", "海滨路", "渔港路"}},
	{"339901105", "梅屿镇", "镇", classTown, pt{119.985, 28.105}, 1, 2, 14, 36000, 0.290, 0.140,
		[]string{"梅屿大街", "梅屿路", "盐场路", "东升路"}},

	{"339901200", "雾岭乡", "乡", classMountain, pt{119.705, 28.385}, 1.45, 0, 9, 6500, 0.440, 0.090,
		[]string{"雾岭街", "岭下路"}},
	{"339901201", "岚峰乡", "乡", classMountain, pt{119.690, 28.245}, 1.45, 1, 8, 8500, 0.415, 0.095,
		[]string{"岚峰街", "峰前路"}},
	{"339901202", "云岫乡", "乡", classMountain, pt{119.720, 28.110}, 1.45, 0, 9, 5500, 0.450, 0.085,
		[]string{"云岫街", "溪口路"}},

	{"339901203", "鳌屿乡", "乡", classIsland, pt{120.140, 28.250}, 1, 1, 4, 5200, 0.380, 0.100,
		[]string{"鳌屿街", "码头路"}},
}

// Islands of 鳌屿乡: centre, semi-axes (degrees) and how many village seeds
// each gets. An island without seeds joins the village of the nearest seeded
// island (a MultiPolygon village).
type islandSpec struct {
	name   string
	center pt
	ax, ay float64
	seeds  int
}

var islandSpecs = []islandSpec{
	{"大鳌岛", pt{120.140, 28.250}, 0.024, 0.017, 3}, // seat
	{"北星岛", pt{120.180, 28.318}, 0.011, 0.009, 1},
	{"南礁岛", pt{120.127, 28.168}, 0.009, 0.007, 1},
	{"小礁岛", pt{120.166, 28.152}, 0.007, 0.006, 0},
}

// Name pools (place-name stems, two characters).
var communityStems = []string{
	"鹤阁", "安坊", "康岸", "文岸", "潮园", "潮澜", "瑞湾", "望坊", "凌轩", "朝湾",
	"栖桥", "安汀", "朝岸", "观苑", "康汀", "潮阁", "瑞桥", "康坊", "鹤台", "栖湾",
	"康澜", "望澜", "栖坊", "晴府", "观坊", "康阁", "潮湾", "朝坊", "锦台", "凌苑",
	"鹤轩", "凌府", "嘉汀", "翠桥", "安府", "和轩", "澄阁", "锦汀", "朝园", "栖岸",
	"潮桥", "泰轩", "朝苑", "凌澜", "云府", "凌园", "云苑", "朝庭", "鹤澜", "乐澜",
}

var plainStems = []string{
	"塘岩", "菱山", "丹畈", "菱湾", "塘岱", "荷圩", "塘坞", "翠陂", "丹渡", "雁滩",
	"青畈", "前陂", "金垄", "桐洲", "茶渡", "芦口", "后岱", "新岱", "凤垄", "前垄",
	"松滩", "松岱", "杉洲", "金陂", "溪垟", "金垟", "碧垄", "翠岱", "银畈", "凤畈",
	"梅埠", "桐圩", "银垄", "芦岱", "岚渡", "云畈", "碧埠", "松埠", "翠畈", "岚陂",
	"茶圩", "枫洲", "芦圩", "碧湾", "雁畈", "樟岱", "鹭岗", "芦坞", "碧口", "岚洲",
	"溪埠", "兰畈", "金岱", "碧圩", "茶畈", "桐渡", "枫圩", "芦渡", "菱岙", "霞畈",
	"樟垄", "枫岱", "岚塘", "雁湾", "银口", "鹭垟", "岭埠", "鹤渡", "茶桥", "凤渡",
	"杉畈", "银渡", "雁圩", "枫岗", "霞埠", "鹤洋", "菱垄", "樟畈", "桃滩", "桃岗",
	"茶岱", "荷埠", "霞坞", "枫陂", "竹岱", "桃垄", "菱桥", "枫垄", "鹭桥", "芦畈",
}

var mountainStems = []string{
	"丹坪", "蟠源", "雾坑", "岚岩", "凤坞", "雁坪", "兰坞", "樟岩", "蟠岙", "菱坞",
	"蟠坞", "柳岭", "杉岙", "岭岙", "雁坑", "鹭岭", "翠源", "鹤岩", "云坞", "雾源",
	"凤源", "蟠岭", "雾坪", "岚岭", "荷岙", "雾岙", "杉田", "碧岙", "松畈", "翠岩",
}

var islandStems = []string{"鹭岙", "西岱", "银岱", "荷滩", "鹭滩", "霞岱"}
