//! The analyst query syntax, read and run against a real archive: a page of hits, or a 400 that
//! says what is wrong. The first byte chooses the request's options (match, sort, facets,
//! collapse, histogram, total), the rest is `q`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::api::params::SearchParams;
use tidings::search::request::SearchRequest;
use tidings_fuzz::{archive, choice_and_rest, client_result, text};

fuzz_target!(|data: &[u8]| {
    let (options, rest) = choice_and_rest(data);
    let q = text(rest);
    let mut params = SearchParams::default();
    let mut set = |key: &str, value: &str| assert!(params.apply_pair(key, value.to_string()).expect(key));
    set("q", &q);
    if options & 1 != 0 {
        set("match", "any");
    }
    if options & 2 != 0 {
        set("sort", "date");
    }
    if options & 4 != 0 {
        set("facets", "person,place,source");
    }
    if options & 8 != 0 {
        set("collapse", "cluster");
    }
    if options & 16 != 0 {
        set("histogram", "month");
    }
    if options & 32 != 0 {
        set("total", "exact");
    }
    let limit = if options & 64 != 0 { 3 } else { 10 };
    set("limit", &limit.to_string());
    let Some(request) = client_result("request", &q, SearchRequest::try_from(params)) else { return };
    let Some(response) = client_result("analyst query", &q, archive().service.engine().search(&request)) else {
        return;
    };
    assert!(response.hits.len() <= limit, "{q:?}: {} hits for limit {limit}", response.hits.len());
    assert!(
        response.total >= response.hits.len() as u64,
        "{q:?}: total {} < {} hits",
        response.total,
        response.hits.len()
    );
});
