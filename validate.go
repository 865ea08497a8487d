package crmsync

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

func checkRequired(v *Validation, field, value string, max int) {
	if strings.TrimSpace(value) == "" {
		v.Add(field, "is required")
		return
	}
	checkLen(v, field, value, max)
}

func checkLen(v *Validation, field, value string, max int) {
	if n := utf8.RuneCountInString(value); n > max {
		v.Add(field, "is %d characters long; shorten it to at most %d", n, max)
	} else if !utf8.ValidString(value) {
		v.Add(field, "is not valid UTF-8 text")
	}
}

// checkEmail accepts an empty value (presence is checked separately) or one
// bare address such as "ada@example.com".
func checkEmail(v *Validation, field, value string) {
	if value == "" {
		return
	}
	if !ValidEmail(value) {
		v.Add(field, "%q is not a valid email address; use the form name@example.com", value)
	}
}

// ValidEmail reports whether s is one bare email address with a dotted domain,
// the shape every supported CRM accepts.
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

func checkURL(v *Validation, field, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" && !strings.Contains(value, ".") {
		v.Add(field, "%q is not a web address; use the form example.com or https://example.com", value)
	}
}
