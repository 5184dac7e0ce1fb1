//! Tooling around the engine, not on the server's path: the benchmark (`tidings bench`, with its
//! HTTP load generator), the quality evaluations (`tidings eval …`) and the entity tagger's
//! training (`tidings train-ner`). It uses the engine through its public doors, as a user would.

pub mod bench;
pub mod corpus;
pub mod eval;
pub mod ner;
pub mod random;
