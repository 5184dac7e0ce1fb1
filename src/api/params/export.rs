//! Parameters of `GET /v1/export`: the search's query and filters, the format and the rows.

use utoipa::IntoParams;

use super::{choice, names, pairs, unknown, SearchFilters, SearchParams, FILTERS};
use crate::error::{Error, Result};
use crate::search::request::{Mode, SearchRequest, Sort, WordMatch};
use crate::search::values::{number, FreshnessText};
use crate::service::ExportFormat;

/// Parameters of `GET /v1/export`: the search's query and filters, plus these.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `jsonl`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Rows at most (default and ceiling: the server's `export_max_rows`, 10,000 unless
    /// configured; the document this server serves states its own ceiling).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// How the query text is read, order and recency, as in `/v1/search` (its text, filters and
    /// dates: see the search filters).
    #[param(inline)]
    pub mode: Option<Mode>,
    #[param(rename = "match", inline)]
    pub match_words: Option<WordMatch>,
    #[param(inline)]
    pub sort: Option<Sort>,
    #[param(inline)]
    pub freshness: Option<FreshnessText>,
}

impl ExportParams {
    /// An export's query string as (the search, the format, the rows at most).
    pub fn request(raw: &str, max_rows: usize) -> Result<(SearchRequest, ExportFormat, usize)> {
        let mut format = ExportFormat::Csv;
        let mut rows = max_rows;
        let mut search = SearchParams::default();
        // Beyond format and limit, the export's own parameters and the filters are the search's.
        let own = names::<ExportParams>();
        let filters = names::<SearchFilters>();
        for (key, value) in pairs(raw, &FILTERS)? {
            match key.as_ref() {
                "format" => format = choice(&value)?.unwrap_or_default(),
                "limit" => {
                    rows =
                        number("limit", &value).ok().filter(|rows| (1..=max_rows).contains(rows)).ok_or_else(|| {
                            Error::BadParameter(format!("limit must be a number of rows between 1 and {max_rows}"))
                        })?
                }
                other if own.iter().chain(&filters).any(|name| name == other) => {
                    search.apply_pair(other, value)?;
                }
                other => return Err(unknown(other, &[own, filters].concat())),
            }
        }
        Ok((SearchRequest::try_from(search)?, format, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_parameters_are_checked() {
        let (request, format, rows) = ExportParams::request("q=oil&format=jsonl&place=Kuwait&limit=5", 100).unwrap();
        assert_eq!((request.q.as_str(), format, rows), ("oil", ExportFormat::JsonLines, 5));
        assert!(ExportParams::request("format=xml", 100).is_err());
        assert!(ExportParams::request("limit=101", 100).is_err());
        assert!(ExportParams::request("offset=3", 100).is_err());
        assert_eq!(ExportParams::request("", 100).unwrap().2, 100);
    }
}
