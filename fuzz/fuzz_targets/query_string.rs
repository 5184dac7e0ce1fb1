//! The GET query strings of the API (search, export, entity list and profile, suggest, related,
//! writes), parsed and the request run against a real archive: a value or a 4xx. The first byte
//! chooses the endpoint, the rest is the raw query string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::api::params::{
    EntityListParams, EntityProfileParams, ExportParams, RelatedParams, SearchParams, SuggestParams, WriteParams,
};
use tidings::search::request::SearchRequest;
use tidings::search::scope::Scope;
use tidings_fuzz::{archive, choice_and_rest, client_result, text};

/// Rows an export may give in this target (the server's default cap is larger).
const EXPORT_ROWS: usize = 50;

fuzz_target!(|data: &[u8]| {
    let (endpoint, rest) = choice_and_rest(data);
    let raw = text(rest);
    let archive = archive();
    let engine = archive.service.engine();
    match endpoint % 7 {
        0 => {
            let Some(params) = client_result("search params", &raw, SearchParams::from_query_string(&raw)) else {
                return;
            };
            let Some(request) = client_result("search request", &raw, SearchRequest::try_from(params)) else { return };
            if let Some(response) = client_result("search", &raw, engine.search(&request)) {
                assert!(response.hits.len() <= request.limit);
            }
        }
        1 => {
            let Some((request, _format, max)) =
                client_result("export params", &raw, ExportParams::request(&raw, EXPORT_ROWS))
            else {
                return;
            };
            assert!(max <= EXPORT_ROWS, "{raw:?}: {max} rows past the cap");
            let Some(plan) = client_result("export plan", &raw, engine.plan_export(&request)) else { return };
            let mut given = 0;
            client_result(
                "export",
                &raw,
                engine.export_ids(&plan, max, |_| {
                    given += 1;
                    true
                }),
            );
            assert!(given <= max && given as u64 <= plan.total as u64, "{raw:?}: {given} rows");
        }
        2 => {
            let Some(request) = client_result("entity list params", &raw, EntityListParams::request(&raw)) else {
                return;
            };
            client_result("entity list", &raw, engine.entities(&request));
        }
        3 => {
            // The name is the path segment (decoded by the router), the rest the query string.
            let (name, query) = raw.split_once('?').unwrap_or((&raw, ""));
            for kind in ["person", "org", "place", &name.chars().take(8).collect::<String>()] {
                let Some(request) = client_result(
                    "entity profile params",
                    &raw,
                    EntityProfileParams::request(kind, name.to_string(), query),
                ) else {
                    continue;
                };
                client_result("entity profile", &raw, archive.service.entity_profile(&request));
            }
        }
        4 => {
            let Some(request) = client_result("suggest params", &raw, SuggestParams::parse(&raw)) else { return };
            client_result("suggest", &raw, engine.suggest(&request));
        }
        5 => {
            let Some(limit) = client_result("related params", &raw, RelatedParams::from_query_string(&raw)) else {
                return;
            };
            let id = archive.ids.get(raw.len() % archive.ids.len()).cloned().unwrap_or_default();
            client_result("related", &raw, archive.service.related(&id, limit, &Scope::everything()));
            client_result("related to an unknown id", &raw, archive.service.related(&raw, limit, &Scope::everything()));
        }
        _ => {
            client_result("write params", &raw, WriteParams::from_query_string(&raw));
        }
    }
});
