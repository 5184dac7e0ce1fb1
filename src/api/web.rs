//! The browser side, compiled into the binary: the embeddable search box (`/widget.js`) and the
//! analysts' results page (`/`, with `/app.js` and `/app.css`).

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

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

/// The results page for analysts.
pub async fn index() -> Response {
    asset(
        "text/html; charset=utf-8",
        INDEX_HTML,
        &[(header::CONTENT_SECURITY_POLICY, PAGE_POLICY), (header::X_FRAME_OPTIONS, "DENY")],
    )
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
