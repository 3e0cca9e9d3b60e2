package gazetteer

import "strconv"

// HouseNumberText is the canonical written form of a house number with its suffix, the
// form the plate shows (GB 17733 门牌 layout, and the map labels): 12号; 甲/乙/丙/丁 and
// 附 go before the number (甲12号, 附12号); 之一/之二/之三 … after 号 (12号之一). Every
// address text the API returns is written this way; the search and the address parser
// read the other common spellings (12甲号, 12号甲, 12之一号, 12号附) as this one.
func HouseNumberText(n int, suffix string) string {
	num := strconv.Itoa(n)
	switch suffix {
	case "":
		return num + "号"
	case "甲", "乙", "丙", "丁", "附":
		return suffix + num + "号"
	}
	return num + "号" + suffix
}
