package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tasker-systems/tasker-temporal/client"
)

// apiError is an error with the HTTP status and the request field it is about.
type apiError struct {
	Status  int
	Field   string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func apiErr(code int, field, msg string) *apiError {
	return &apiError{Status: code, Field: field, Message: msg}
}

// errorBody is every error response: {"error": "...", "field": "...", "status": 422}.
type errorBody struct {
	Error  string `json:"error"`
	Field  string `json:"field,omitempty"`
	Status int    `json:"status"`
}

// status maps an error to its HTTP status: the client's typed errors to 404, 409 and 422.
func status(err error) int {
	var api *apiError
	var invalid *client.InvalidRequestError
	var notFound *client.TemplateNotFoundError
	var rejected *client.RejectedError
	var badCursor *client.InvalidCursorError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &api):
		return api.Status
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, client.ErrTaskNotFound), errors.Is(err, client.ErrStepNotFound), errors.As(err, &notFound):
		return http.StatusNotFound
	case errors.Is(err, client.ErrTaskClosed), errors.As(err, &rejected):
		return http.StatusConflict
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity
	case errors.As(err, &badCursor):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func fieldOf(err error) string {
	var api *apiError
	var invalid *client.InvalidRequestError
	var badCursor *client.InvalidCursorError
	switch {
	case errors.As(err, &api):
		return api.Field
	case errors.As(err, &invalid):
		return invalid.Field
	case errors.As(err, &badCursor):
		return "cursor"
	}
	return ""
}

func writeError(w http.ResponseWriter, err error) {
	code := status(err)
	msg := err.Error()
	if code == http.StatusRequestEntityTooLarge {
		msg = "request body is too large"
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tasker"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg, Field: fieldOf(err), Status: code})
}
