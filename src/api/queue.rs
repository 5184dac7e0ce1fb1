//! The search queue: CPU-bound work (searches, exports' planning, writes) runs on blocking threads
//! behind a fixed number of permits, and at most `capacity` requests wait for one. The permit
//! belongs to the blocking task, not to the request: a request abandoned by its timeout leaves its
//! search running with the permit until it ends, so no more searches ever run than there are
//! permits. A request that finds the queue full is answered 503 at once (as Meilisearch's search
//! queue does), so an overloaded server sheds load instead of growing a backlog.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use crate::error::Error;

/// Permits, the wait queue and what they have seen.
pub struct SearchQueue {
    permits: Arc<Semaphore>,
    /// How many permits there are (the semaphore only knows how many are free).
    permit_count: usize,
    capacity: usize,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    waiting: AtomicUsize,
    running: AtomicUsize,
    peak_running: AtomicUsize,
    rejected: AtomicU64,
}

/// The queue's figures, as `/v1/stats` shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueFigures {
    /// Searches that may run at once.
    pub permits: usize,
    /// Requests that may wait for a permit; more are answered 503.
    pub queue_capacity: usize,
    /// Running now.
    pub running: usize,
    /// Waiting now.
    pub waiting: usize,
    /// The most that ever ran at once since the server started (never above `permits`).
    pub peak_running: usize,
    /// Requests answered 503 because the queue was full, since the server started.
    pub rejected: u64,
}

/// Takes one place in the queue away again when dropped (also when the waiting request is
/// abandoned).
struct Waiting<'a>(&'a Counters);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts one running search for as long as it lives (also when the work panics).
struct Running(Arc<Counters>);

impl Running {
    fn start(counters: Arc<Counters>) -> Running {
        let running = counters.running.fetch_add(1, Ordering::AcqRel) + 1;
        counters.peak_running.fetch_max(running, Ordering::AcqRel);
        Running(counters)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SearchQueue {
    pub fn new(permits: usize, capacity: usize) -> SearchQueue {
        SearchQueue {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            permit_count: permits.max(1),
            capacity,
            counters: Arc::new(Counters::default()),
        }
    }

    /// Runs `work` on a blocking thread once a permit is free; `Error::Overloaded` when every
    /// permit is taken and the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.counters.waiting.fetch_add(1, Ordering::AcqRel) >= self.capacity {
                    self.counters.waiting.fetch_sub(1, Ordering::AcqRel);
                    self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                    return Err(Error::Overloaded(
                        "the server is busy with other searches and its queue is full; retry in a moment".into(),
                    ));
                }
                let _waiting = Waiting(&self.counters);
                Arc::clone(&self.permits)
                    .acquire_owned()
                    .await
                    .map_err(|_| Error::Internal("search permits closed".into()))?
            }
        };
        let counters = Arc::clone(&self.counters);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _running = Running::start(counters);
            work()
        })
        .await
        .map_err(|error| Error::Internal(format!("search task failed: {error}")))?
    }

    pub fn figures(&self) -> QueueFigures {
        QueueFigures {
            permits: self.permit_count,
            queue_capacity: self.capacity,
            running: self.counters.running.load(Ordering::Acquire),
            waiting: self.counters.waiting.load(Ordering::Acquire),
            peak_running: self.counters.peak_running.load(Ordering::Acquire),
            rejected: self.counters.rejected.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_answers_overloaded_and_permits_are_never_exceeded() {
        let queue = Arc::new(SearchQueue::new(1, 1));
        let slow = || {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        };
        let first = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.run(slow).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.run(slow).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(queue.figures().waiting, 1);
        assert!(matches!(queue.run(slow).await, Err(Error::Overloaded(_))), "the third finds the queue full");
        assert!(first.await.unwrap().is_ok() && second.await.unwrap().is_ok());
        let figures = queue.figures();
        assert_eq!((figures.peak_running, figures.rejected, figures.waiting, figures.running), (1, 1, 0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_request_keeps_its_permit_until_its_work_ends() {
        let queue = Arc::new(SearchQueue::new(1, 4));
        let abandoned = tokio::time::timeout(
            Duration::from_millis(20),
            queue.run(|| {
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            }),
        )
        .await;
        assert!(abandoned.is_err(), "the request timed out");
        assert_eq!(queue.figures().running, 1, "its search still runs, holding the permit");
        let started = std::time::Instant::now();
        queue.run(|| Ok(())).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(200), "the next one waited for the permit");
        assert_eq!(queue.figures().peak_running, 1);
    }
}
