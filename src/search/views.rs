//! The in-memory views of the index (suggestions, the word list for typos) are rebuilt off the
//! request path when the index changes, at most so often while articles keep arriving.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Rebuilds of an in-memory view of the index (suggestions, the word list) while articles keep
/// arriving: at most one every `every`, however often the index changes.
pub(crate) struct RebuildThrottle {
    last: Mutex<Option<Instant>>,
    every: Duration,
}

impl RebuildThrottle {
    pub(crate) fn new(every: Duration) -> RebuildThrottle {
        RebuildThrottle { last: Mutex::new(None), every }
    }

    /// True when a rebuild may start now (and counts it as started).
    pub(crate) fn try_start(&self) -> Result<bool> {
        let mut last = self.last.lock().map_err(|_| Error::Internal("rebuild throttle lock poisoned".into()))?;
        if last.is_some_and(|started| started.elapsed() < self.every) {
            return Ok(false);
        }
        *last = Some(Instant::now());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_are_throttled() {
        let throttle = RebuildThrottle::new(Duration::from_secs(60));
        assert!(throttle.try_start().unwrap(), "the first rebuild starts");
        assert!(!throttle.try_start().unwrap(), "a second one within the interval waits");
        let eager = RebuildThrottle::new(Duration::ZERO);
        assert!(eager.try_start().unwrap() && eager.try_start().unwrap());
    }
}
