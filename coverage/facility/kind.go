// Package facility owns the civil-affairs service facilities that coverage is computed
// for (养老, 儿童福利, 殡葬): their kinds, types, SQL and HTTP handlers.
package facility

import (
	"fmt"
	"slices"
	"strings"
)

// Kind identifies a kind of facility.
type Kind struct {
	ID   string `json:"id"`
	Name string `json:"name"`    // zh-CN
	En   string `json:"name_en"` // English
	// HasBeds marks kinds whose capacity is counted in beds.
	HasBeds bool `json:"has_beds"`
}

// Kinds are the facility kinds of DESIGN.md's service standards.
var Kinds = []Kind{
	{ID: "eldercare_center", Name: "居家养老服务中心", En: "Home-based eldercare service center"},
	{ID: "daycare_center", Name: "照料中心", En: "Village day-care center"},
	{ID: "eldercare_institution", Name: "养老机构", En: "Institutional eldercare", HasBeds: true},
	{ID: "childrens_home", Name: "儿童之家", En: "Children's home"},
	{ID: "child_welfare", Name: "儿童福利机构", En: "Child-welfare institution", HasBeds: true},
	{ID: "eco_burial", Name: "节地生态安葬点", En: "Eco-burial site"},
	{ID: "funeral_venue", Name: "集中治丧场所", En: "Centralized funeral venue"},
	{ID: "funeral_home", Name: "殡仪馆", En: "Funeral home"},
}

// KindByID returns the kind with id.
func KindByID(id string) (Kind, error) {
	i := slices.IndexFunc(Kinds, func(k Kind) bool { return k.ID == id })
	if i < 0 {
		ids := make([]string, len(Kinds))
		for j, k := range Kinds {
			ids[j] = k.ID
		}
		return Kind{}, fmt.Errorf("unknown facility kind %q (want one of %s)", id, strings.Join(ids, ", "))
	}
	return Kinds[i], nil
}

// Statuses of a facility.
var Statuses = []string{"operating", "planned", "closed"}
