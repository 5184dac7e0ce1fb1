//! `tidings eval entities|extraction|dedup|relevance`: quality measured against reference data, each
//! printing `system=…` lines for what it is compared with and tidings' own line last.

pub mod dedup;
pub mod entities;
pub mod extraction;
pub mod relevance;
