//! The session with AWS: credentials, accounts (through their roles), regions, the clients,
//! bounded concurrency (each call takes a permit from one semaphore, so `collect.concurrency` bounds
//! the calls in flight across accounts × regions × services), progress reporting (the CLI draws
//! it), and the one place an SDK error becomes a gap: a failed call never stops the run; it becomes
//! a `Gap` with the service, operation, account, region, resource, AWS error code and message, and
//! the controls that needed its facts are no_evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use super::rates::Rates;
use crate::model::config::Config;
use crate::model::snapshot::{Gap, Partition, Shard};
use crate::util::arn::arn_account;
use crate::util::error::Error;

/// How a live collection runs (from flags; the config adds regions, accounts and buckets).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A named profile of the shared AWS config files.
    pub profile: Option<String>,
    /// Regions to collect; the config's `scope.regions`, else the SDK's default region, when empty.
    pub regions: Vec<String>,
    /// Send every call here (moto, LocalStack); `AWS_ENDPOINT_URL` works as well.
    pub endpoint_url: Option<String>,
    /// Attempts per call, retries on throttling included (the SDK's default is 3).
    pub max_attempts: Option<u32>,
    /// The region that must hold copies and replicas (else the config's `scope.dr_region`).
    pub dr_region: Option<String>,
    /// Where collection reports its progress (the CLI's bar on stderr, or nobody).
    pub progress: Progress,
    /// Collect only this shard's share of the accounts (`--shard I/N`).
    pub shard: Option<Shard>,
}

/// Counts the requests each operation makes, and remembers which operations were called.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<BTreeMap<String, u64>>>);

impl Recorder {
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "drready-call-recorder"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            // "Route 53" is one word here, so a listing of calls splits on whitespace.
            let key = format!("{}:{}", m.service().replace(' ', ""), m.name());
            if let Ok(mut calls) = self.0.lock() {
                *calls.entry(key).or_default() += 1;
            }
        }
        Ok(())
    }
}

/// One account and region: the clients' shared configuration and what every call needs.
#[derive(Clone)]
pub struct Ctx {
    pub account: String,
    pub region: String,
    pub sdk: SdkConfig,
    pub recorder: Recorder,
    limit: Arc<Semaphore>,
    /// The request rates per account and service.
    rates: Arc<Rates>,
    /// An endpoint override is set: S3 needs path-style addressing then.
    pub path_style: bool,
    /// When collection started: the end of every time window. (The snapshot's `collected_at` is
    /// when collection ended.)
    pub now: DateTime<Utc>,
    /// Clients given from outside (tests answer with aws-smithy-mocks) instead of built here.
    backup_client: Option<aws_sdk_backup::Client>,
    rds_client: Option<aws_sdk_rds::Client>,
    /// Where per-resource progress goes.
    pub progress: Progress,
    /// Answers more than one collector needs, asked once per account (S3's bucket list, each
    /// bucket's region and tags: the backup-bucket and the Velero rules both read them).
    pub(crate) memo: Arc<Memo>,
}

/// One account's answers, shared by its collectors: each is asked at most once, however many
/// collectors want it and however they race.
/// Answers asked at most once, by key.
pub(crate) type Once<T> = Mutex<BTreeMap<String, Arc<tokio::sync::OnceCell<Result<T, Failure>>>>>;

/// The buckets of an account with the region ListBuckets gives.
pub(crate) type Buckets = Vec<(String, Option<String>)>;

#[derive(Default)]
pub(crate) struct Memo {
    pub buckets: tokio::sync::OnceCell<Result<Buckets, Failure>>,
    pub regions: Once<String>,
    pub tags: Once<BTreeMap<String, String>>,
    /// Operations the endpoint showed it does not implement, by `region/operation`, with the
    /// failure that showed it.
    pub unimplemented: Mutex<BTreeMap<String, Failure>>,
}

impl Memo {
    /// The cell for `key` in one of the maps.
    pub fn cell<T>(
        map: &Mutex<BTreeMap<String, Arc<tokio::sync::OnceCell<T>>>>,
        key: &str,
    ) -> Arc<tokio::sync::OnceCell<T>> {
        match map.lock() {
            Ok(mut m) => m.entry(key.to_string()).or_default().clone(),
            // A poisoned map: no sharing, the call is simply made.
            Err(_) => Arc::new(tokio::sync::OnceCell::new()),
        }
    }
}

impl Ctx {
    /// A context of its own (tests); collection makes its contexts itself.
    pub fn new(
        account: &str,
        region: &str,
        sdk: SdkConfig,
        concurrency: usize,
        now: DateTime<Utc>,
    ) -> Ctx {
        Ctx {
            account: account.to_string(),
            region: region.to_string(),
            sdk,
            recorder: Recorder::default(),
            limit: Arc::new(Semaphore::new(concurrency.max(1))),
            rates: Arc::new(Rates::off()),
            path_style: false,
            now,
            backup_client: None,
            rds_client: None,
            progress: Progress::hidden(),
            memo: Arc::default(),
        }
    }

    /// Use these clients for RDS and AWS Backup calls (tests with mocked answers).
    pub fn with_clients(
        mut self,
        rds: Option<aws_sdk_rds::Client>,
        backup: Option<aws_sdk_backup::Client>,
    ) -> Ctx {
        self.rds_client = rds;
        self.backup_client = backup;
        self
    }

    /// The same account in another region.
    pub fn in_region(&self, region: &str) -> Ctx {
        let mut c = self.clone();
        c.region = region.to_string();
        c.sdk = self
            .sdk
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        c
    }

    /// The SDK configuration for one service: its requests take tokens of this account's bucket
    /// for the service.
    fn sdk_for(&self, service: &str) -> SdkConfig {
        match (
            self.sdk.http_client(),
            self.rates.bucket(&self.account, &self.region, service),
        ) {
            (Some(http), Some(bucket)) => self
                .sdk
                .to_builder()
                .http_client(Rates::wrap(http, Some(bucket)))
                .build(),
            _ => self.sdk.clone(),
        }
    }

    /// Run a per-resource call of `operation` (its pages too), unless the endpoint has already shown
    /// in this account and region that it does not implement it (an emulator, or a region without
    /// the API): then the call is not made, and its failure is the one that showed it.
    pub(crate) async fn unless_unimplemented<T>(
        &self,
        operation: &str,
        call: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let key = format!("{}/{operation}", self.region);
        let known = self
            .memo
            .unimplemented
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(f) = known {
            return Err(Failure {
                code: f.code,
                message: format!(
                    "{} (not asked again in {}: the endpoint does not implement {operation})",
                    f.message, self.region
                ),
            });
        }
        let out = call.await;
        if let Err(f) = &out {
            if f.is_unimplemented() {
                if let Ok(mut m) = self.memo.unimplemented.lock() {
                    m.entry(key).or_insert_with(|| f.clone());
                }
            }
        }
        out
    }

    /// Wait for a permit, then run one call.
    pub async fn call<F: std::future::Future>(&self, f: F) -> F::Output {
        let _permit = self.limit.acquire().await;
        f.await
    }

    pub fn rds(&self) -> aws_sdk_rds::Client {
        if let Some(c) = &self.rds_client {
            return c.clone();
        }
        let conf = aws_sdk_rds::config::Builder::from(&self.sdk_for("rds"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_rds::Client::from_conf(conf)
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_for("s3"))
            .force_path_style(self.path_style)
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub fn backup(&self) -> aws_sdk_backup::Client {
        if let Some(c) = &self.backup_client {
            return c.clone();
        }
        let conf = aws_sdk_backup::config::Builder::from(&self.sdk_for("backup"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_backup::Client::from_conf(conf)
    }

    pub fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        let conf = aws_sdk_cloudwatch::config::Builder::from(&self.sdk_for("cloudwatch"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_cloudwatch::Client::from_conf(conf)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        let conf = aws_sdk_iam::config::Builder::from(&self.sdk_for("iam"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    pub fn eks(&self) -> aws_sdk_eks::Client {
        let conf = aws_sdk_eks::config::Builder::from(&self.sdk_for("eks"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_eks::Client::from_conf(conf)
    }

    pub fn route53(&self) -> aws_sdk_route53::Client {
        let conf = aws_sdk_route53::config::Builder::from(&self.sdk_for("route53"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_route53::Client::from_conf(conf)
    }

    pub fn opensearch(&self) -> aws_sdk_opensearch::Client {
        let conf = aws_sdk_opensearch::config::Builder::from(&self.sdk_for("opensearch"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_opensearch::Client::from_conf(conf)
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(&self.sdk_for("sts"))
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// A gap for a failed call. `resource_type` and `attributes` say which facts it leaves
    /// unknown: a whole-list failure names the type and no attributes.
    pub fn gap(
        &self,
        source: &str,
        operation: &str,
        failure: &Failure,
        resource: Option<&str>,
        resource_type: Option<&str>,
        attributes: &[&str],
    ) -> Gap {
        Gap {
            source: source.to_string(),
            operation: operation.to_string(),
            account: Some(self.account.clone()),
            region: Some(self.region.clone()),
            resource: resource.map(str::to_string),
            resource_type: resource_type.map(str::to_string),
            attributes: attributes.iter().map(|a| a.to_string()).collect(),
            error_code: failure.code.clone(),
            message: failure.message.clone(),
            file: None,
            line: None,
        }
    }
}

/// What an SDK error says, kept as data: the AWS error code and a one-line message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    pub fn new(code: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            code: code.map(str::to_string),
            message: message.into(),
        }
    }

    /// The endpoint does not implement the call as AWS does: an error code that says so, an HTTP
    /// 404, 405 or 501 without any code (AWS answers a missing resource with a code), or a
    /// successful answer that arrived whole and could not be read.
    pub fn is_unimplemented(&self) -> bool {
        match &self.code {
            Some(c) => [
                "NotImplemented",
                "InvalidAction",
                "UnknownOperationException",
                UNREADABLE,
            ]
            .contains(&c.as_str()),
            None => ["HTTP 404 without", "HTTP 405 without", "HTTP 501 without"]
                .iter()
                .any(|p| self.message.starts_with(p)),
        }
    }

    /// The error code is one of these.
    pub fn is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }
}

/// The code of a failure whose answer arrived whole but could not be read.
pub const UNREADABLE: &str = "UnreadableResponse";

/// Read an SDK error. An answer without an error code (an endpoint that does not implement the
/// call answers 404 or 500 with an HTML page) is recorded with its HTTP status.
pub fn failure<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    // Some endpoints wrap query-protocol errors as `<ErrorResponse><Errors><Error>`, which the SDK
    // does not read: the code and message are then taken from the body itself.
    let body = err
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(String::from_utf8_lossy);
    let from_body = |tag: &str| body.as_deref().and_then(|b| xml_text(b, tag));
    // A call that timed out has no AWS code: drready names it, so the gap says why.
    let timed_out = matches!(err, SdkError::TimeoutError(_))
        || matches!(err, SdkError::DispatchFailure(d) if d.is_timeout())
        || {
            // A timeout deeper down, such as while assuming a role for credentials.
            let mut source = std::error::Error::source(err);
            let mut found = false;
            while let Some(inner) = source {
                let text = inner.to_string().to_ascii_lowercase();
                found |= text.contains("timed out") || text.contains("timeout");
                source = inner.source();
            }
            found
        };
    // A whole answer the SDK cannot read (an endpoint that speaks the operation otherwise than
    // AWS does): drready names it too, and does not ask the endpoint again for it.
    // (A successful status with an error is one: S3's errors in a 200 answer carry a code.)
    let unreadable = matches!(err, SdkError::ResponseError(_) | SdkError::ServiceError(_))
        && err.code().is_none()
        && status.is_some_and(|s| (200..300).contains(&s))
        && body.is_some();
    let code = err
        .code()
        .map(str::to_string)
        .or_else(|| from_body("Code"))
        .or_else(|| timed_out.then(|| "Timeout".to_string()))
        .or_else(|| unreadable.then(|| UNREADABLE.to_string()));
    let body_message = from_body("Message");
    let message = match (err.message().or(body_message.as_deref()), &code, status) {
        (Some(m), _, _) if !m.trim().is_empty() => m.to_string(),
        (_, None, Some(s)) if s >= 400 => {
            format!("HTTP {s} without an error code (the endpoint may not implement this call)")
        }
        (_, Some(c), Some(s)) => format!("{c} (HTTP {s})"),
        _ => {
            // A dispatch failure or an answer that could not be read: the error and its causes.
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(inner) = source {
                text.push_str(": ");
                text.push_str(&inner.to_string());
                source = inner.source();
            }
            text
        }
    };
    let mut message = crate::util::error::one_line(&message);
    if message.len() > 400 {
        let mut end = 400;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    Failure { code, message }
}

/// The pages of a paginated call.
pub type Pages<O, E> = aws_smithy_async::future::pagination_stream::PaginationStream<
    Result<O, SdkError<E, HttpResponse>>,
>;

/// Read every page of a paginated call, each request under a permit, handing each page to
/// `on_page`; the first failed request ends the listing and is returned.
pub async fn each_page<O, E>(
    ctx: &Ctx,
    mut pages: Pages<O, E>,
    mut on_page: impl FnMut(O),
) -> Result<(), Failure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    while let Some(page) = ctx.call(pages.next()).await {
        on_page(page.map_err(|e| failure(&e))?);
    }
    Ok(())
}

/// The text of the first `<tag>` element of an XML body.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    let text = body[start..end].trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// An AWS SDK timestamp as chrono.
pub fn time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// The same instant for the SDK.
pub fn aws_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

/// Glob match (`*` and `?`), as backup selections and bucket rules use it.
pub fn glob(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(text)
}

/// Where collection reports its progress. The CLI draws it; the collectors only count: they add the
/// per-resource work they find (buckets, plans, vaults) as they find it, and say what is done.
pub trait ProgressSink: Send + Sync {
    fn add(&self, n: u64);
    fn done(&self, what: &str);
}

/// A handle on a progress sink; `hidden()` reports to nobody.
#[derive(Clone)]
pub struct Progress(Option<Arc<dyn ProgressSink>>);

impl Progress {
    pub fn new(sink: Arc<dyn ProgressSink>) -> Self {
        Self(Some(sink))
    }

    pub fn hidden() -> Self {
        Self(None)
    }

    pub fn add(&self, n: u64) {
        if let Some(s) = &self.0 {
            s.add(n);
        }
    }

    pub fn done(&self, what: &str) {
        if let Some(s) = &self.0 {
            s.done(what);
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::hidden()
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress"
        } else {
            "Progress(hidden)"
        })
    }
}

/// What one account is collected with.
pub(super) struct Account {
    pub(super) id: String,
    sdk: SdkConfig,
}

async fn base_config(opts: &Options, collect: &crate::model::config::RawCollect) -> SdkConfig {
    // Every call is bounded: one unanswered request becomes a gap, never a hang.
    let secs = |s: crate::model::config::Seconds| std::time::Duration::from_secs(s.0.max(1));
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(secs(collect.connect_timeout))
        .read_timeout(secs(collect.read_timeout))
        .operation_attempt_timeout(secs(collect.read_timeout))
        .operation_timeout(secs(collect.operation_timeout))
        .build();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(crate::upload::http_client())
        .timeout_config(timeouts);
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(ep) = &opts.endpoint_url {
        loader = loader.endpoint_url(ep);
    }
    if let Some(n) = opts.max_attempts {
        loader = loader
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(n.max(1)));
    }
    loader.load().await
}

/// The accounts to collect: the caller's own, or each `[[accounts]]` role and each account of the
/// `[organization]` (its role assumed through STS); and the gaps of the organization's accounts
/// left out.
async fn accounts(
    base: &SdkConfig,
    config: &Config,
    recorder: &Recorder,
) -> Result<(Vec<Account>, Option<String>, Vec<Gap>), Error> {
    // Who collects: recorded in the snapshot, so a bundle says which identity gathered its evidence.
    // Without `[[accounts]]` the answer also names the account, so a failure ends the run; with
    // them, each role's own failure is a gap, and the collector is then simply unknown.
    let conf = aws_sdk_sts::config::Builder::from(base)
        .interceptor(recorder.clone())
        .build();
    let who = aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await;
    if config.accounts.is_empty() && config.organization.is_none() {
        let who = who.map_err(|e| {
            let f = failure(&e);
            Error::Other(format!(
                "cannot identify the AWS account (sts:GetCallerIdentity): {}{}; check the credentials (environment, --profile, SSO)",
                f.code.map(|c| format!("{c}: ")).unwrap_or_default(),
                f.message
            ))
        })?;
        let id = who.account().unwrap_or_default().to_string();
        return Ok((
            vec![Account {
                id,
                sdk: base.clone(),
            }],
            who.arn().map(str::to_string),
            Vec::new(),
        ));
    }
    let caller = who.ok().and_then(|w| w.arn().map(str::to_string));
    // The roles to assume: `[[accounts]]` first, then the organization's (an account in both is
    // collected once, through its `[[accounts]]` role).
    let mut roles: Vec<(String, Option<String>)> = config
        .accounts
        .iter()
        .map(|a| (a.role_arn.clone(), a.external_id.clone()))
        .collect();
    let mut gaps = Vec::new();
    if let Some(org) = &config.organization {
        let found = super::organizations::discover(base, recorder, org).await?;
        gaps = found.gaps;
        for m in found.accounts {
            if !roles
                .iter()
                .any(|(arn, _)| arn_account(arn) == Some(m.id.as_str()))
            {
                roles.push((org.role_arn(&m.id), org.external_id.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (role_arn, external_id) in roles {
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role_arn)
            .session_name("drready-audit")
            .configure(base);
        if let Some(x) = &external_id {
            provider = provider.external_id(x);
        }
        let provider = provider.build().await;
        let sdk = base
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        out.push(Account {
            id: arn_account(&role_arn).unwrap_or_default().to_string(),
            sdk,
        });
    }
    Ok((out, caller, gaps))
}

/// The regions to collect: the flags', else the config's, else the SDK's default; the DR region
/// is always among them, since copies and replicas are looked for there.
fn regions(opts: &Options, config: &Config, base: &SdkConfig) -> Result<Vec<String>, Error> {
    let dr_region = opts.dr_region.as_ref().or(config.scope.dr_region.as_ref());
    let mut regions: Vec<String> = opts
        .regions
        .iter()
        .flat_map(|r| r.split(','))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if regions.is_empty() {
        regions = config.scope.regions.clone();
    }
    if regions.is_empty() {
        if let Some(r) = base.region() {
            regions.push(r.to_string());
        }
    }
    if let Some(dr) = dr_region {
        if !regions.contains(dr) {
            regions.push(dr.clone());
        }
    }
    if regions.is_empty() {
        return Err(Error::Other(
            "no region to collect: pass --region, set `scope.regions` in the config, or AWS_REGION"
                .into(),
        ));
    }
    let mut seen = BTreeSet::new();
    regions.retain(|r| seen.insert(r.clone()));
    Ok(regions)
}

/// What every AWS session shares: the accounts' configurations, the regions, one call limit.
pub(super) struct Session {
    pub(super) accounts: Vec<Account>,
    /// The collecting identity's ARN (STS GetCallerIdentity of the base credentials).
    pub(super) caller: Option<String>,
    pub(super) regions: Vec<String>,
    pub(super) recorder: Recorder,
    limit: Arc<Semaphore>,
    pub(super) rates: Arc<Rates>,
    path_style: bool,
    pub(super) now: DateTime<Utc>,
    /// The organization's accounts left out, as gaps.
    pub(super) gaps: Vec<Gap>,
    /// This shard's share of the run (with `--shard`).
    pub(super) partition: Option<Partition>,
    /// This session holds the run's first account (which reads the run-wide facts, such as the
    /// DR test results store): always, unless sharded.
    pub(super) holds_first: bool,
}

impl Session {
    pub(super) async fn open(config: &Config, opts: &Options) -> Result<Session, Error> {
        let now = Utc::now();
        let recorder = Recorder::default();
        let base = base_config(opts, &config.collect).await;
        let regions = regions(opts, config, &base)?;
        // STS and IAM calls go to the first region when the environment names none.
        let base = if base.region().is_none() {
            base.to_builder()
                .region(aws_config::Region::new(regions[0].clone()))
                .build()
        } else {
            base
        };
        let (mut accounts, caller, gaps) = accounts(&base, config, &recorder).await?;
        let mut partition = None;
        let mut holds_first = true;
        if let Some(shard) = opts.shard {
            let units = |accounts: &[&Account]| -> Vec<String> {
                accounts
                    .iter()
                    .flat_map(|a| regions.iter().map(move |r| format!("{}/{r}", a.id)))
                    .collect()
            };
            let all = units(&accounts.iter().collect::<Vec<_>>());
            let mine: Vec<&Account> = accounts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i as u64 % u64::from(shard.count) == u64::from(shard.index))
                .map(|(_, a)| a)
                .collect();
            let collected = units(&mine);
            holds_first = shard.index == 0;
            let keep: BTreeSet<String> = mine.iter().map(|a| a.id.clone()).collect();
            partition = Some(Partition {
                index: shard.index,
                count: shard.count,
                config_sha256: config.file_sha256(),
                units: all,
                collected,
            });
            accounts.retain(|a| keep.contains(&a.id));
        }
        Ok(Session {
            accounts,
            caller,
            regions,
            recorder,
            limit: Arc::new(Semaphore::new(config.collect.concurrency.max(1))),
            rates: Arc::new(Rates::new(&config.collect)),
            gaps,
            partition,
            holds_first,
            path_style: opts.endpoint_url.is_some()
                || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
            now,
        })
    }

    /// Each account's context in the first region.
    pub(super) fn contexts(&self) -> Vec<Ctx> {
        let region = &self.regions[0];
        self.accounts
            .iter()
            .map(|a| Ctx {
                account: a.id.clone(),
                region: region.clone(),
                sdk: a
                    .sdk
                    .to_builder()
                    .region(aws_config::Region::new(region.clone()))
                    .build(),
                recorder: self.recorder.clone(),
                limit: self.limit.clone(),
                rates: self.rates.clone(),
                path_style: self.path_style,
                now: self.now,
                backup_client: None,
                rds_client: None,
                progress: Progress::hidden(),
                memo: Arc::default(),
            })
            .collect()
    }
}

/// One context per account (in the first region), for calls outside collection (remediation).
pub async fn account_contexts(
    config: &Config,
    opts: &Options,
) -> Result<(Vec<Ctx>, Recorder), Error> {
    let session = Session::open(config, opts).await?;
    Ok((session.contexts(), session.recorder))
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;
    use crate::util::arn::arn_region;

    #[test]
    fn error_codes_are_read_from_wrapped_bodies() {
        let body = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>not authorized</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_text(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(xml_text(body, "Message").as_deref(), Some("not authorized"));
        assert_eq!(xml_text("<html>500</html>", "Code"), None);
    }

    #[test]
    fn arns_split() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:role/x"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:iam:::role/x"), None);
        assert_eq!(arn_account("role/x"), None);
        assert_eq!(
            arn_region("arn:aws:rds:us-west-2:1:db:replica"),
            Some("us-west-2")
        );
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
    }

    #[tokio::test]
    async fn an_operation_the_endpoint_lacks_is_not_asked_again_in_that_region() {
        let ctx = Ctx::new(
            "1",
            "us-east-1",
            SdkConfig::builder().build(),
            4,
            chrono::Utc::now(),
        );
        let made = std::sync::atomic::AtomicUsize::new(0);
        // Counted when the call is made (polled), not when it is written down.
        let call = |f: Failure| {
            let made = &made;
            async move {
                made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Err::<(), _>(f)
            }
        };
        let missing = || {
            Failure::new(
                None,
                "HTTP 404 without an error code (the endpoint may not implement this call)",
            )
        };
        let first = ctx.unless_unimplemented("ListX", call(missing())).await;
        let second = ctx.unless_unimplemented("ListX", call(missing())).await;
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(first.unwrap_err().code, None);
        assert!(second
            .unwrap_err()
            .message
            .contains("not asked again in us-east-1"));
        // Another region asks for itself; a denied call is asked again (it may be per resource).
        let west = ctx.in_region("us-west-2");
        let _ = west.unless_unimplemented("ListX", call(missing())).await;
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 2);
        for _ in 0..2 {
            let _ = ctx
                .unless_unimplemented("GetY", call(Failure::new(Some("AccessDenied"), "no")))
                .await;
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 4);
    }

    #[test]
    fn globs_match_like_backup_selections() {
        assert!(glob(
            "arn:aws:rds:*:*:db:*",
            "arn:aws:rds:us-east-1:1:db:orders"
        ));
        assert!(!glob(
            "arn:aws:rds:*:*:cluster:*",
            "arn:aws:rds:us-east-1:1:db:orders"
        ));
        assert!(glob("*", "anything"));
    }
}
