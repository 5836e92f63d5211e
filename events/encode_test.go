package events

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdEncode is what encoding/json makes of an event without its MarshalJSON.
func stdEncode(t *testing.T, ev Event) []byte {
	t.Helper()
	type plain Event
	data, err := json.Marshal(plain(ev))
	require.NoError(t, err)
	return data
}

func TestEventMarshalJSONMatchesEncodingJSON(t *testing.T) {
	tricky := "quote\" backslash\\ nl\n tab\t ctl\x01 html<>& uni é 漢 \u2028 bad\xff end"
	evs := append(diamondEvents("wf-enc"), Event{
		ID: "id", Name: "custom.thing", At: time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600)),
		WorkflowID: tricky, Step: tricky, Seq: -3,
		Payload: map[string]any{
			tricky: tricky, "nil": nil, "t": true, "f": false, "i": 7, "i32": int32(-2), "i64": int64(math.MaxInt64),
			"float": 0.1, "big": 1e21, "whole": 3.0, "neg": -2.5e-9, "raw": json.RawMessage(`{"a":[1,2]}`),
			"emptyraw": json.RawMessage(nil), "nested": map[string]any{"list": []any{1, "x", nil, map[string]any{}}},
			"strings": []string{"a", "b"}, "time": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "u": uint8(5),
		},
	}, Event{ID: "bare", Name: "a.b"})
	for _, ev := range evs {
		fast, err := json.Marshal(ev)
		require.NoError(t, err)
		var got, want any
		require.NoError(t, json.Unmarshal(fast, &got), string(fast))
		require.NoError(t, json.Unmarshal(stdEncode(t, ev), &want))
		assert.Equal(t, want, got, ev.Name)

		var back Event
		require.NoError(t, json.Unmarshal(fast, &back))
		assert.Equal(t, ev.ID, back.ID)
		assert.True(t, ev.At.Equal(back.At))
	}
}

func TestEventMarshalJSONErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload map[string]any
		wantErr string
	}{
		{"NaN", map[string]any{"x": math.NaN()}, `payload: key "x": unsupported number NaN`},
		{"nested Inf", map[string]any{"x": []any{math.Inf(1)}}, `payload: key "x": index 0: unsupported number +Inf`},
		{"bad raw", map[string]any{"x": json.RawMessage(`{`)}, `payload: key "x": invalid raw JSON`},
		{"channel", map[string]any{"x": make(chan int)}, `payload: key "x": json: unsupported type: chan int`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Event{ID: "i", Name: "a.b", Payload: tc.payload}.MarshalJSON()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "encode event a.b (i) "+tc.wantErr)
		})
	}
}
