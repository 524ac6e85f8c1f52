package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// Formula limits: a formula is at most maxFormulaLen characters and
// maxFormulaNodes numbers, names and operators, nested at most maxDepth
// deep (parentheses, and formulas naming formulas).
const (
	maxFormulaLen   = 500
	maxFormulaNodes = 64
	maxDepth        = 8
)

// expr is a compiled formula: a number, a metric name, or an operator over
// two operands (unary minus is 0 - x).
type expr struct {
	op   byte // 0 number, 'n' name, 'a' aggregate leaf, '+', '-', '*', '/'
	num  float64
	name string
	leaf int // index of the aggregate column, once resolved
	l, r *expr
}

// parseFormula parses s: numbers, metric names, + - * / and parentheses.
func parseFormula(s string) (*expr, error) {
	if len(s) > maxFormulaLen {
		return nil, fmt.Errorf("is longer than %d characters", maxFormulaLen)
	}
	p := &parser{s: s}
	e, err := p.sum(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at %d", p.s[p.i:p.i+1], p.i+1)
	}
	if p.nodes > maxFormulaNodes {
		return nil, fmt.Errorf("has more than %d terms", maxFormulaNodes)
	}
	return e, nil
}

type parser struct {
	s     string
	i     int
	nodes int
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *parser) node(e *expr) *expr { p.nodes++; return e }

// sum and product parse a left-associative chain of operands joined by
// ops.
func (p *parser) sum(depth int) (*expr, error) { return p.chain(depth, "+-", p.product) }

func (p *parser) product(depth int) (*expr, error) { return p.chain(depth, "*/", p.unary) }

func (p *parser) chain(depth int, ops string, operand func(int) (*expr, error)) (*expr, error) {
	l, err := operand(depth)
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || !strings.ContainsRune(ops, rune(p.s[p.i])) {
			return l, nil
		}
		op := p.s[p.i]
		p.i++
		r, err := operand(depth)
		if err != nil {
			return nil, err
		}
		l = p.node(&expr{op: op, l: l, r: r})
	}
}

func (p *parser) unary(depth int) (*expr, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
		x, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		return p.node(&expr{op: '-', l: &expr{}, r: x}), nil
	}
	return p.atom(depth)
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && (c >= '0' && c <= '9' || c == ':' || c == '.'))
}

func (p *parser) atom(depth int) (*expr, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("ends where a number or metric name is expected")
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		if depth >= maxDepth {
			return nil, fmt.Errorf("nests parentheses more than %d deep", maxDepth)
		}
		p.i++
		e, err := p.sum(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("misses a closing parenthesis")
		}
		p.i++
		return e, nil
	case c >= '0' && c <= '9' || c == '.':
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		v, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			return nil, fmt.Errorf("has a bad number %q", p.s[p.i:j])
		}
		p.i = j
		return p.node(&expr{num: v}), nil
	case isNameByte(c, true):
		j := p.i
		for j < len(p.s) && isNameByte(p.s[j], j == p.i) {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		return p.node(&expr{op: 'n', name: name}), nil
	}
	return nil, fmt.Errorf("unexpected %q at %d", string(c), p.i+1)
}

// names lists the metric names e refers to.
func (e *expr) names(out []string) []string {
	if e == nil {
		return out
	}
	if e.op == 'n' {
		return append(out, e.name)
	}
	return e.r.names(e.l.names(out))
}

// eval computes e from the aggregate values of one cell; nil is empty
// (null): a missing value or a division by zero.
func (e *expr) eval(vals []*float64) *float64 {
	switch e.op {
	case 0:
		v := e.num
		return &v
	case 'a':
		return vals[e.leaf]
	}
	l, r := e.l.eval(vals), e.r.eval(vals)
	if l == nil || r == nil {
		return nil
	}
	var v float64
	switch e.op {
	case '+':
		v = *l + *r
	case '-':
		v = *l - *r
	case '*':
		v = *l * *r
	case '/':
		if *r == 0 {
			return nil
		}
		v = *l / *r
	}
	return &v
}

// String renders e back as a formula, fully parenthesised.
func (e *expr) String() string {
	switch e.op {
	case 0:
		return strconv.FormatFloat(e.num, 'g', -1, 64)
	case 'n':
		return e.name
	case 'a':
		return fmt.Sprintf("$%d", e.leaf)
	}
	var b strings.Builder
	b.WriteByte('(')
	b.WriteString(e.l.String())
	b.WriteByte(' ')
	b.WriteByte(e.op)
	b.WriteByte(' ')
	b.WriteString(e.r.String())
	b.WriteByte(')')
	return b.String()
}

// FormulaNames lists the metric names a formula refers to (none when it
// does not parse).
func FormulaNames(f string) []string {
	e, err := parseFormula(f)
	if err != nil {
		return nil
	}
	return e.names(nil)
}
