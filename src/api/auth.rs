//! Every guarded route names the action it needs; this middleware turns the request's credential
//! (`Authorization: Bearer KEY` or a tenant token) into a [`Grant`] through the keyring, answers
//! 401 (no, unknown, forged or expired credential) or 403 (a valid one that may not do this), and
//! otherwise hands the grant to the handler, which restricts what it reads to the grant's scope.
//! Actions that are public (search unless reads are protected, export unless it needs a key) are
//! allowed without a credential, and to every credential within its scope.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::limits::Group;
use super::Shared;
use crate::access::{Action, Actions, Grant};
use crate::config::Settings;
use crate::error::{Error, Result};

/// Which actions need no credential.
#[derive(Debug, Clone, Copy)]
pub struct PublicActions(Actions);

impl PublicActions {
    pub fn new(settings: &Settings) -> PublicActions {
        let mut public = Vec::new();
        if !settings.protect_reads {
            public.push(Action::Search);
            if !settings.export_requires_key {
                public.push(Action::Export);
            }
        }
        PublicActions(Actions::of(&public))
    }
}

/// The state of one guarded route: the application's, and the action the route needs.
#[derive(Clone)]
pub struct Guard {
    pub state: Shared,
    pub action: Action,
}

impl Guard {
    pub fn new(state: &Shared, action: Action) -> Guard {
        Guard { state: Arc::clone(state), action }
    }
}

/// Middleware: the request goes on with its [`Grant`] in its extensions, or is answered 429 (its
/// client's bucket for the route group is empty), 401 or 403.
pub async fn authorize(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    let grant = grant_for(&guard.state, request.headers(), guard.action);
    let limits = &guard.state.limits;
    if !limits.is_off() {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
        let client = limits.client(grant.as_ref().ok(), peer, request.headers());
        if let Err(error) = limits.check(group_of(guard.action, &request), &client) {
            return ApiError(error).into_response();
        }
    }
    match grant {
        Ok(grant) => {
            request.extensions_mut().insert(grant);
            next.run(request).await
        }
        Err(error) => ApiError(error).into_response(),
    }
}

/// The rate-limit group of a request: as-you-type reads (suggestions, `mode=instant`) apart
/// from the other reads.
fn group_of(action: Action, request: &Request) -> Group {
    match action {
        Action::Search => {
            let instant = request.uri().path() == "/v1/suggest"
                || form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                    .any(|(name, value)| name == "mode" && value.trim() == "instant");
            if instant {
                Group::Instant
            } else {
                Group::Search
            }
        }
        Action::Export => Group::Export,
        Action::Write | Action::Admin => Group::Write,
    }
}

/// The grant of a request's credential for `action`.
fn grant_for(state: &Shared, headers: &HeaderMap, action: Action) -> Result<Grant> {
    let keyring = state.service.keyring();
    let public = state.public.0;
    let Some(credential) = bearer(headers)? else {
        if public.allow(action) {
            return Ok(Grant::anonymous(public));
        }
        return Err(Error::Unauthorized(if keyring.is_empty() {
            "this server has no API keys (api_keys, search_keys or [[keys]] in the configuration, or \
             TIDINGS_API_KEYS)"
                .into()
        } else {
            "send an API key or a tenant token as `Authorization: Bearer KEY`".into()
        }));
    };
    let mut grant = keyring.authenticate(credential, chrono::Utc::now().timestamp())?;
    grant.actions = grant.actions.with(public);
    grant.require(action)?;
    Ok(grant)
}

/// The credential of an `Authorization: Bearer …` header; an `Authorization` header of another
/// form is an error, not an anonymous request.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else { return Ok(None) };
    let credential = value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|credential| !credential.is_empty());
    credential
        .map(Some)
        .ok_or_else(|| Error::Unauthorized("send an API key or a tenant token as `Authorization: Bearer KEY`".into()))
}
