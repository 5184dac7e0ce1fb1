//! The entity tagger's tooling: `tidings train-ner` (corpora, the perceptron's training loop) and
//! `tidings eval ner` (CoNLL precision, recall and F1; Reuters people recall; speed).

pub mod commands;
pub mod eval;
pub mod train;
