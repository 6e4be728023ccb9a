package tfjs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bundled TF.js models (such as the ones an npm package ships as scripts) hold the model
// JSON as a minified JavaScript object literal, and each weight shard as a base64 string
// literal, assigned to a CommonJS module's exports. jsLiteral turns such a literal into
// JSON: unquoted keys are quoted, numbers are written the JSON way (".5" → "0.5"), and the
// minifier's !0 / !1 become true / false.

// maxNesting bounds the depth of arrays and objects, so that hostile input cannot exhaust
// the stack.
const maxNesting = 256

// exportedLiteral finds the value assigned to a module's exports in a bundled script:
// the first `exports=` followed by an object or a string literal (the bundler's own
// `module.exports=e()` is followed by neither). It returns the literal as JSON.
func exportedLiteral(src []byte) ([]byte, error) {
	const marker = "exports="
	for off := 0; ; {
		i := bytes.Index(src[off:], []byte(marker))
		if i < 0 {
			return nil, errors.New("no `exports=` followed by an object or a string: not a bundled TF.js model script")
		}
		start := off + i + len(marker)
		if start < len(src) && (src[start] == '{' || src[start] == '"' || src[start] == '\'') {
			p := &jsParser{src: src, pos: start}
			var out bytes.Buffer
			if err := p.value(&out, 0); err != nil {
				return nil, fmt.Errorf("the literal at byte %d: %w", start, err)
			}
			return out.Bytes(), nil
		}
		off = start
	}
}

type jsParser struct {
	src []byte
	pos int
}

func (p *jsParser) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsParser) peek() (byte, bool) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return 0, false
	}
	return p.src[p.pos], true
}

// value writes one JavaScript literal value as JSON.
func (p *jsParser) value(out *bytes.Buffer, depth int) error {
	if depth > maxNesting {
		return p.errorf("nested deeper than %d", maxNesting)
	}
	c, ok := p.peek()
	if !ok {
		return p.errorf("unexpected end of input")
	}
	switch {
	case c == '{':
		return p.object(out, depth)
	case c == '[':
		return p.array(out, depth)
	case c == '"' || c == '\'':
		s, err := p.str()
		if err != nil {
			return err
		}
		writeString(out, s)
		return nil
	case c == '!':
		// The minifier's booleans: !0 is true, !1 is false.
		if p.pos+1 < len(p.src) && (p.src[p.pos+1] == '0' || p.src[p.pos+1] == '1') {
			out.WriteString(map[byte]string{'0': "true", '1': "false"}[p.src[p.pos+1]])
			p.pos += 2
			return nil
		}
		return p.errorf("unsupported expression after '!'")
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number(out)
	case isIdentStart(c):
		id := p.ident()
		switch id {
		case "true", "false", "null":
			out.WriteString(id)
			return nil
		case "void":
			// void 0 is undefined: null in JSON.
			if c, ok := p.peek(); ok && c == '0' {
				p.pos++
				out.WriteString("null")
				return nil
			}
		}
		return p.errorf("unsupported identifier %q in a literal", id)
	}
	return p.errorf("unexpected character %q", c)
}

func (p *jsParser) object(out *bytes.Buffer, depth int) error {
	p.pos++ // {
	out.WriteByte('{')
	for first := true; ; first = false {
		c, ok := p.peek()
		if !ok {
			return p.errorf("unterminated object")
		}
		if c == '}' {
			p.pos++
			out.WriteByte('}')
			return nil
		}
		if !first {
			if c != ',' {
				return p.errorf("want ',' or '}' in an object, got %q", c)
			}
			p.pos++
			if c, ok = p.peek(); ok && c == '}' { // trailing comma
				p.pos++
				out.WriteByte('}')
				return nil
			}
			out.WriteByte(',')
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		writeString(out, key)
		if c, ok := p.peek(); !ok || c != ':' {
			return p.errorf("want ':' after key %q", key)
		}
		p.pos++
		out.WriteByte(':')
		if err := p.value(out, depth+1); err != nil {
			return err
		}
	}
}

func (p *jsParser) array(out *bytes.Buffer, depth int) error {
	p.pos++ // [
	out.WriteByte('[')
	for first := true; ; first = false {
		c, ok := p.peek()
		if !ok {
			return p.errorf("unterminated array")
		}
		if c == ']' {
			p.pos++
			out.WriteByte(']')
			return nil
		}
		if !first {
			if c != ',' {
				return p.errorf("want ',' or ']' in an array, got %q", c)
			}
			p.pos++
			if c, ok = p.peek(); ok && c == ']' {
				p.pos++
				out.WriteByte(']')
				return nil
			}
			out.WriteByte(',')
		}
		if err := p.value(out, depth+1); err != nil {
			return err
		}
	}
}

// key reads an object key: an identifier, a string or a number.
func (p *jsParser) key() (string, error) {
	c, ok := p.peek()
	switch {
	case !ok:
		return "", p.errorf("unterminated object")
	case c == '"' || c == '\'':
		return p.str()
	case isIdentStart(c):
		return p.ident(), nil
	case c >= '0' && c <= '9':
		start := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		return string(p.src[start:p.pos]), nil
	}
	return "", p.errorf("unexpected %q where an object key should be", c)
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *jsParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !isIdentStart(c) && !(c >= '0' && c <= '9') {
			break
		}
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// number reads a JavaScript decimal number and writes it as JSON.
func (p *jsParser) number(out *bytes.Buffer) error {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !(c >= '0' && c <= '9') && c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+' {
			break
		}
		p.pos++
	}
	text := string(p.src[start:p.pos])
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("byte %d: bad number %q", start, text)
	}
	out.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	return nil
}

// str reads a single- or double-quoted string literal with JavaScript's escapes.
func (p *jsParser) str() (string, error) {
	quote := p.src[p.pos]
	start := p.pos
	p.pos++
	// Fast path: base64 shards are megabytes with no escapes.
	if j := bytes.IndexByte(p.src[p.pos:], quote); j >= 0 && bytes.IndexByte(p.src[p.pos:p.pos+j], '\\') < 0 {
		s := p.src[p.pos : p.pos+j]
		if bytes.IndexByte(s, '\n') >= 0 {
			return "", fmt.Errorf("byte %d: newline in a string literal", start)
		}
		p.pos += j + 1
		return string(s), nil
	}
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\n':
			return "", fmt.Errorf("byte %d: newline in a string literal", start)
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.src) {
			break
		}
		e := p.src[p.pos+1]
		p.pos += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case 'x', 'u':
			n := map[byte]int{'x': 2, 'u': 4}[e]
			if p.pos+n > len(p.src) {
				return "", fmt.Errorf("byte %d: truncated \\%c escape", p.pos-2, e)
			}
			v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
			if err != nil {
				return "", fmt.Errorf("byte %d: bad \\%c escape", p.pos-2, e)
			}
			p.pos += n
			b.WriteRune(rune(v))
		default:
			b.WriteByte(e) // \" \' \\ \/ and JavaScript's identity escapes
		}
	}
	return "", fmt.Errorf("byte %d: unterminated string", start)
}

// writeString writes s as a JSON string; invalid UTF-8 becomes U+FFFD as encoding/json does.
func writeString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r < 0x20:
			fmt.Fprintf(out, `\u%04x`, r)
		case r == utf8.RuneError:
			out.WriteString("\ufffd")
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}
