//! Search settings while the server runs, for admin keys: `GET /v1/settings` shows those in
//! effect, `POST /v1/settings/reload` reads the configuration file again (as `SIGHUP` does) and
//! applies synonyms, stop words, the alias table, the title weight and freshness to the next
//! search.

use axum::extract::State;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::{off_the_runtime, Shared};
use crate::error::Error;
use crate::search::tuning::TuningView;
use crate::service::Reloaded;

/// The search settings in effect.
#[utoipa::path(
    get,
    path = "/v1/settings",
    tag = "ops",
    responses((status = 200, body = TuningView)),
    security(("api_key" = []))
)]
pub(super) async fn settings(State(state): State<Shared>) -> Json<TuningView> {
    Json(state.service.search_settings())
}

/// Reads the configuration file the server started from again (then the environment) and
/// applies its search settings to the next search: synonyms, stop words, the alias table, the
/// title weight, freshness. Nothing is analysed again; the answer says what changed and what
/// does not apply until `reindex --extract` or a restart. A file that does not read or check is
/// a 400 and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/settings/reload",
    tag = "ops",
    responses((status = 200, body = Reloaded), (status = 400, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn reload(State(state): State<Shared>) -> Result<Json<Reloaded>, ApiError> {
    let reloaded = off_the_runtime(&state, |state| {
        state.service.reload_settings().map_err(|error| match error {
            // The operator's file, not the server, is at fault: nothing was changed.
            Error::Config(reason) => {
                Error::BadParameter(format!("the configuration was not reloaded (nothing changed): {reason}"))
            }
            other => other,
        })
    })
    .await?;
    tracing::info!(changed = ?reloaded.changed, notes = ?reloaded.notes, "settings reloaded");
    Ok(Json(reloaded))
}
