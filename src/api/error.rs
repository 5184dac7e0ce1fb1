//! The one place where error codes become HTTP statuses and JSON bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// `{"error": {"code", "message"}}`, for every 4xx and 5xx.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code: `bad_query`, `bad_parameter`, `not_found`, `unauthorized`, `forbidden`, `rate_limited`,
    /// `method_not_allowed`, `payload_too_large`, `timeout`, `overloaded`, `internal`.
    pub code: String,
    /// What went wrong, in words a person can act on.
    pub message: String,
    /// For `bad_query`: the character offset in `q` where the query went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// Seconds an overloaded server asks a client to wait before retrying.
const RETRY_AFTER_SECS: u64 = 1;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError(error)
    }
}

pub fn status_for(error: &Error) -> StatusCode {
    match error {
        Error::BadQuery { .. } | Error::BadParameter(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Config(_)
        | Error::Damaged(_)
        | Error::DiskFull(_)
        | Error::Store(_)
        | Error::Index(_)
        | Error::Io(_)
        | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A JSON error response with the given status and code.
pub fn error_response(status: StatusCode, code: &str, message: String, position: Option<usize>) -> Response {
    (status, Json(ErrorBody { error: ErrorDetail { code: code.to_string(), message, position } })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_for(&self.0);
        if let Error::Overloaded(message) = &self.0 {
            let mut response = error_response(status, self.0.code(), message.clone(), None);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(RETRY_AFTER_SECS));
            return response;
        }
        if let Error::RateLimited { message, retry_after_secs } = &self.0 {
            let mut response = error_response(status, self.0.code(), message.clone(), None);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*retry_after_secs));
            return response;
        }
        if status.is_server_error() {
            // The detail is for the operator's log, not the client.
            tracing::error!(error = %self.0, "request failed");
            return error_response(status, "internal", "internal error; the server log has the details".into(), None);
        }
        let position = match &self.0 {
            Error::BadQuery { position, .. } => *position,
            _ => None,
        };
        let mut response = error_response(status, self.0.code(), self.0.to_string(), position);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
