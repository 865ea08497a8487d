package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/saleshive/crmsync"
)

// bufferPool recycles response buffers so that encoding a page of 1,000
// contacts does not allocate a fresh buffer per request.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one huge response from pinning memory in the pool.
const maxPooledBuffer = 4 << 20

// writeJSON encodes v into a pooled buffer and writes it with its length, so
// an encoding failure can still become a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufferPool.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	h := w.Header()
	if err := enc.Encode(v); err != nil {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"code":"internal","message":"Internal error."}}`+"\n")
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeOptions make decoding strict: an unknown member is an error (as
// are, by default in JSON v2, duplicate names and invalid UTF-8).
var decodeOptions = jsonv2.RejectUnknownMembers(true)

// decodeOne decodes the request body, at most limit bytes, into v: exactly
// one JSON object of v's shape with no unknown fields.
func decodeOne(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := newDecoder(w, r, limit)
	if err := peekObject(dec); err != nil {
		return err
	}
	if err := jsonv2.UnmarshalDecode(dec, v, decodeOptions); err != nil {
		return decodeError(dec, err)
	}
	return expectEOF(dec)
}

// decodeBatch decodes a body of the form {"<key>": [item, …]} holding 1 to
// MaxBatchSize items, appending them to items. It streams: each item is
// decoded on its own as it arrives, so the body is never held in memory
// twice, and an error names its record ("contacts[3].email").
//
// Decoding uses JSON v2 (github.com/go-json-experiment/json), which takes
// about half the CPU time and allocations of encoding/json here.
func decodeBatch[T any](w http.ResponseWriter, r *http.Request, limit int64, key string, items []T) ([]T, error) {
	dec := newDecoder(w, r, limit)
	if err := expectDelim(dec, '{', "", "the body must be a JSON object"); err != nil {
		return nil, err
	}
	seen := false
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, decodeError(dec, err)
		}
		if name := tok.String(); name != key {
			return nil, badRequest(name, fmt.Sprintf("is not a known field; the body is {%q: [ … ]}", key))
		}
		seen = true // JSON v2 rejects a repeated name as invalid JSON
		if err := expectDelim(dec, '[', key, "must be an array of records"); err != nil {
			return nil, err
		}
		for dec.PeekKind() != ']' {
			if len(items) == MaxBatchSize {
				return nil, &crmsync.Error{Code: crmsync.EINVALID,
					Message: fmt.Sprintf("The batch has more than %d records; nothing was written.", MaxBatchSize),
					Fields: []crmsync.FieldError{{Field: key,
						Message: fmt.Sprintf("has more than %d records; send at most %d per request", MaxBatchSize, MaxBatchSize)}}}
			}
			var zero T
			items = append(items, zero)
			if err := jsonv2.UnmarshalDecode(dec, &items[len(items)-1], decodeOptions); err != nil {
				return nil, decodeError(dec, err)
			}
		}
		if _, err := dec.ReadToken(); err != nil { // the closing ]
			return nil, decodeError(dec, err)
		}
	}
	if _, err := dec.ReadToken(); err != nil { // the closing }
		return nil, decodeError(dec, err)
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		verb := "is required"
		if seen {
			verb = "is empty"
		}
		return nil, &crmsync.Error{Code: crmsync.EINVALID,
			Message: "The batch has no records; nothing was written.",
			Fields: []crmsync.FieldError{{Field: key,
				Message: fmt.Sprintf("%s; send 1 to %d records", verb, MaxBatchSize)}}}
	}
	return items, nil
}

func newDecoder(w http.ResponseWriter, r *http.Request, limit int64) *jsontext.Decoder {
	return jsontext.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
}

// expectDelim reads the next token, which must be want.
func expectDelim(dec *jsontext.Decoder, want jsontext.Kind, field, message string) error {
	if err := peekKind(dec, want, field, message); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return decodeError(dec, err)
	}
	return nil
}

// peekObject checks, without reading it, that the body is a JSON object.
func peekObject(dec *jsontext.Decoder) error {
	return peekKind(dec, '{', "", "the body must be a JSON object")
}

func peekKind(dec *jsontext.Decoder, want jsontext.Kind, field, message string) error {
	if kind := dec.PeekKind(); kind != want {
		if kind == 0 { // invalid or missing JSON: let a read report why
			_, err := dec.ReadToken()
			return decodeError(dec, err)
		}
		return badRequest(field, message)
	}
	return nil
}

// expectEOF rejects anything but whitespace after the decoded value.
func expectEOF(dec *jsontext.Decoder) error {
	_, err := dec.ReadToken()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return decodeError(dec, err)
	}
	return badRequest("", "the body holds more than one JSON value")
}

// decodeError turns a decoding error into an API error naming the field at
// fault by its path in the body ("contacts[3].email").
func decodeError(dec *jsontext.Decoder, err error) error {
	var (
		apiErr    *crmsync.Error
		maxErr    *http.MaxBytesError
		syntaxErr *jsontext.SyntacticError
		semErr    *jsonv2.SemanticError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &maxErr):
		return &crmsync.Error{Code: crmsync.ETOOLARGE, Message: fmt.Sprintf(
			"The request body is larger than %d bytes; send fewer or smaller records per request.", maxErr.Limit)}
	case err == io.EOF && dec.InputOffset() == 0:
		return badRequest("", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return badRequest("", "the body ends before its JSON value is complete")
	case errors.As(err, &syntaxErr):
		return badRequest("", fmt.Sprintf("the body is not valid JSON (%v, at byte %d)", syntaxErr.Err, syntaxErr.ByteOffset))
	case errors.As(err, &semErr):
		field := pointerField(semErr.JSONPointer)
		if semErr.Err == jsonv2.ErrUnknownName {
			return badRequest(field, "is not a known field; see /api/v1/openapi.json for the fields")
		}
		got := kindName(semErr.JSONKind)
		if v := semErr.JSONValue; len(v) > 0 && len(v) <= 40 && (semErr.JSONKind == '"' || semErr.JSONKind == '0') {
			got = string(v)
		}
		var timeErr *badTimeError
		if errors.As(semErr.Err, &timeErr) && len(timeErr.value) <= 40 {
			got = string(timeErr.value)
		}
		return badRequest(field, fmt.Sprintf("must be %s, not %s", jsonKind(semErr.GoType), got))
	}
	return badRequest("", err.Error())
}

// pointerField turns a JSON Pointer ("/contacts/3/email") into the field
// path the API reports ("contacts[3].email").
func pointerField(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// kindName names a JSON kind for an error message.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "another type"
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	if t == rfc3339TimeType {
		return "an RFC 3339 time such as 2026-07-02T15:04:05Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a different type"
}
