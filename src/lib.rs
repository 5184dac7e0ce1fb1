//! tidings: a full-text news search server. Data flows one way:
//! sources → extraction → store (SQLite) → index (Tantivy) → search → API (Axum).

pub mod access;
pub mod api;
pub mod cli;
pub mod config;
pub mod entities;
pub mod error;
pub mod index;
pub mod ingest;
pub mod model;
pub mod search;
pub mod service;
pub mod startup;
pub mod store;
pub mod tooling;
