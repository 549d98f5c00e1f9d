package inventory

import "fmt"

// Error is a problem with the whole file (not one row), in words a planner
// can act on; the wizard shows it beside the upload field.
type Error struct {
	// Line is the line of the file (or row of the sheet) the problem is on,
	// counting the heading; 0 when it concerns the whole file.
	Line int
	Msg  string
	// Columns is set when no column tells the platform: the file's columns,
	// so the wizard can ask which one does (Options.Mapping).
	Columns []Column
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func fail(line int, format string, args ...any) *Error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}
