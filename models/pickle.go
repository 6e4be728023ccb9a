package models

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This is a pickle interpreter for what torch.save writes for a state_dict and nothing
// more: it builds plain values (tuples, lists, dicts, strings, numbers) and calls no Python
// code. A GLOBAL is only a name; REDUCE is allowed on a short list of torch and
// collections callables (torchStateDict.reduce), so a pickle cannot make it do anything
// but fail. The whole pickle sits in memory (ReadStateDict caps its size), so every length
// it declares is checked against the bytes that remain before it is used, and nothing is
// allocated from a declared length.
//
// gopickle (github.com/nlpodyssey/gopickle v0.3.0, the newest the proxy serves) was not
// used: its Unpickler allocates make([]byte, n) for lengths read from the stream (BINBYTES8,
// BINUNICODE8, FRAME), indexes SETITEMS pairs without checking their count (a panic on odd
// input), and its pytorch loader sizes storages from the pickle before looking at the zip.

// pyGlobal is a GLOBAL or STACK_GLOBAL reference, kept as a name.
type pyGlobal struct{ module, name string }

type pyTuple []any

type pyList struct{ items []any }

// pyDict keeps insertion order. Only string keys are indexed; other keys are kept in order
// but never looked up (a tuple key could not be a Go map key).
type pyDict struct {
	keys, values []any
	index        map[string]int
}

func newPyDict() *pyDict { return &pyDict{index: map[string]int{}} }

func (d *pyDict) set(k, v any) {
	if s, ok := k.(string); ok {
		if i, ok := d.index[s]; ok {
			d.values[i] = v
			return
		}
		d.index[s] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.values = append(d.values, v)
}

// pyMark is pushed by MARK; it never escapes the stack.
type pyMark struct{}

// pyTypeName names a value's Python type for error messages without printing the value,
// which may be large or cyclic.
func pyTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case pyGlobal:
		return v.module + "." + v.name
	case *torchStorage:
		return "torch." + v.typ
	case *torchTensor:
		return "torch.Tensor"
	}
	return fmt.Sprintf("%T", v)
}

// pickleHooks are the two points where a pickle refers to the outside world.
type pickleHooks interface {
	persistentLoad(pid any) (any, error)
	reduce(fn pyGlobal, args pyTuple) (any, error)
}

type unpickler struct {
	b     []byte
	pos   int
	stack []any
	memo  map[uint64]any
	hooks pickleHooks
}

var errPickleShort = errors.New("pickle ends early")

func (u *unpickler) take(n uint64) ([]byte, error) {
	if n > uint64(len(u.b)-u.pos) {
		return nil, errPickleShort
	}
	s := u.b[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return s, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	s, err := u.take(uint64(n))
	if err != nil {
		return 0, err
	}
	var buf [8]byte
	copy(buf[:], s)
	return binary.LittleEndian.Uint64(buf[:]), nil
}

func (u *unpickler) line() (string, error) {
	for i := u.pos; i < len(u.b) && i-u.pos <= MaxNameLen; i++ {
		if u.b[i] == '\n' {
			s := string(u.b[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", errors.New("GLOBAL name without a newline within 256 bytes")
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, isMark := v.(pyMark); isMark {
		return nil, errors.New("MARK where a value was expected")
	}
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	if _, isMark := v.(pyMark); isMark {
		return nil, errors.New("MARK where a value was expected")
	}
	return v, nil
}

// popMark returns the values above the topmost MARK, removing them and the MARK.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, isMark := u.stack[i].(pyMark); isMark {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, errors.New("no MARK on the stack")
}

func (u *unpickler) popN(n int) ([]any, error) {
	if len(u.stack) < n {
		return nil, errors.New("stack underflow")
	}
	items := append([]any(nil), u.stack[len(u.stack)-n:]...)
	for _, it := range items {
		if _, isMark := it.(pyMark); isMark {
			return nil, errors.New("MARK inside a tuple")
		}
	}
	u.stack = u.stack[:len(u.stack)-n]
	return items, nil
}

// indexWidth is the memo index size of BINPUT/BINGET (1 byte) and their LONG_ forms (4).
func indexWidth(op byte) int {
	if op == 'q' || op == 'h' {
		return 1
	}
	return 4
}

func (u *unpickler) memoize(idx uint64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[idx] = v
	return nil
}

// unpickle runs the pickle, which must be all of b, to its STOP and returns the value it
// leaves.
func unpickle(b []byte, hooks pickleHooks) (any, error) {
	v, end, err := unpickleAt(b, 0, hooks)
	if err != nil {
		return nil, err
	}
	if end != len(b) {
		return nil, fmt.Errorf("pickle has %d bytes after STOP", len(b)-end)
	}
	return v, nil
}

// unpickleAt runs the pickle that starts at b[start] to its STOP and returns the value it
// leaves and the position after the STOP: the legacy torch.save format is several pickles
// in a row. Errors give byte positions in b.
func unpickleAt(b []byte, start int, hooks pickleHooks) (any, int, error) {
	u := &unpickler{b: b, pos: start, memo: map[uint64]any{}, hooks: hooks}
	for {
		at := u.pos
		op, err := u.take(1)
		if err != nil {
			return nil, 0, err
		}
		done, err := u.step(op[0])
		if err != nil {
			return nil, 0, fmt.Errorf("pickle opcode %q at byte %d: %w", op[0], at, err)
		}
		if done {
			v, err := u.pop()
			if err != nil {
				return nil, 0, err
			}
			if len(u.stack) != 0 {
				return nil, 0, errors.New("pickle leaves values on the stack at STOP")
			}
			return v, u.pos, nil
		}
	}
}

// step interprets one opcode; it reports true at STOP.
func (u *unpickler) step(op byte) (bool, error) {
	switch op {
	case 0x80: // PROTO
		v, err := u.uint(1)
		if err != nil {
			return false, err
		}
		if v < 2 || v > 5 {
			return false, fmt.Errorf("pickle protocol %d (want 2..5)", v)
		}
	case 0x95: // FRAME: only groups the opcodes that follow; check and go on
		n, err := u.uint(8)
		if err != nil {
			return false, err
		}
		if n > uint64(len(u.b)-u.pos) {
			return false, errPickleShort
		}
	case '.': // STOP
		return true, nil
	case '(': // MARK
		u.push(pyMark{})
	case '0': // POP
		_, err := u.pop()
		return false, err
	case '1': // POP_MARK
		_, err := u.popMark()
		return false, err
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'J': // BININT
		v, err := u.uint(4)
		if err != nil {
			return false, err
		}
		u.push(int64(int32(uint32(v))))
	case 'K': // BININT1
		v, err := u.uint(1)
		if err != nil {
			return false, err
		}
		u.push(int64(v))
	case 'M': // BININT2
		v, err := u.uint(2)
		if err != nil {
			return false, err
		}
		u.push(int64(v))
	case 0x8a: // LONG1: little-endian two's complement of n bytes
		n, err := u.uint(1)
		if err != nil {
			return false, err
		}
		if n > 8 {
			return false, fmt.Errorf("integer of %d bytes does not fit int64", n)
		}
		v, err := u.uint(int(n))
		if err != nil {
			return false, err
		}
		if n > 0 && n < 8 && v&(1<<(8*n-1)) != 0 {
			v |= ^uint64(0) << (8 * n) // sign-extend
		}
		u.push(int64(v))
	case 'G': // BINFLOAT, big-endian
		s, err := u.take(8)
		if err != nil {
			return false, err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(s)))
	case 'X', 0x8c, 0x8d, 'T', 'U': // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, BINSTRING, SHORT_BINSTRING
		// BINSTRING and SHORT_BINSTRING are Python 2's str, which torch.load decodes as
		// UTF-8 text like the others.
		width := 4
		if op == 0x8c || op == 'U' {
			width = 1
		} else if op == 0x8d {
			width = 8
		}
		n, err := u.uint(width)
		if err != nil {
			return false, err
		}
		s, err := u.take(n)
		if err != nil {
			return false, err
		}
		u.push(string(s))
	case ')':
		u.push(pyTuple{})
	case 't':
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(pyTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		items, err := u.popN(int(op - 0x84))
		if err != nil {
			return false, err
		}
		u.push(pyTuple(items))
	case ']':
		u.push(&pyList{})
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(&pyList{items: items})
	case 'a', 'e': // APPEND, APPENDS
		var items []any
		var err error
		if op == 'a' {
			var v any
			v, err = u.pop()
			items = []any{v}
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return false, err
		}
		top, err := u.top()
		if err != nil {
			return false, err
		}
		l, ok := top.(*pyList)
		if !ok {
			return false, fmt.Errorf("append to %s", pyTypeName(top))
		}
		l.items = append(l.items, items...)
	case '}':
		u.push(newPyDict())
	case 'd', 's', 'u': // DICT, SETITEM, SETITEMS
		var items []any
		var err error
		if op == 's' {
			items, err = u.popN(2)
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return false, err
		}
		if len(items)%2 != 0 {
			return false, fmt.Errorf("%d values for key-value pairs", len(items))
		}
		var d *pyDict
		if op == 'd' {
			d = newPyDict()
			u.push(d)
		} else {
			top, err := u.top()
			if err != nil {
				return false, err
			}
			var ok bool
			if d, ok = top.(*pyDict); !ok {
				return false, fmt.Errorf("set item of %s", pyTypeName(top))
			}
		}
		for i := 0; i < len(items); i += 2 {
			d.set(items[i], items[i+1])
		}
	case 'c': // GLOBAL
		module, err := u.line()
		if err != nil {
			return false, err
		}
		name, err := u.line()
		if err != nil {
			return false, err
		}
		u.push(pyGlobal{module, name})
	case 0x93: // STACK_GLOBAL
		items, err := u.popN(2)
		if err != nil {
			return false, err
		}
		module, ok1 := items[0].(string)
		name, ok2 := items[1].(string)
		if !ok1 || !ok2 {
			return false, errors.New("STACK_GLOBAL needs two strings")
		}
		u.push(pyGlobal{module, name})
	case 'q', 'r': // BINPUT, LONG_BINPUT
		idx, err := u.uint(indexWidth(op))
		if err != nil {
			return false, err
		}
		return false, u.memoize(idx)
	case 0x94: // MEMOIZE
		return false, u.memoize(uint64(len(u.memo)))
	case 'h', 'j': // BINGET, LONG_BINGET
		idx, err := u.uint(indexWidth(op))
		if err != nil {
			return false, err
		}
		v, ok := u.memo[idx]
		if !ok {
			return false, fmt.Errorf("memo %d is empty", idx)
		}
		u.push(v)
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := u.hooks.persistentLoad(pid)
		if err != nil {
			return false, err
		}
		u.push(v)
	case 'R': // REDUCE
		items, err := u.popN(2)
		if err != nil {
			return false, err
		}
		fn, ok := items[0].(pyGlobal)
		if !ok {
			return false, fmt.Errorf("call of %s", pyTypeName(items[0]))
		}
		args, ok := items[1].(pyTuple)
		if !ok {
			return false, fmt.Errorf("%s called with %s, want a tuple", pyTypeName(fn), pyTypeName(items[1]))
		}
		v, err := u.hooks.reduce(fn, args)
		if err != nil {
			return false, err
		}
		u.push(v)
	case 'b': // BUILD: object state; a state_dict's only is OrderedDict's _metadata, ignored
		if _, err := u.pop(); err != nil {
			return false, err
		}
		top, err := u.top()
		if err != nil {
			return false, err
		}
		switch top.(type) {
		case *pyDict, *torchTensor:
		default:
			return false, fmt.Errorf("BUILD on %s", pyTypeName(top))
		}
	default:
		return false, errors.New("opcode not used by torch.save state_dicts, unsupported")
	}
	return false, nil
}
