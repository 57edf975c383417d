//! Request rates per account and service: AWS throttles each account's API calls per service
//! (and region, for regional services) with token buckets, so drready keeps its own below them.
//! Each HTTP attempt (retries included) takes a token of its account × service bucket before it
//! leaves; the one semaphore of the session still bounds the calls in flight. A wait happens
//! inside the call's permit, so it is at most `concurrency / per_second` long, well inside the
//! read timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use crate::model::config::{Rate, RawCollect};

/// Services whose limits are per account, whatever the region.
const GLOBAL: &[&str] = &["iam", "organizations", "route53", "sts"];

/// One token bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: Rate,
    /// Tokens left and when they were counted (tokio's clock, which tests can pause).
    state: Mutex<(f64, Instant)>,
    /// Nanoseconds spent waiting for tokens, across the session.
    waited: Arc<AtomicU64>,
}

impl Bucket {
    fn new(rate: Rate, waited: Arc<AtomicU64>) -> Self {
        Self {
            rate,
            state: Mutex::new((f64::from(rate.burst), Instant::now())),
            waited,
        }
    }

    /// Take a token, waiting for one when the bucket is empty.
    pub(crate) async fn take(&self) {
        let started = Instant::now();
        loop {
            let wait = {
                let Ok(mut s) = self.state.lock() else { return };
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * self.rate.per_second;
                s.0 = (s.0 + refill).min(f64::from(self.rate.burst));
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    None
                } else {
                    Some((1.0 - s.0) / self.rate.per_second)
                }
            };
            match wait {
                None => break,
                Some(secs) => tokio::time::sleep(Duration::from_secs_f64(secs)).await,
            }
        }
        let waited = started.elapsed();
        if waited >= Duration::from_millis(1) {
            self.waited.fetch_add(
                u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        }
    }
}

/// The buckets of a session, made on first use.
#[derive(Debug, Default)]
pub struct Rates {
    collect: RawCollect,
    /// No limits at all (contexts made by tests).
    off: bool,
    buckets: Mutex<HashMap<String, Arc<Bucket>>>,
    waited: Arc<AtomicU64>,
}

impl Rates {
    pub fn new(collect: &RawCollect) -> Self {
        Self {
            collect: collect.clone(),
            ..Self::default()
        }
    }

    /// No rate limits (tests that give their own clients).
    pub fn off() -> Self {
        Self {
            off: true,
            ..Self::default()
        }
    }

    /// Time spent waiting for tokens so far.
    pub fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited.load(Ordering::Relaxed))
    }

    /// The bucket of a service in an account (and region, for a regional service).
    pub(crate) fn bucket(&self, account: &str, region: &str, service: &str) -> Option<Arc<Bucket>> {
        if self.off {
            return None;
        }
        let rate = self.collect.rate(service)?;
        let scope = if GLOBAL.contains(&service) {
            "global"
        } else {
            region
        };
        let key = format!("{account}/{scope}/{service}");
        let mut buckets = self.buckets.lock().ok()?;
        Some(
            buckets
                .entry(key)
                .or_insert_with(|| Arc::new(Bucket::new(rate, self.waited.clone())))
                .clone(),
        )
    }

    /// `inner` with every request taking a token of `bucket` first.
    pub(crate) fn wrap(inner: SharedHttpClient, bucket: Option<Arc<Bucket>>) -> SharedHttpClient {
        match bucket {
            Some(bucket) => SharedHttpClient::new(RatedClient { inner, bucket }),
            None => inner,
        }
    }
}

#[derive(Debug)]
struct RatedClient {
    inner: SharedHttpClient,
    bucket: Arc<Bucket>,
}

impl HttpClient for RatedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RatedConnector {
            inner: self.inner.http_connector(settings, components),
            bucket: self.bucket.clone(),
        })
    }
}

#[derive(Debug)]
struct RatedConnector {
    inner: SharedHttpConnector,
    bucket: Arc<Bucket>,
}

impl HttpConnector for RatedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, bucket) = (self.inner.clone(), self.bucket.clone());
        HttpConnectorFuture::new(async move {
            bucket.take().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_lets_its_burst_through_then_its_rate() {
        let waited = Arc::new(AtomicU64::new(0));
        let b = Bucket::new(
            Rate {
                per_second: 10.0,
                burst: 5,
            },
            waited.clone(),
        );
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            b.take().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst does not wait");
        for _ in 0..10 {
            b.take().await;
        }
        // Ten more at ten a second: about one second (paused time advances by the sleeps).
        let e = start.elapsed().as_secs_f64();
        assert!((0.95..=1.1).contains(&e), "{e}");
    }

    #[test]
    fn buckets_are_per_account_and_service_and_region_where_regional() {
        let rates = Rates::new(&RawCollect::default());
        let a = rates.bucket("1", "us-east-1", "rds").unwrap();
        let b = rates.bucket("1", "us-west-2", "rds").unwrap();
        let c = rates.bucket("2", "us-east-1", "rds").unwrap();
        assert!(!Arc::ptr_eq(&a, &b) && !Arc::ptr_eq(&a, &c));
        assert!(Arc::ptr_eq(
            &a,
            &rates.bucket("1", "us-east-1", "rds").unwrap()
        ));
        // Route 53's limit is the account's, in every region.
        let r = rates.bucket("1", "us-east-1", "route53").unwrap();
        assert!(Arc::ptr_eq(
            &r,
            &rates.bucket("1", "eu-west-1", "route53").unwrap()
        ));
        assert!(Rates::off().bucket("1", "us-east-1", "rds").is_none());
        // A service with no published rate has no bucket, unless the config sets one.
        assert!(rates.bucket("1", "us-east-1", "s3").is_none());
        let mut collect = RawCollect::default();
        collect.rates.insert(
            "s3".into(),
            Rate {
                per_second: 100.0,
                burst: 10,
            },
        );
        assert!(Rates::new(&collect)
            .bucket("1", "us-east-1", "s3")
            .is_some());
    }
}
