package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// httpAddress reads the address the worker's HTTP server logged.
func (w *worker) httpAddress(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(readFile(w.log.Name()), "\n") {
			var line struct {
				Msg     string `json:"msg"`
				Address string `json:"address"`
			}
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "HTTP API and console" {
				return line.Address
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the worker logged no HTTP address in 30s\n%s", readFile(w.log.Name()))
	return ""
}

func TestWorkerServesTheAPIAndConsole(t *testing.T) {
	w := startWorker(t, "--http-open")
	base := "http://" + w.httpAddress(t)

	resp, err := http.Post(base+"/tasks", "application/json", strings.NewReader(`{"namespace": "examples", "name": "diamond", "context": {"number": 3}, "initiator": "`+t.Name()+`"}`))
	require.NoError(t, err)
	var created struct {
		Task struct {
			WorkflowID string `json:"workflow_id"`
		} `json:"task"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	resp, err = http.Get(base + "/tasks/" + url.PathEscape(created.Task.WorkflowID) + "?wait=30s")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"status":"complete"`)

	resp, err = http.Get(base + "/console/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(page), "<title>Tasker console</title>")
}

func TestWorkerHTTPOff(t *testing.T) {
	w := startWorker(t, "--http", "off")
	require.Eventually(t, func() bool {
		return strings.Contains(readFile(w.log.Name()), "HTTP API and console off")
	}, 30*time.Second, 50*time.Millisecond)
}
