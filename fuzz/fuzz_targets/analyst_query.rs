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
    let limit = if options & 64 != 0 { 3 } else { 10 };
    let limit_text = limit.to_string();
    // Each bit of the first byte turns one option on.
    let choices = [
        (1, "match", "any"),
        (2, "sort", "date"),
        (4, "facets", "person,place,source"),
        (8, "collapse", "cluster"),
        (16, "histogram", "month"),
        (32, "total", "exact"),
    ];
    let chosen = choices.iter().filter(|(bit, _, _)| options & bit != 0).map(|(_, key, value)| (*key, *value));
    for (key, value) in [("q", q.as_str()), ("limit", limit_text.as_str())].into_iter().chain(chosen) {
        assert!(params.apply_pair(key, value.to_string()).expect(key));
    }
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
