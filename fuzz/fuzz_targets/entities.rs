//! The entity extractor on whatever text an article brings (first line the title, the rest the
//! body): no panic, and every entity named and mentioned.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tidings::entities::{default_extractor, EntityExtractor};
use tidings_fuzz::text;

fn extractor() -> &'static dyn EntityExtractor {
    static EXTRACTOR: OnceLock<Box<dyn EntityExtractor>> = OnceLock::new();
    EXTRACTOR.get_or_init(default_extractor).as_ref()
}

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
    for entity in extractor().extract(title, body) {
        assert!(!entity.name.trim().is_empty(), "an empty name from {text:?}");
        assert!(entity.mentions >= 1, "{entity:?} never mentioned");
    }
});
