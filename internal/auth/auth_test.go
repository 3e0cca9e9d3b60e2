package auth

import "testing"

func TestAllows(t *testing.T) {
	tests := []struct {
		have, need Role
		want       bool
	}{
		{Viewer, "", true},
		{Viewer, Viewer, true},
		{Viewer, Planner, false},
		{Planner, Planner, true},
		{Planner, NamesEditor, false},
		{NamesEditor, NamesEditor, true},
		{NamesEditor, BoundaryEditor, false},
		{BoundaryEditor, BoundaryEditor, true},
		{Admin, Planner, true},
		{Admin, Admin, true},
		{Planner, Admin, false},
		{"", "", false},
		{NamesEditor, Planner + "|" + NamesEditor, true},
		{BoundaryEditor, Planner + "|" + NamesEditor, false},
		{Viewer, Planner + "|" + NamesEditor + "|" + BoundaryEditor, false},
		{Admin, Planner + "|" + BoundaryEditor, true},
	}
	for _, tt := range tests {
		if got := Allows(tt.have, tt.need); got != tt.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", tt.have, tt.need, got, tt.want)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole(root) accepted")
	}
	if r, err := ParseRole("names-editor"); err != nil || r != NamesEditor {
		t.Errorf("ParseRole(names-editor) = %q, %v", r, err)
	}
}
