package salesforce

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// datePrefix recognises the start of an unquoted SOQL date literal.
var datePrefix = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// query is a parsed SOQL statement of the subset the sandbox supports:
//
//	SELECT f1, f2 | COUNT() FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST]] [LIMIT n] [OFFSET n]
//
// where cond combines `f op literal`, `f [NOT] IN (literals)` and `f [NOT] LIKE 'pattern'` with
// AND, OR, NOT and parentheses; literals are strings, numbers, true, false and null.
type query struct {
	fields     []string // as written; resolved against the object by the executor
	count      bool
	object     string
	where      expr
	orderBy    string
	desc       bool
	nullsLast  bool
	limit      int // -1 when absent
	offset     int
	fieldCols  []int // column of each selected field, for INVALID_FIELD messages
	objectCol  int
	source     string
	orderByCol int
	resolved   []*Field // selected fields, resolved by the executor
}

// expr is a WHERE-clause node.
type expr interface {
	eval(get func(field string) any) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }
type notExpr struct{ e expr }

// cmpExpr compares one field with literals: op is one of = != < <= > >= in like.
type cmpExpr struct {
	field  string
	col    int
	op     string
	values []any
	negate bool
}

func (e andExpr) eval(get func(string) any) bool { return e.l.eval(get) && e.r.eval(get) }
func (e orExpr) eval(get func(string) any) bool  { return e.l.eval(get) || e.r.eval(get) }
func (e notExpr) eval(get func(string) any) bool { return !e.e.eval(get) }

func (e *cmpExpr) eval(get func(string) any) bool {
	v := get(e.field)
	var res bool
	switch e.op {
	case "in":
		for _, lit := range e.values {
			if equalValues(v, lit) {
				res = true
				break
			}
		}
	case "like":
		s, _ := v.(string)
		p, _ := e.values[0].(string)
		res = v != nil && likeMatch(strings.ToLower(s), strings.ToLower(p))
	case "=":
		res = equalValues(v, e.values[0])
	case "!=":
		res = !equalValues(v, e.values[0])
	default:
		c, ok := compareValues(v, e.values[0])
		if !ok {
			return false
		}
		switch e.op {
		case "<":
			res = c < 0
		case "<=":
			res = c <= 0
		case ">":
			res = c > 0
		case ">=":
			res = c >= 0
		}
	}
	if e.negate {
		return !res
	}
	return res
}

// equalValues compares a stored value with a literal; SOQL string comparison is
// case-insensitive.
func equalValues(v, lit any) bool {
	if v == nil || lit == nil {
		return v == nil && lit == nil
	}
	switch x := v.(type) {
	case string:
		s, ok := lit.(string)
		return ok && strings.EqualFold(x, s)
	case float64:
		n, ok := lit.(float64)
		return ok && x == n
	case bool:
		b, ok := lit.(bool)
		return ok && x == b
	}
	return false
}

// compareValues orders two values of the same kind; ok is false for nil or mixed kinds.
func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		if x == y {
			return 0, true
		}
		if !x {
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

// likeMatch implements SOQL LIKE with % (any run) and _ (one character).
func likeMatch(s, p string) bool {
	sr, pr := []rune(s), []rune(p)
	var match func(i, j int) bool
	memo := map[[2]int]bool{}
	match = func(i, j int) bool {
		key := [2]int{i, j}
		if r, ok := memo[key]; ok {
			return r
		}
		var r bool
		switch {
		case j == len(pr):
			r = i == len(sr)
		case pr[j] == '%':
			r = match(i, j+1) || (i < len(sr) && match(i+1, j))
		case i < len(sr) && (pr[j] == '_' || pr[j] == sr[i]):
			r = match(i+1, j+1)
		}
		memo[key] = r
		return r
	}
	return match(0, 0)
}

// indexHint returns the field and values of a top-level equality / IN condition that every
// matching row must satisfy, so the executor can use an index instead of a scan.
func indexHint(e expr) (field string, values []any, ok bool) {
	switch x := e.(type) {
	case *cmpExpr:
		if !x.negate && (x.op == "=" || x.op == "in") {
			return x.field, x.values, true
		}
	case andExpr:
		if f, v, ok := indexHint(x.l); ok {
			return f, v, true
		}
		return indexHint(x.r)
	}
	return "", nil, false
}

// token is one lexical token of a SOQL statement.
type token struct {
	kind string // ident, string, number, date, punct, eof
	text string
	col  int // 1-based column
}

func lexSOQL(src string) ([]token, error) {
	var toks []token
	rs := []rune(src)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '\'':
			var sb strings.Builder
			j := i + 1
			for ; j < len(rs) && rs[j] != '\''; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
					switch rs[j] {
					case 'n':
						sb.WriteRune('\n')
					case 't':
						sb.WriteRune('\t')
					default:
						sb.WriteRune(rs[j])
					}
					continue
				}
				sb.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("line 1:%d mismatched character '<EOF>' expecting '''", i)
			}
			toks = append(toks, token{"string", sb.String(), i + 1})
			i = j + 1
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '.') {
				j++
			}
			toks = append(toks, token{"ident", string(rs[i:j]), i + 1})
			i = j
		case unicode.IsDigit(r) && datePrefix.MatchString(string(rs[i:min(i+10, len(rs))])):
			// Date and datetime literals are unquoted: 2025-06-10, 2025-06-10T15:00:00Z.
			j := i
			for j < len(rs) && strings.ContainsRune("0123456789-:TZ.+", rs[j]) {
				j++
			}
			toks = append(toks, token{"date", string(rs[i:j]), i + 1})
			i = j
		case unicode.IsDigit(r) || (r == '-' && i+1 < len(rs) && unicode.IsDigit(rs[i+1])):
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			toks = append(toks, token{"number", string(rs[i:j]), i + 1})
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "!=", "<>", "<=", ">=":
				if two == "<>" {
					two = "!="
				}
				toks = append(toks, token{"punct", two, i + 1})
				i += 2
				continue
			}
			if strings.ContainsRune("(),=<>", r) {
				toks = append(toks, token{"punct", string(r), i + 1})
				i++
				continue
			}
			return nil, fmt.Errorf("line 1:%d no viable alternative at character '%c'", i, r)
		}
	}
	toks = append(toks, token{"eof", "<EOF>", len(rs) + 1})
	return toks, nil
}

// soqlParser is a recursive-descent parser over lexSOQL's tokens.
type soqlParser struct {
	toks []token
	pos  int
	src  string
}

// malformed builds Salesforce's MALFORMED_QUERY message, which quotes the statement and
// points at the offending column.
func malformedAt(src string, col int, msg string) *restError {
	return errBadRequest(CodeMalformedQuery, fmt.Sprintf("\n%s\n%s^\nERROR at Row:1:Column:%d\n%s", src, strings.Repeat(" ", max(col-1, 0)), col, msg))
}

func (p *soqlParser) peek() token { return p.toks[p.pos] }
func (p *soqlParser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *soqlParser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == "ident" && strings.EqualFold(t.text, kw)
}

func (p *soqlParser) expectKeyword(kw string) *restError {
	if !p.isKeyword(kw) {
		return p.unexpected()
	}
	p.next()
	return nil
}

func (p *soqlParser) expectPunct(s string) *restError {
	if t := p.peek(); t.kind != "punct" || t.text != s {
		return p.unexpected()
	}
	p.next()
	return nil
}

func (p *soqlParser) unexpected() *restError {
	t := p.peek()
	return malformedAt(p.src, t.col, "unexpected token: "+t.text)
}

// parseSOQL parses src; errors are Salesforce-shaped 400 MALFORMED_QUERY answers.
func parseSOQL(src string) (*query, *restError) {
	toks, err := lexSOQL(src)
	if err != nil {
		return nil, errBadRequest(CodeMalformedQuery, err.Error())
	}
	p := &soqlParser{toks: toks, src: src}
	q := &query{limit: -1, source: src}
	if e := p.expectKeyword("SELECT"); e != nil {
		return nil, e
	}
	if p.isKeyword("COUNT") && p.toks[p.pos+1].text == "(" {
		p.pos += 2
		if e := p.expectPunct(")"); e != nil {
			return nil, e
		}
		q.count = true
	} else {
		for {
			t := p.next()
			if t.kind != "ident" || strings.EqualFold(t.text, "FROM") {
				p.pos--
				return nil, p.unexpected()
			}
			q.fields = append(q.fields, t.text)
			q.fieldCols = append(q.fieldCols, t.col)
			if p.peek().text != "," {
				break
			}
			p.next()
		}
	}
	if e := p.expectKeyword("FROM"); e != nil {
		return nil, e
	}
	t := p.next()
	if t.kind != "ident" {
		p.pos--
		return nil, p.unexpected()
	}
	q.object, q.objectCol = t.text, t.col
	if p.isKeyword("WHERE") {
		p.next()
		w, e := p.parseOr()
		if e != nil {
			return nil, e
		}
		q.where = w
	}
	if p.isKeyword("ORDER") {
		p.next()
		if e := p.expectKeyword("BY"); e != nil {
			return nil, e
		}
		t := p.next()
		if t.kind != "ident" {
			p.pos--
			return nil, p.unexpected()
		}
		q.orderBy, q.orderByCol = t.text, t.col
		if p.isKeyword("ASC") {
			p.next()
		} else if p.isKeyword("DESC") {
			p.next()
			q.desc = true
		}
		q.nullsLast = q.desc // Salesforce default: nulls first ascending, last descending
		if p.isKeyword("NULLS") {
			p.next()
			switch {
			case p.isKeyword("FIRST"):
				q.nullsLast = false
			case p.isKeyword("LAST"):
				q.nullsLast = true
			default:
				return nil, p.unexpected()
			}
			p.next()
		}
	}
	for _, kw := range []string{"LIMIT", "OFFSET"} {
		if !p.isKeyword(kw) {
			continue
		}
		p.next()
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != "number" || err != nil || n < 0 {
			p.pos--
			return nil, p.unexpected()
		}
		if kw == "LIMIT" {
			q.limit = n
		} else {
			q.offset = n
		}
	}
	if p.peek().kind != "eof" {
		return nil, p.unexpected()
	}
	return q, nil
}

func (p *soqlParser) parseOr() (expr, *restError) {
	l, e := p.parseAnd()
	if e != nil {
		return nil, e
	}
	for p.isKeyword("OR") {
		p.next()
		r, e := p.parseAnd()
		if e != nil {
			return nil, e
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *soqlParser) parseAnd() (expr, *restError) {
	l, e := p.parseUnary()
	if e != nil {
		return nil, e
	}
	for p.isKeyword("AND") {
		p.next()
		r, e := p.parseUnary()
		if e != nil {
			return nil, e
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *soqlParser) parseUnary() (expr, *restError) {
	if p.isKeyword("NOT") {
		p.next()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	if t := p.peek(); t.kind == "punct" && t.text == "(" {
		p.next()
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return p.parseCond()
}

func (p *soqlParser) parseCond() (expr, *restError) {
	f := p.next()
	if f.kind != "ident" {
		p.pos--
		return nil, p.unexpected()
	}
	c := &cmpExpr{field: f.text, col: f.col}
	if p.isKeyword("NOT") {
		p.next()
		c.negate = true
		if !p.isKeyword("IN") && !p.isKeyword("LIKE") {
			return nil, p.unexpected()
		}
	}
	switch {
	case p.isKeyword("IN"):
		p.next()
		c.op = "in"
		if e := p.expectPunct("("); e != nil {
			return nil, e
		}
		for {
			v, e := p.parseLiteral()
			if e != nil {
				return nil, e
			}
			c.values = append(c.values, v)
			if p.peek().text == "," {
				p.next()
				continue
			}
			break
		}
		if e := p.expectPunct(")"); e != nil {
			return nil, e
		}
	case p.isKeyword("LIKE"):
		p.next()
		c.op = "like"
		t := p.next()
		if t.kind != "string" {
			p.pos--
			return nil, p.unexpected()
		}
		c.values = []any{t.text}
	default:
		t := p.next()
		if t.kind != "punct" || !strings.Contains("= != < <= > >=", t.text) || t.text == "(" || t.text == ")" || t.text == "," {
			p.pos--
			return nil, p.unexpected()
		}
		c.op = t.text
		v, e := p.parseLiteral()
		if e != nil {
			return nil, e
		}
		c.values = []any{v}
	}
	return c, nil
}

func (p *soqlParser) parseLiteral() (any, *restError) {
	t := p.next()
	switch t.kind {
	case "string":
		return t.text, nil
	case "number":
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			break
		}
		return n, nil
	case "ident":
		switch strings.ToLower(t.text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
	case "date":
		if len(t.text) == len(time.DateOnly) {
			return t.text, nil
		}
		if tm, ok := parseDateTime(t.text); ok {
			return formatDateTime(tm), nil
		}
	}
	p.pos--
	return nil, p.unexpected()
}
