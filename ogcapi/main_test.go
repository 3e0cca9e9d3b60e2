package ogcapi_test

import (
	"testing"

	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
