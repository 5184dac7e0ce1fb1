//! One integration test binary: real SQLite files, real Tantivy indexes, the real server on
//! port 0, requests over HTTP.

mod helpers;

mod access;
mod api;
mod backup;
mod browser;
mod clusters;
mod crash;
mod deep;
mod entities;
mod eval;
mod faults;
mod feeds;
mod fuzzed;
mod ingest;
mod instant;
mod limits;
mod live;
mod metrics;
mod overload;
mod scale;
mod search;
mod settings;
mod soak;
mod suggest;
mod watch;
mod write;
