package importers_test

import "strconv"

func strconvFormat(f float64) string { return strconv.FormatFloat(f, 'f', 8, 64) }
