// Package tmpl renders config templates with values from a secrets file.
//
// # Secrets
//
// The secrets file is a TOML document of any nesting. [ParseSecrets] decodes
// it; its errors give a position and never the text at that position, which
// would be a secret.
//
// # Placeholders
//
// A placeholder is {{ secrets.PATH }} or {{ secrets.PATH | FILTER }}, with
// optional blanks inside the braces. PATH is a dotted key path: bare keys
// (A-Z a-z 0-9 _ -) or double-quoted keys for keys that hold dots or other
// characters, as in {{secrets.mcp."api.key"}}. Only tags whose text starts
// with "secrets." are placeholders; any other {{ ... }}, of Go templates,
// Handlebars or Jinja, is left byte for byte. A backslash right before the
// braces writes a placeholder literally: \{{secrets.x}} becomes {{secrets.x}}.
//
// A placeholder must close on its own line. It must name a single value: a
// string is inserted as it is, and numbers, booleans and datetimes in their
// TOML form; a table or an array is an error.
//
// # filters
//
// The filter escapes the value for the place it stands in (see [escape]).
// Without one, the file's extension chooses: .json, .toml, .yaml and .yml get
// their format's string escaping, anything else the raw value.
//
// # Strictness
//
// An unknown key, an unknown filter or an unterminated placeholder is a
// [Problem]; rendering reports all problems of all files at once and then
// renders nothing. A .json or .toml template that was valid before rendering
// must still be valid after it. No message holds a secret value.
//
// # Size and memory
//
// A template may be at most [maxTemplateSize]. A larger file that Parse
// would take for a template (it holds "{{", blanks and "secrets.", and no
// NUL byte) is a problem, which says where its first placeholder starts:
// linked as a plain file, it would give its placeholders unrendered. [Load]
// finds out with a scan in 64 KiB reads and keeps nothing of it. Any other
// larger file is a plain file.
//
// [Tree.Render] holds no rendered file whole: it resolves and escapes each
// value, and [Rendered.Fill] then writes the file straight where it goes.
// To check a .json or .toml template, Render writes it into scratch memory
// outside the heap, locked when it can be, zeroed after the check and
// unmapped at the end. The TOML check decodes the file whole with the TOML
// library, which takes many times its size.
//
// The scanner is written here rather than taken from a template library
// because it must leave foreign tags alone (a library that pairs each {{ with
// the next }} would swallow a placeholder that follows an unclosed foreign
// {{) and must give each problem a line and column.
package tmpl
