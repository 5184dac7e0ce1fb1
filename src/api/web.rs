//! The browser side, compiled into the binary: the embeddable search box (`/widget.js`) and the
//! analysts' results page (`/`, with `/app.js` and `/app.css`).

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::Shared;

pub const WIDGET_JS: &str = include_str!("../../web/widget.js");
const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");

/// The page loads only its own script and stylesheet and talks only to this server.
const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                           connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str, extra: &[(HeaderName, &'static str)]) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    for (name, value) in extra {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}

/// The search box for other sites: one script, no dependencies.
pub async fn widget() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        WIDGET_JS,
        &[(HeaderName::from_static("cross-origin-resource-policy"), "cross-origin")],
    )
}

/// The results page, carrying `key` (a search-only key, from `page_key`) for its requests when
/// reads need one.
pub fn page(key: Option<&str>) -> String {
    match key {
        Some(key) => INDEX_HTML.replacen(
            "<meta charset=\"utf-8\">",
            &format!("<meta charset=\"utf-8\">\n<meta name=\"tidings-key\" content=\"{}\">", escape_attribute(key)),
            1,
        ),
        None => INDEX_HTML.to_string(),
    }
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The results page for analysts.
pub async fn index(State(state): State<Shared>) -> Response {
    let mut response = state.page.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The page may carry a key: not kept by shared caches.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS, &[])
}

pub async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_is_one_small_file_that_never_writes_html() {
        assert!(WIDGET_JS.len() < 25 * 1024, "widget.js is {} bytes", WIDGET_JS.len());
        for source in [WIDGET_JS, APP_JS] {
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("] {
                assert!(!source.contains(sink), "{sink} in the browser code");
            }
        }
    }
}
