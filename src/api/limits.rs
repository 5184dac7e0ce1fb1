//! Rate limits: a token bucket (governor's GCRA) per client and route group, so that one client's
//! flood is answered 429 with `Retry-After` before it takes search permits from the others. A
//! client is its key when the key is private (it may write, export or administer: its holder is
//! one client), else its address — a public search key or a tenant token is carried by many
//! readers, each limited on their own. Behind a trusted proxy the address is the one the proxy
//! names in `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::access::Grant;
use crate::config::{Rate, Settings};
use crate::error::{Error, Result};

/// The route groups limited separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// As-you-type search and suggestions: many small requests per reader.
    Instant,
    /// Every other read.
    Search,
    Export,
    /// Writes, deletes and key management.
    Write,
}

impl Group {
    fn index(self) -> usize {
        match self {
            Group::Instant => 0,
            Group::Search => 1,
            Group::Export => 2,
            Group::Write => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Group::Instant => "instant",
            Group::Search => "search",
            Group::Export => "export",
            Group::Write => "write",
        }
    }
}

/// Who a bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Client {
    Address(IpAddr),
    Key(String),
}

/// Every group's limiter (none for a group without a configured rate).
pub struct RateLimiters {
    groups: [Option<DefaultKeyedRateLimiter<Client>>; 4],
    trusted_proxies: Vec<IpAddr>,
    clock: DefaultClock,
}

impl RateLimiters {
    pub fn new(settings: &Settings) -> RateLimiters {
        let limits = settings.rate_limits;
        let limiter = |rate: Option<Rate>| rate.and_then(quota).map(RateLimiter::keyed);
        RateLimiters {
            groups: [limiter(limits.instant), limiter(limits.search), limiter(limits.export), limiter(limits.write)],
            trusted_proxies: settings.trusted_proxies.clone(),
            clock: DefaultClock::default(),
        }
    }

    /// True when no group is limited.
    pub fn is_off(&self) -> bool {
        self.groups.iter().all(Option::is_none)
    }

    /// Takes one request from the client's bucket of `group`: `RateLimited` (429, with the wait)
    /// when it is empty.
    pub fn check(&self, group: Group, client: &Client) -> Result<()> {
        let Some(limiter) = &self.groups[group.index()] else { return Ok(()) };
        limiter.check_key(client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Error::RateLimited {
                message: format!(
                    "too many {} requests from this client: retry in {:.1} s",
                    group.name(),
                    wait.as_secs_f64()
                ),
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    /// The client of a request: its private key, else its address (from `X-Forwarded-For` when
    /// the peer is a trusted proxy).
    pub fn client(&self, grant: Option<&Grant>, peer: Option<SocketAddr>, headers: &HeaderMap) -> Client {
        if let Some(uid) = grant.filter(|grant| grant.private).and_then(|grant| grant.key_uid.clone()) {
            return Client::Key(uid);
        }
        let peer = peer.map(|peer| peer.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Client::Address(self.forwarded_for(peer, headers))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the last address
    /// of `X-Forwarded-For` that is not a trusted proxy itself (what a client writes at the
    /// start of the header is not believed).
    fn forwarded_for(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        hops.into_iter().rev().find(|hop| !self.trusted_proxies.contains(hop)).unwrap_or(peer)
    }

    /// Forgets buckets that are full again (their clients idle): memory stays bounded by the
    /// clients of the last moments.
    pub fn tidy(&self) {
        for limiter in self.groups.iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Buckets kept now, over every group.
    pub fn clients(&self) -> usize {
        self.groups.iter().flatten().map(|limiter| limiter.len()).sum()
    }
}

fn quota(rate: Rate) -> Option<Quota> {
    let period = Duration::from_secs_f64(1.0 / rate.per_second);
    Some(Quota::with_period(period)?.allow_burst(NonZeroU32::new(rate.burst)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RateLimits;

    fn limiters(trusted: &[&str]) -> RateLimiters {
        let settings = Settings {
            rate_limits: RateLimits { search: Some(Rate { per_second: 1.0, burst: 2 }), ..RateLimits::default() },
            trusted_proxies: trusted.iter().map(|address| address.parse().unwrap()).collect(),
            ..Settings::default()
        };
        RateLimiters::new(&settings)
    }

    #[test]
    fn a_bucket_empties_and_says_how_long_to_wait() {
        let limits = limiters(&[]);
        let client = Client::Address("192.0.2.1".parse().unwrap());
        assert!(limits.check(Group::Search, &client).is_ok());
        assert!(limits.check(Group::Search, &client).is_ok());
        let Err(Error::RateLimited { retry_after_secs, .. }) = limits.check(Group::Search, &client) else {
            panic!("the third request within the burst of two is limited");
        };
        assert_eq!(retry_after_secs, 1);
        assert!(limits.check(Group::Search, &Client::Address("192.0.2.2".parse().unwrap())).is_ok());
        assert!(limits.check(Group::Instant, &client).is_ok(), "a group without a rate is not limited");
        assert_eq!(limits.clients(), 2);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.0.0.2".parse().unwrap());
        let peer: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let behind = limiters(&["10.0.0.1", "10.0.0.2"]);
        assert_eq!(behind.client(None, Some(peer), &headers), Client::Address("203.0.113.9".parse().unwrap()));
        let direct = limiters(&[]);
        assert_eq!(direct.client(None, Some(peer), &headers), Client::Address("10.0.0.1".parse().unwrap()));
    }
}
