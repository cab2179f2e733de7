package project

import (
	"bytes"
	"strings"
	"testing"
)

func TestKeyTags(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	other := bytes.Repeat([]byte{2}, 32)
	text := `
a = "hunter2"
b = "hunter2"
n = 5432
list = [1, 2]
[t]
"x.y" = 1979-05-27
[empty]
`
	tags, err := KeyTags([]byte(text), key)
	if err != nil {
		t.Fatal(err)
	}
	var keys, kinds []string
	byKey := map[string]string{}
	for _, kt := range tags {
		keys = append(keys, kt.Key)
		kinds = append(kinds, kt.Kind)
		byKey[kt.Key] = kt.Tag
		if len(kt.Tag) != 2*tagLen || strings.Contains(kt.Tag, "hunter") {
			t.Errorf("tag %q", kt.Tag)
		}
	}
	if got := strings.Join(keys, " "); got != `a b empty list n t."x.y"` {
		t.Errorf("keys %s", got)
	}
	if got := strings.Join(kinds, ","); got != "string,string,empty table,array,integer,local date" {
		t.Errorf("kinds %s", got)
	}
	if byKey["a"] == byKey["b"] {
		t.Error("two keys with one value have one tag: the tag tells that they are equal")
	}
	again, _ := KeyTags([]byte("# another layout\nb = 'hunter2'\n"+text[strings.Index(text, "n ="):]+"a = \"hunter2\"\n"), key)
	for _, kt := range again {
		if kt.Key == "a" && kt.Tag != byKey["a"] {
			t.Error("the same value has another tag")
		}
	}
	changed, _ := KeyTags([]byte(strings.Replace(text, `a = "hunter2"`, `a = "hunter3"`, 1)), key)
	if changed[0].Tag == byKey["a"] || changed[1].Tag != byKey["b"] {
		t.Errorf("after a change of a: %v, before %v", changed[:2], tags[:2])
	}
	mine, _ := KeyTags([]byte(text), other)
	if mine[0].Tag == tags[0].Tag {
		t.Error("another tag key gives the same tag")
	}
	if _, err := KeyTags([]byte(text), nil); err == nil {
		t.Error("no tag key: tags anyone could compute")
	}
}
