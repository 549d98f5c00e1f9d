package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bounds on the work one document can cause, applied while parsing so that
// hostile input costs no more than a large real plan: nesting (valid answers
// are at most five levels deep), values in all, and members kept per list or
// object (one more than any field allows, so the binder can still say "too
// many"; the rest are read for syntax and counted, not kept).
const (
	maxDepth   = 32
	maxTokens  = 50_000
	maxMembers = 1_000
	maxKeys    = 64
)

// node is one JSON value with object members kept in document order, so the
// binder can report unknown fields, wrong types and duplicate keys all at once
// (encoding/json stops at the first problem and forgets duplicates).
type node struct {
	kind  nodeKind
	str   string // string value, or number literal
	b     bool
	keys  []string
	vals  []*node
	elems []*node
	count int // members of a list or object, including those not kept
}

type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

func (k nodeKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "true or false"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindObject:
		return "an object"
	default:
		return "a list"
	}
}

// parseTree reads exactly one JSON document. Errors carry the path of the
// value being read so that even a syntax error points somewhere useful.
func parseTree(data []byte) (*node, *FieldError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := parser{dec: dec}
	n, ferr := p.value(rootPath, 0, true)
	if ferr != nil {
		return nil, ferr
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Field: rootPath, Message: "has more data after the end of the JSON document; send one object"}
	}
	return n, nil
}

const rootPath = "answers"

// parser reads tokens within the budget.
type parser struct {
	dec    *json.Decoder
	tokens int
	budget int // while reading inventory.devices: its own bound on values
}

// The inventory's per-row list, and the values it may hold: each row is an
// object of two values, with room for a few unknown fields to be reported.
const (
	inventoryDevicesPath = "inventory.devices"
	inventoryTokens      = (MaxInventoryRows + 1) * 6
)

// value reads one value; keep false reads it for syntax only.
func (p *parser) value(path string, depth int, keep bool) (*node, *FieldError) {
	dec := p.dec
	if depth > maxDepth {
		return nil, &FieldError{Field: path, Message: fmt.Sprintf("is nested more than %d levels deep", maxDepth)}
	}
	if p.tokens++; p.budget == 0 && p.tokens > maxTokens {
		return nil, &FieldError{Field: rootPath, Message: fmt.Sprintf("holds more than %d values; the answers of even a large fleet have a few thousand", maxTokens)}
	}
	if p.budget > 0 && p.tokens > p.budget {
		return nil, &FieldError{Field: inventoryDevicesPath, Message: fmt.Sprintf("holds more than %s rows' worth of values; an inventory places at most %s rows", Thousands(MaxInventoryRows), Thousands(MaxInventoryRows))}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(path, dec, err)
	}
	switch v := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, b: v}, nil
	case json.Number:
		return &node{kind: kindNumber, str: string(v)}, nil
	case string:
		return &node{kind: kindString, str: v}, nil
	case json.Delim:
		if v == '[' {
			n := &node{kind: kindArray}
			// An imported inventory places each of up to 100,000 rows
			// (CONTRACT §8.5): that one list has a budget of its own, so
			// its size neither counts against the answers' values nor
			// stops at the members other lists keep.
			members, outer := maxMembers, 0
			if path == inventoryDevicesPath && depth == 2 {
				members, outer, p.tokens = MaxInventoryRows, p.tokens, 0
				p.budget = inventoryTokens
				defer func() { p.tokens, p.budget = outer, 0 }()
			}
			for i := 0; dec.More(); i++ {
				kept := keep && i <= members
				el, ferr := p.value(indexPath(path, i), depth+1, kept)
				if ferr != nil {
					return nil, ferr
				}
				if kept {
					n.elems = append(n.elems, el)
				}
				n.count++
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(path, dec, err)
			}
			return n, nil
		}
		n := &node{kind: kindObject}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, syntaxError(path, dec, err)
			}
			key, _ := kt.(string)
			kept := keep && n.count <= maxKeys
			val, ferr := p.value(fieldPath(path, key), depth+1, kept)
			if ferr != nil {
				return nil, ferr
			}
			if kept {
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, val)
			}
			n.count++
		}
		if _, err := dec.Token(); err != nil {
			return nil, syntaxError(path, dec, err)
		}
		return n, nil
	}
	return nil, &FieldError{Field: path, Message: "is not valid JSON"}
}

func syntaxError(path string, dec *json.Decoder, err error) *FieldError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FieldError{Field: path, Message: "is cut off: the JSON document ends too early"}
	}
	return &FieldError{Field: path, Message: fmt.Sprintf("is not valid JSON near byte %d: %v", dec.InputOffset(), err)}
}

// fieldPath names a member; a key longer than any real field is shortened,
// so that a hostile key is not echoed whole in every message, and an empty
// key is written as "" so that its messages still name a field.
func fieldPath(parent, key string) string {
	if r := []rune(key); len(r) > 40 {
		key = string(r[:40]) + "…"
	}
	if key == "" {
		key = `""`
	}
	if parent == rootPath {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string {
	if parent == rootPath {
		return "[" + strconv.Itoa(i) + "]"
	}
	return parent + "[" + strconv.Itoa(i) + "]"
}

// describe renders a node briefly for error messages.
func describe(n *node) string {
	switch n.kind {
	case kindString:
		return quote(n.str)
	case kindNumber:
		if len(n.str) > 24 {
			return fmt.Sprintf("a number %d characters long", len(n.str))
		}
		return n.str
	case kindBool:
		return strconv.FormatBool(n.b)
	case kindNull:
		return "null"
	case kindObject:
		return "an object"
	default:
		return "a list"
	}
}

// quote shows a user's value in a message, shortened so an error line stays readable.
func quote(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
