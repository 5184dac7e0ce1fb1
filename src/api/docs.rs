//! `/docs`: the OpenAPI document rendered by Swagger UI, whose files are embedded in the binary
//! (the `utoipa-swagger-ui` crate, vendored: no CDN, nothing fetched at build or run time), under
//! a content security policy of its own.

use std::sync::{Arc, LazyLock};

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use utoipa_swagger_ui::Config;

use super::error::ApiError;
use crate::error::Error;

/// Swagger UI runs its own scripts and styles only; React sets inline styles and the stylesheet
/// carries `data:` images; the document and "Try it out" requests go to this server.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/openapi.json"])
            // The public validator is another site: not asked.
            .validator_url("none")
            .try_it_out_enabled(true)
            .display_request_duration(true)
            .filter(true)
            .deep_linking(true)
            // A key typed in stays in the tab, not in the browser's storage.
            .persist_authorization(false),
    )
});

/// `/docs` → `/docs/`, where the page's relative links work.
pub(super) async fn docs_root() -> Redirect {
    Redirect::permanent("/docs/")
}

/// The page (`/docs/`).
pub(super) async fn docs_index() -> Result<Response, ApiError> {
    docs_file(Path(String::new())).await
}

/// A file of the page.
pub(super) async fn docs_file(Path(file): Path<String>) -> Result<Response, ApiError> {
    let served = utoipa_swagger_ui::serve(&file, Arc::clone(&CONFIG))
        .map_err(|error| Error::Internal(format!("the docs page: {error}")))?;
    let Some(served) = served else {
        return Err(Error::NotFound(format!("/docs/{file} is not a file of the docs page; see /docs/")).into());
    };
    let mut response = (StatusCode::OK, served.bytes.into_owned()).into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&served.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    Ok(response)
}
