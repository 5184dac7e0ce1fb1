//! `POST /v1/search` bodies: JSON read into the same parameters as a query string, then run
//! against a real archive. A value or a 4xx.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::api::params::SearchParams;
use tidings::search::request::SearchRequest;
use tidings_fuzz::{archive, client_result, text};

fuzz_target!(|data: &[u8]| {
    // A body that is not JSON of this shape is a 400 before any of this (axum's Json extractor).
    let Ok(params) = serde_json::from_slice::<SearchParams>(data) else { return };
    let body = text(data);
    let Some(request) = client_result("search request", &body, SearchRequest::try_from(params)) else { return };
    if let Some(response) = client_result("search", &body, archive().service.engine().search(&request)) {
        assert!(response.hits.len() <= request.limit);
    }
});
