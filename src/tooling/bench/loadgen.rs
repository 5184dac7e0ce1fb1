//! A closed-loop HTTP load generator: N clients, each on its own keep-alive connection, each
//! sending its next request when the last answer has fully arrived.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    /// Latency of every successful request, in microseconds, sorted.
    pub latencies_us: Vec<u64>,
}

impl LoadResult {
    pub fn qps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The `quantile` (0–1) latency in milliseconds.
    pub fn percentile_ms(&self, quantile: f64) -> f64 {
        percentile_ms(&self.latencies_us, quantile)
    }
}

pub fn percentile_ms(sorted_us: &[u64], quantile: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted_us.len() as f64 * quantile).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us[rank - 1] as f64 / 1000.0
}

/// Sends `total` requests for `paths` (cycled in order) to `addr` from `concurrency` clients.
pub async fn run(
    addr: SocketAddr,
    paths: Arc<Vec<String>>,
    concurrency: usize,
    total: usize,
) -> std::io::Result<LoadResult> {
    run_for(addr, paths, concurrency, total, Duration::MAX).await
}

/// As [`run`], but no request is sent once `limit` has passed (a slow server gets fewer).
pub async fn run_for(
    addr: SocketAddr,
    paths: Arc<Vec<String>>,
    concurrency: usize,
    total: usize,
    limit: Duration,
) -> std::io::Result<LoadResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started.checked_add(limit);
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        tokio::spawn(connection);
        let paths = Arc::clone(&paths);
        let next = Arc::clone(&next);
        clients.push(tokio::spawn(client(addr, sender, paths, next, total, deadline)));
    }
    let mut result = LoadResult::default();
    for handle in clients {
        let (latencies, errors) = handle.await.map_err(|error| std::io::Error::other(error.to_string()))?;
        result.requests += latencies.len() + errors;
        result.errors += errors;
        result.latencies_us.extend(latencies);
    }
    result.seconds = started.elapsed().as_secs_f64();
    result.latencies_us.sort_unstable();
    Ok(result)
}

async fn client(
    addr: SocketAddr,
    mut sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    paths: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    total: usize,
    deadline: Option<Instant>,
) -> (Vec<u64>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    let host = addr.to_string();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= total || deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
        let path = &paths[index % paths.len()];
        let Ok(request) = hyper::Request::get(path.as_str()).header("host", &host).body(Empty::<Bytes>::new()) else {
            errors += 1;
            continue;
        };
        let started = Instant::now();
        if sender.ready().await.is_err() {
            errors += 1;
            break;
        }
        match sender.send_request(request).await {
            Ok(response) => {
                let ok = response.status().is_success();
                let body = response.into_body().collect().await;
                if ok && body.is_ok() {
                    latencies.push(started.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                }
            }
            Err(_) => {
                errors += 1;
                break;
            }
        }
    }
    (latencies, errors)
}

/// GETs one path on a fresh connection; the status and body.
pub async fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    tokio::spawn(connection);
    let request = hyper::Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    let response = sender.send_request(request).await.map_err(|error| std::io::Error::other(error.to_string()))?;
    let status = response.status().as_u16();
    let body =
        response.into_body().collect().await.map_err(|error| std::io::Error::other(error.to_string()))?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Waits until `path` answers 200, up to `timeout`.
pub async fn wait_for(addr: SocketAddr, path: &str, timeout: Duration) -> bool {
    wait_until(addr, path, timeout, |_| true).await
}

/// Polls `path` every 20 ms until it answers 200 with a body `accept` takes, or `timeout` passes.
pub async fn wait_until(addr: SocketAddr, path: &str, timeout: Duration, accept: impl Fn(&str) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if matches!(get(addr, path).await, Ok((200, body)) if accept(&body)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let latencies: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&latencies, 0.5), 50.0);
        assert_eq!(percentile_ms(&latencies, 0.99), 99.0);
        assert_eq!(percentile_ms(&latencies, 1.0), 100.0);
        assert!(percentile_ms(&[], 0.5).is_nan());
    }
}
