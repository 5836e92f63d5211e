package template

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// Pack encodes a template as gzipped JSON. Templates travel through workflow history (a local
// activity's result, the continue-as-new input), where Temporal refuses payloads over 2 MB: a
// 10,000-step template is about 2.5 MB of JSON and about 60 KB packed.
func Pack(t *Template) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(t); err != nil {
		return nil, fmt.Errorf("pack template %s: %w", t.Key(), err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack template %s: %w", t.Key(), err)
	}
	return buf.Bytes(), nil
}

// Unpack decodes what Pack encoded.
func Unpack(packed []byte) (*Template, error) {
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, fmt.Errorf("unpack template: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("unpack template: %w", err)
	}
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("unpack template: %w", err)
	}
	return &t, nil
}
