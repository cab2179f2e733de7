package tmpl

// Document returns the decoded secrets as the TOML decoder gives them, for
// code that works on the whole document (a merge, a listing of its keys):
// tables are map[string]any, arrays []any (or []map[string]any for arrays
// of tables), and the rest string, int64, float64, bool or time.Time, whose
// Location is named "datetime-local", "date-local" or "time-local" for
// TOML's local kinds. The caller must not change it.
func (s *Secrets) Document() map[string]any { return s.root }
