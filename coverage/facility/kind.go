// Package facility owns the civil-affairs service facilities that coverage is computed
// for (养老, 儿童福利, 殡葬, 老年食堂, 社会工作站, …): their kinds, types, SQL and HTTP
// handlers.
package facility

import "fangyuan/coverage"

// Kind identifies a kind of facility. Kinds are not a list in the code: the
// service standards in force (coverage.Standards, the standards file) define
// them, and KindsOf derives them.
type Kind struct {
	ID   string `json:"id"`
	Name string `json:"name"`    // zh-CN
	En   string `json:"name_en"` // English
	// Layer is the population layer the kind serves.
	Layer string `json:"layer"`
	// HasBeds marks kinds whose capacity is counted in beds; BedsField names the
	// capacity field that is the kind's beds.
	HasBeds   bool   `json:"has_beds"`
	BedsField string `json:"beds_field,omitempty"`
}

// KindOf is the facility kind a standard defines.
func KindOf(s coverage.Standard) Kind {
	return Kind{ID: s.ID, Name: s.Name, En: s.NameEn, Layer: s.Layer, HasBeds: s.BedsField != "", BedsField: s.BedsField}
}

// KindsOf returns the facility kinds of the standards in file order; nil
// standards are the built-in ones.
func KindsOf(std *coverage.Standards) []Kind {
	std = orDefault(std)
	out := make([]Kind, len(std.Kinds))
	for i, s := range std.Kinds {
		out[i] = KindOf(s)
	}
	return out
}

// ErrUnknownKind is wrapped by KindByID's error (it is coverage.ErrUnknownKind).
var ErrUnknownKind = coverage.ErrUnknownKind

// KindByID returns the kind with id in the standards in force (nil: the
// built-in ones). The error for an unknown id lists the known kinds.
func KindByID(std *coverage.Standards, id string) (Kind, error) {
	s, err := orDefault(std).Kind(id) // wraps ErrUnknownKind and lists the kinds
	if err != nil {
		return Kind{}, err
	}
	return KindOf(s), nil
}

var defaultStandards = coverage.DefaultStandards()

func orDefault(std *coverage.Standards) *coverage.Standards {
	if std == nil {
		return defaultStandards
	}
	return std
}

// Statuses of a facility.
var Statuses = []string{"operating", "planned", "closed"}
