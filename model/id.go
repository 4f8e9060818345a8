package model

import "fmt"

// MaxIDLength bounds an id. Ids are 1 to MaxIDLength characters of
// A–Z, a–z, 0–9 and . _ : - (the pattern IDPattern): enough for any
// upstream system's keys, safe in a URL path, a Redis key and a log line
// as they are. A name (a skill, tool or certification) may be any
// printable text up to the same length.
const MaxIDLength = 128

// IDPattern is the alphabet and length of every id, as a regular
// expression for the OpenAPI document.
const IDPattern = `^[A-Za-z0-9._:-]{1,128}$`

// IDProblem says what is wrong with an id, or returns "" for a valid one.
func IDProblem(id string) string {
	if id == "" {
		return "missing"
	}
	if len(id) > MaxIDLength {
		return fmt.Sprintf("%d characters; at most %d", len(id), MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return fmt.Sprintf("%q is not allowed in an id: use A-Z a-z 0-9 . _ : -", rune(id[i]))
		}
	}
	return ""
}

func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
}

// NameProblem says what is wrong with a name (a skill, tool or
// certification), or returns "": a name is 1 to MaxIDLength bytes of
// text without control characters.
func NameProblem(name string) string {
	if name == "" {
		return "empty"
	}
	if len(name) > MaxIDLength {
		return fmt.Sprintf("%d characters; at most %d", len(name), MaxIDLength)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Sprintf("control character %q in a name", r)
		}
	}
	return ""
}

// checkID reports an invalid id in field.
func checkID(v *checker, field, id string) {
	if p := IDProblem(id); p != "" {
		v.add(field, p)
	}
}

// checkOptionalID reports an invalid id in field, if one is given.
func checkOptionalID(v *checker, field, id string) {
	if id != "" {
		checkID(v, field, id)
	}
}

// checkIDs reports the invalid ids of the list in field.
func checkIDs(v *checker, field string, ids []string) {
	for i, id := range ids {
		if p := IDProblem(id); p != "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), p)
		}
	}
}
