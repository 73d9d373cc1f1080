package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Error codes: the "code" of every error body. Each admin sentinel maps to
// one code and one HTTP status, in classify.
const (
	CodeNotFound             = "not_found"              // 404
	CodeAlreadyExists        = "already_exists"         // 409
	CodeConflict             = "conflict"               // 409
	CodeForbidden            = "forbidden"              // 403
	CodeUnauthenticated      = "unauthenticated"        // 401
	CodeInvalidArgument      = "invalid_argument"       // 400 malformed request, 422 rejected value
	CodeTooLarge             = "too_large"              // 413
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeLicense              = "license"                // 402
	CodeNotSupported         = "not_supported"          // 501
	CodeUnavailable          = "unavailable"            // 503, 504
	CodeInternal             = "internal"               // 500
)

// ErrorBody is the JSON shape of every error response, under the key
// "error": {"error":{"code":"not_found","message":"…","field":"…"}}.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field names the input that was wrong (a JSON field, query parameter
	// or path parameter), when one was.
	Field string `json:"field,omitempty"`
	// RequestID is set on internal errors: it finds the server's log line.
	RequestID string `json:"requestId,omitempty"`
}

// Error is an error of the HTTP layer with its status, for handlers that
// need one the admin sentinels do not give (a bad query parameter, an
// expired login). A Route's HandlerFunc may return one.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string { return e.Message }

// badRequest is a malformed request: 400 invalid_argument naming field.
func badRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidArgument, Field: field,
		Message: fmt.Sprintf(format, args...)}
}

// classify maps err to its status and body: the one place where admin
// sentinels become HTTP statuses. internal reports a server-side fault,
// whose message must not reach the client.
func classify(err error) (status int, body ErrorBody, internal bool) {
	msg := err.Error()
	var he *Error
	var ve *admin.ValidationError
	switch {
	case errors.Is(err, admin.ErrIntegrity):
		// Tampered or undecryptable data is a server fault, whatever else
		// the error wraps.
		return http.StatusInternalServerError, ErrorBody{Code: CodeInternal}, true
	case errors.As(err, &he):
		return he.Status, ErrorBody{Code: he.Code, Message: he.Message, Field: he.Field}, he.Status >= 500
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, ErrorBody{Code: CodeInvalidArgument, Message: msg, Field: ve.Field}, false
	case errors.Is(err, admin.ErrInvalidArgument):
		return http.StatusUnprocessableEntity, ErrorBody{Code: CodeInvalidArgument, Message: msg}, false
	case errors.Is(err, admin.ErrUnauthenticated):
		return http.StatusUnauthorized, ErrorBody{Code: CodeUnauthenticated, Message: msg}, false
	case errors.Is(err, admin.ErrForbidden):
		return http.StatusForbidden, ErrorBody{Code: CodeForbidden, Message: msg}, false
	case errors.Is(err, admin.ErrNotFound):
		return http.StatusNotFound, ErrorBody{Code: CodeNotFound, Message: msg}, false
	case errors.Is(err, admin.ErrAlreadyExists):
		return http.StatusConflict, ErrorBody{Code: CodeAlreadyExists, Message: msg}, false
	case errors.Is(err, admin.ErrConflict):
		return http.StatusConflict, ErrorBody{Code: CodeConflict, Message: msg}, false
	case errors.Is(err, admin.ErrLicense):
		return http.StatusPaymentRequired, ErrorBody{Code: CodeLicense, Message: msg}, false
	case errors.Is(err, admin.ErrNotSupported):
		return http.StatusNotImplemented, ErrorBody{Code: CodeNotSupported, Message: msg}, false
	case errors.Is(err, admin.ErrClosed):
		return http.StatusServiceUnavailable, ErrorBody{Code: CodeUnavailable, Message: "the server is shutting down"}, false
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, ErrorBody{Code: CodeUnavailable, Message: "the request timed out"}, false
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer.
		return http.StatusServiceUnavailable, ErrorBody{Code: CodeUnavailable, Message: "the request was cancelled"}, false
	}
	return http.StatusInternalServerError, ErrorBody{Code: CodeInternal}, true
}

// errorEnvelope is the response body of an error.
type errorEnvelope struct {
	Error ErrorBody `json:"error"`
}

// WriteError writes err as a JSON error response, mapped from the admin
// sentinels as the Handler does, for code that serves next to it. Internal
// errors are answered with a generic message and are not logged here.
func WriteError(w http.ResponseWriter, err error) {
	status, body, internal := classify(err)
	if internal {
		body.Message = "internal error"
	}
	writeErrorBody(w, status, body)
}

func writeErrorBody(w http.ResponseWriter, status int, body ErrorBody) {
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mastra-admin"`)
	}
	WriteJSON(w, status, errorEnvelope{Error: body})
}
