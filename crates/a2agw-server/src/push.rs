//! Push notification delivery: the worker that POSTs each task event to the task's
//! webhooks, and the SSRF guard that keeps webhooks off internal addresses.
//!
//! # Delivery
//! [`PushWorker::spawn`] starts one background task per gateway. It wakes on every append
//! announced by [`TaskStore::watch`], on a timer ([`PushSettings::poll_interval`]: other
//! instances' announcements can be lost, see the store docs) and whenever a delivery job
//! ends, and reads [`TaskStore::push_backlog`]: the push configs whose delivery cursor is
//! behind their task's log (and that no other instance is delivering, see below). For each
//! it starts a **job**, unless that config already has one: a config's events are sent by
//! one job at a time, in log order.
//!
//! A job first claims its config (see below), then reads the task's events after the cursor
//! ([`TaskStore::events_after`]). An event clients never see (a user message, provider
//! data: [`TaskEvent::to_stream_response`] is `None`) just moves the cursor. A visible one
//! is sent as an HTTP `POST` of the A2A 1.0 `StreamResponse` JSON (`{"task":…}`,
//! `{"statusUpdate":…}`, `{"artifactUpdate":…}`) to the config's `url`, with
//! `Content-Type: application/a2a+json`, `X-A2A-Notification-Token: <token>` when the
//! config has a token and `Authorization: <scheme> <credentials>` when it has
//! `authentication` (spec §4.3.3; ARCHITECTURE.md decision 22). Any 2xx is an
//! acknowledgement; then the cursor moves past the event ([`TaskStore::set_push_cursor`]).
//!
//! Any other answer, a timeout ([`PushSettings::request_timeout`]) or a connection error is
//! retried with exponential backoff ([`PushSettings::initial_backoff`] doubling up to
//! [`PushSettings::max_backoff`]), at most [`PushSettings::max_attempts`] attempts in all.
//! Then the event is **given up**: a warning is logged (task, config, webhook host, last
//! error — never the token, the credentials or the full URL), `a2agw_push_failures_total`
//! is counted, and the cursor moves on to the next event. Attempts are bounded so that one
//! dead webhook cannot hold its config's later events (or the worker) forever; a receiver
//! that comes back gets the events from then on and can catch up with `GetTask`. Redirects
//! are not followed (a 3xx is a failure), and no proxy is used, so the guard below sees
//! every address actually connected to.
//!
//! Before **each** POST (retries included) the config is read again: a deleted config gets
//! no further POST (spec §3.1.10, checklist item 53), and a replaced one is sent to its new
//! URL with its new secrets.
//!
//! # At least once
//! The cursor is written after the receiver's 2xx, so a crash, a shutdown or a lost store
//! write between the two sends that event again when delivery resumes — by any instance
//! sharing the store, after a restart too, since the cursor is stored with the config.
//! Receivers must deduplicate (by task id and the status or artifact carried), as the spec
//! tells them to.
//!
//! # One deliverer per config
//! Gateway instances sharing a PostgreSQL store each run a worker. So that they do not POST
//! the same events, a job delivers only while it holds its config's **claim**
//! ([`TaskStore::try_claim_push`], held by [`PushSettings::holder`], valid for
//! [`PushSettings::claim_ttl`] by the store's clock):
//! - a job takes the claim before anything else, and starts from the cursor read with it
//!   (the backlog entry may be stale: another instance may have delivered meanwhile). When
//!   another instance holds the claim, the job ends quietly: that instance delivers. The
//!   backlog a worker reads leaves out the configs under another holder's live claim;
//! - before each POST attempt, when a third of the ttl has passed since the last renewal,
//!   the job renews the claim (sending the renewal before the POST, so a POST starts with at
//!   least two thirds of the ttl left, which must cover the POST — at most
//!   [`PushSettings::request_timeout`] — and the cursor write: the ttl is raised to twice
//!   the request timeout when shorter). If the renewal finds the claim taken over by
//!   another holder, or the cursor moved by someone else (the claim lapsed meanwhile, say
//!   during a long backoff, and another instance delivered), or the config deleted, the job
//!   stops at once; a failed renewal (store error) stops it too, without POSTing;
//! - the job releases the claim when it ends, and the worker releases its jobs' claims
//!   when it stops; a crashed instance's claims expire after the ttl, and then another
//!   instance takes its configs over.
//!
//! What remains: an event is POSTed twice only when a claim expires while its holder is
//! still between the start of a POST and the cursor write after it, i.e. when the instance
//! (or its store connection) stalls longer than about two thirds of the ttl minus the POST
//! time — a process or VM frozen for tens of seconds with the defaults — and, as with a
//! single instance, when an instance dies between a receiver's 2xx and the cursor write.
//!
//! A new config's cursor is 0 (see [`TaskStore::set_push_cursor`]), so a config given with
//! the `SendMessage` that created the task receives the task's events from the first one
//! (checklist item 24), and so does a config created later on a running task.
//!
//! # SSRF guard
//! (The guard itself is shared with [`crate::CardFetcher`], which fetches agent cards from
//! URLs chosen by others, in `outbound.rs`; [`check_webhook_url`] is re-exported
//! here.) Webhook URLs are chosen by clients, and the gateway POSTs to them from inside its
//! network, so unless [`PushPolicy::allow_private_targets`] is set (tests, private
//! deployments) the gateway refuses targets that are not public (spec §13.2, digest §8,
//! checklist item 54): schemes other than `http`/`https`; `localhost` and `*.localhost`;
//! and any address that is loopback (127/8, ::1), private (10/8, 172.16/12, 192.168/16, IPv6
//! unique-local fc00::/7 and the old site-local fec0::/10), link-local (169.254/16 — which
//! holds the cloud metadata address 169.254.169.254 — and fe80::/10), shared CGNAT space
//! (100.64/10), unspecified or "this network" (0/8, ::), multicast or broadcast — also when
//! written as an IPv4-mapped, IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address
//! ([`forbidden_range`]).
//!
//! It is applied twice:
//! 1. when a config is created ([`check_webhook_url`], called by the handler for
//!    `CreateTaskPushNotificationConfig` and for the config given inline with
//!    `SendMessage`): a refused URL is `-32602` naming the field. The host name is resolved
//!    then, and refused if **any** of its addresses is forbidden; a name that does not
//!    resolve (yet) is accepted, the send-time check covering it;
//! 2. at every send: IP-literal hosts are checked again, and host names are resolved by the
//!    worker's own resolver, which refuses the name when any address is forbidden and
//!    otherwise hands the HTTP client exactly the addresses it checked. A name that
//!    resolved to a public address at creation and to an internal one later (DNS
//!    rebinding) is therefore refused when it matters. A refused send is not retried: the
//!    event is given up at once (and counted with `reason="refused"`).

use crate::outbound::{GuardedResolver, Purpose, check_literal, describe, refused_by_guard};
use crate::shutdown::Shutdown;
use a2agw_task::{PushBacklog, StoreError, TaskEvent, TaskStore};
use a2agw_types::{StreamResponse, TaskPushNotificationConfig};
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

pub use crate::outbound::check_webhook_url;

/// The media type of push notification bodies (spec §4.3.3).
pub(crate) const PUSH_CONTENT_TYPE: &str = "application/a2a+json";

/// The header carrying the config's `token`.
pub(crate) const TOKEN_HEADER: &str = "X-A2A-Notification-Token";

/// Most backlog entries read per pass (configs with a job running are skipped, so a pass
/// with this many stuck configs starts nothing new until one finishes).
const BACKLOG_LIMIT: usize = 512;

/// Events a job reads from the log at once.
const EVENTS_BATCH: usize = 64;

/// How long a stopping worker waits for the store to release its jobs' claims (they
/// expire by themselves otherwise).
const RELEASE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where webhooks may point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushPolicy {
    /// Allow loopback, private, link-local and other non-public targets (tests, private
    /// deployments). Off by default.
    pub allow_private_targets: bool,
}

/// How the push worker delivers. See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushSettings {
    /// Allow non-public webhook targets (see [`PushPolicy`]). Default `false`.
    pub allow_private_targets: bool,
    /// Attempts per event before it is given up (at least 1). Default 8.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one. Default 500 ms.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts. Default 30 s.
    pub max_backoff: Duration,
    /// Timeout of one POST, connection included (the spec asks for 10–30 s). Default 15 s.
    pub request_timeout: Duration,
    /// How often the backlog is read without an append announcement. Default 1 s.
    pub poll_interval: Duration,
    /// How long a job's claim on its config lasts without renewal (see the module docs):
    /// after a crash, the instance's configs wait this long before another instance
    /// delivers them. At least twice [`PushSettings::request_timeout`] (a shorter value is
    /// raised to that), so that a POST always ends before the claim it started under.
    /// Default 60 s.
    pub claim_ttl: Duration,
    /// This worker's identity in claims, unique per process: two workers with one holder
    /// would deliver the same configs together. `None` (the default): a random id chosen
    /// when the worker starts.
    pub holder: Option<String>,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            allow_private_targets: false,
            max_attempts: 8,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
            claim_ttl: Duration::from_secs(60),
            holder: None,
        }
    }
}

impl PushSettings {
    /// The policy the handler applies when configs are created.
    pub fn policy(&self) -> PushPolicy {
        PushPolicy {
            allow_private_targets: self.allow_private_targets,
        }
    }

    /// The claim ttl in force: [`PushSettings::claim_ttl`], at least twice the request
    /// timeout.
    fn effective_claim_ttl(&self) -> Duration {
        self.claim_ttl.max(self.request_timeout.saturating_mul(2))
    }

    /// The wait after failed attempt number `attempt` (from 1).
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

// ---------------------------------------------------------------------------------------
// The worker

/// The push delivery worker. See the module docs.
#[derive(Debug)]
pub struct PushWorker;

/// A config: (task id, config id).
type Key = (String, String);

#[derive(Debug)]
struct Ctx {
    store: Arc<dyn TaskStore>,
    settings: PushSettings,
    client: reqwest::Client,
    /// This worker's holder id in claims.
    holder: String,
    /// The claim ttl in force.
    claim_ttl: Duration,
}

impl PushWorker {
    /// Starts delivering on the current Tokio runtime until `shutdown` begins; the handle
    /// resolves once the worker and all its jobs have stopped (a POST in flight then is
    /// sent again on the next start: at least once).
    pub fn spawn(
        store: Arc<dyn TaskStore>,
        settings: PushSettings,
        shutdown: Shutdown,
    ) -> JoinHandle<()> {
        let mut client = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("a2a-gateway/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private_targets {
            client = client.dns_resolver(GuardedResolver::new(Purpose::Webhook));
        }
        let client = match client.build() {
            Ok(client) => client,
            Err(e) => {
                // Only a TLS backend that cannot start gets here. Nothing is delivered (and
                // no cursor moves), so a restart with a working setup delivers everything.
                tracing::error!(error = %e, "push delivery: cannot build the HTTP client; push notifications are NOT delivered");
                return tokio::spawn(shutdown.wait());
            }
        };
        let holder = settings
            .holder
            .clone()
            .unwrap_or_else(|| format!("push-{}", a2agw_provider::new_id()));
        let ctx = Arc::new(Ctx {
            store,
            claim_ttl: settings.effective_claim_ttl(),
            settings,
            client,
            holder,
        });
        tokio::spawn(run(ctx, shutdown))
    }
}

async fn run(ctx: Arc<Ctx>, shutdown: Shutdown) {
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let mut announcements = Some(ctx.store.watch());
    let mut tick = tokio::time::interval(ctx.settings.poll_interval.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut jobs: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, Key> = HashMap::new();
    let mut busy: HashSet<Key> = HashSet::new();
    loop {
        match ctx.store.push_backlog(&ctx.holder, BACKLOG_LIMIT).await {
            Ok(backlog) => {
                for entry in backlog {
                    let key = (entry.config.task_id.clone(), entry.config.id.clone());
                    if busy.contains(&key) {
                        continue;
                    }
                    let handle = jobs.spawn(job(Arc::clone(&ctx), entry));
                    running.insert(handle.id(), key.clone());
                    busy.insert(key);
                }
            }
            Err(e) => tracing::warn!(error = %e, "push delivery: reading the backlog failed"),
        }
        // Wait for a reason to look again.
        tokio::select! {
            () = &mut stop => break,
            woke = recv(&mut announcements) => {
                if !woke {
                    announcements = None;
                }
            }
            _ = tick.tick() => {}
            Some(done) = jobs.join_next_with_id(), if !jobs.is_empty() => {
                let (id, ended) = match done {
                    Ok((id, ())) => (id, true),
                    Err(e) => {
                        if e.is_panic() {
                            tracing::error!("push delivery: a job panicked");
                        }
                        (e.id(), false)
                    }
                };
                if let Some(key) = running.remove(&id) {
                    if !ended {
                        // The job could not release its claim itself.
                        release(&ctx, std::slice::from_ref(&key)).await;
                    }
                    busy.remove(&key);
                }
            }
        }
    }
    jobs.shutdown().await;
    // The aborted jobs' claims: released now rather than left to expire, so that another
    // instance can take their configs over at once.
    let keys: Vec<Key> = busy.into_iter().collect();
    if tokio::time::timeout(RELEASE_TIMEOUT, release(&ctx, &keys))
        .await
        .is_err()
    {
        tracing::warn!(
            claims = keys.len(),
            "push delivery: the store did not release the claims in time; they will expire"
        );
    }
}

/// Releases this worker's claims on `keys` (a no-op for those it does not hold).
async fn release(ctx: &Ctx, keys: &[Key]) {
    for (task_id, config_id) in keys {
        if let Err(e) = ctx
            .store
            .release_push_claim(task_id, config_id, &ctx.holder)
            .await
        {
            tracing::debug!(task_id = %task_id, config_id = %config_id, error = %e, "push delivery: releasing the claim failed; it will expire");
        }
    }
}

/// Waits for an announcement and takes every other one already queued (one backlog pass
/// serves them all). `false` when the store's channel is closed (then only the timer and
/// job completions wake the worker).
async fn recv(rx: &mut Option<broadcast::Receiver<a2agw_task::Appended>>) -> bool {
    let Some(r) = rx else {
        return std::future::pending().await;
    };
    match r.recv().await {
        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
            while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = r.try_recv() {}
            true
        }
        Err(broadcast::error::RecvError::Closed) => false,
    }
}

/// One config's delivery: claims the config, runs until its cursor reaches the end of the
/// log (or the claim is lost), releases the claim.
async fn job(ctx: Arc<Ctx>, entry: PushBacklog) {
    let task_id = entry.config.task_id;
    let config_id = entry.config.id;
    let mut claim = match Claim::take(&ctx, &task_id, &config_id).await {
        Ok(Some(claim)) => claim,
        Ok(None) => {
            tracing::debug!(task_id = %task_id, config_id = %config_id, "push delivery: another instance holds the claim; it delivers");
            return;
        }
        // Deleted meanwhile: nothing to deliver.
        Err(StoreError::NotFound(_)) => return,
        Err(e) => {
            tracing::warn!(task_id = %task_id, config_id = %config_id, error = %e, "push delivery: claiming failed; will retry");
            tokio::time::sleep(ctx.settings.poll_interval).await;
            return;
        }
    };
    let result = deliver(&ctx, &mut claim).await;
    release(&ctx, &[(task_id.clone(), config_id.clone())]).await;
    if let Err(e) = result {
        tracing::warn!(task_id = %task_id, config_id = %config_id, error = %e, "push delivery: store error; will retry");
        // Not at once: the worker restarts the job on its next pass.
        tokio::time::sleep(ctx.settings.poll_interval).await;
    }
}

/// A job's claim on its config ([`TaskStore::try_claim_push`]).
struct Claim<'a> {
    ctx: &'a Ctx,
    task_id: &'a str,
    config_id: &'a str,
    /// When the last successful take or renewal was sent: the claim lasts at least the
    /// ttl from then (the store stamps it later, by its own clock).
    renewed: Instant,
    /// The delivery cursor as the store holds it: read with the claim, then as this job
    /// wrote it. Nobody else moves it while the claim holds.
    stored: u64,
}

impl<'a> Claim<'a> {
    /// Takes the claim: `None` when another holder has it.
    async fn take(
        ctx: &'a Ctx,
        task_id: &'a str,
        config_id: &'a str,
    ) -> Result<Option<Claim<'a>>, StoreError> {
        let sent = Instant::now();
        let taken = ctx
            .store
            .try_claim_push(task_id, config_id, &ctx.holder, ctx.claim_ttl)
            .await?;
        Ok(taken.map(|stored| Claim {
            ctx,
            task_id,
            config_id,
            renewed: sent,
            stored,
        }))
    }

    /// Called before each POST attempt: renews the claim once a third of the ttl has
    /// passed since the last renewal, so that the POST starts with at least two thirds of
    /// the ttl left. `false`: stop delivering this config at once (the claim was taken
    /// over, the cursor was moved by someone else, or the config was deleted).
    async fn keep(&mut self) -> Result<bool, StoreError> {
        if self.renewed.elapsed() < self.ctx.claim_ttl / 3 {
            return Ok(true);
        }
        let sent = Instant::now();
        let (task_id, config_id) = (self.task_id, self.config_id);
        match self
            .ctx
            .store
            .try_claim_push(task_id, config_id, &self.ctx.holder, self.ctx.claim_ttl)
            .await
        {
            Ok(Some(stored)) if stored == self.stored => {
                self.renewed = sent;
                Ok(true)
            }
            Ok(Some(stored)) => {
                // Our claim lapsed and another instance delivered meanwhile (or the config
                // was deleted and created again): the worker starts over from the store.
                tracing::info!(
                    task_id,
                    config_id,
                    cursor = self.stored,
                    stored,
                    "push delivery: the cursor moved while the claim had lapsed; stopping"
                );
                Ok(false)
            }
            Ok(None) => {
                tracing::info!(
                    task_id,
                    config_id,
                    "push delivery: another instance took the claim over; stopping"
                );
                Ok(false)
            }
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Moves the stored cursor to `seq`. `false` when the config is gone.
    async fn advance(&mut self, seq: u64) -> Result<bool, StoreError> {
        match self
            .ctx
            .store
            .set_push_cursor(self.task_id, self.config_id, seq)
            .await
        {
            Ok(()) => {
                self.stored = seq;
                Ok(true)
            }
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// What became of one event.
enum Sent {
    /// A 2xx.
    Delivered,
    /// Given up after the attempts (or refused by the guard).
    GivenUp,
    /// The config is gone, or another instance delivers it now: stop.
    Stop,
}

async fn deliver(ctx: &Ctx, claim: &mut Claim<'_>) -> Result<(), StoreError> {
    let store = &ctx.store;
    let task_id = claim.task_id;
    let mut cursor = claim.stored;
    let Some(owner) = store.owner(task_id).await? else {
        return Ok(());
    };
    loop {
        let events = match store.events_after(task_id, cursor, EVENTS_BATCH).await {
            Ok(events) => events,
            Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if events.is_empty() {
            break;
        }
        let Some(record) = store.get(owner.scope(), task_id).await? else {
            return Ok(());
        };
        let context_id = record.task.context_id;
        for stored_event in events {
            let Some(body) = visible(&stored_event.event, task_id, &context_id) else {
                cursor = stored_event.seq;
                continue;
            };
            match send(ctx, claim, stored_event.seq, &body).await? {
                Sent::Stop => return Ok(()),
                Sent::Delivered | Sent::GivenUp => {}
            }
            cursor = stored_event.seq;
            if !claim.advance(cursor).await? {
                return Ok(());
            }
        }
    }
    if cursor > claim.stored {
        claim.advance(cursor).await?;
    }
    Ok(())
}

/// The event's notification body, if clients see it.
fn visible(event: &TaskEvent, task_id: &str, context_id: &str) -> Option<Bytes> {
    let response: StreamResponse = event.to_stream_response(task_id, context_id)?;
    match serde_json::to_vec(&response) {
        Ok(json) => Some(Bytes::from(json)),
        Err(e) => {
            tracing::error!(task_id, error = %e, "push delivery: cannot serialize an event; skipped");
            None
        }
    }
}

/// The webhook's host, for logs (never the path or query, which may carry secrets).
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Sends one event with retries, keeping the claim and re-reading the config before each
/// attempt.
async fn send(
    ctx: &Ctx,
    claim: &mut Claim<'_>,
    seq: u64,
    body: &Bytes,
) -> Result<Sent, StoreError> {
    let (task_id, config_id) = (claim.task_id, claim.config_id);
    let attempts = ctx.settings.max_attempts.max(1);
    let mut last_error = String::new();
    let mut host = String::new();
    for attempt in 1..=attempts {
        if !claim.keep().await? {
            return Ok(Sent::Stop);
        }
        let Some(config) = ctx.store.get_push_config(task_id, config_id).await? else {
            return Ok(Sent::Stop);
        };
        host = host_of(&config.url);
        match post(ctx, &config, body).await {
            Ok(()) => {
                metrics::counter!("a2agw_push_deliveries_total").increment(1);
                return Ok(Sent::Delivered);
            }
            Err(Failure::Permanent(why)) => {
                tracing::warn!(
                    task_id, config_id, seq, webhook_host = %host, reason = %why,
                    "push delivery: webhook refused; event not sent"
                );
                metrics::counter!("a2agw_push_failures_total", "reason" => "refused").increment(1);
                return Ok(Sent::GivenUp);
            }
            Err(Failure::Retry(why)) => last_error = why,
        }
        if attempt < attempts {
            tracing::debug!(task_id, config_id, seq, attempt, error = %last_error, "push delivery: attempt failed; retrying");
            tokio::time::sleep(ctx.settings.backoff(attempt)).await;
        }
    }
    tracing::warn!(
        task_id, config_id, seq, attempts, webhook_host = %host, last_error = %last_error,
        "push delivery: giving up on this event after the last attempt"
    );
    metrics::counter!("a2agw_push_failures_total", "reason" => "attempts_exhausted").increment(1);
    Ok(Sent::GivenUp)
}

/// Why a POST failed.
enum Failure {
    /// Worth another attempt (non-2xx, timeout, connection).
    Retry(String),
    /// Never going to work as configured (refused target, unusable header value).
    Permanent(String),
}

/// One POST of `body` to the config's webhook.
async fn post(ctx: &Ctx, config: &TaskPushNotificationConfig, body: &Bytes) -> Result<(), Failure> {
    let allow_private = ctx.settings.allow_private_targets;
    let (url, _) = check_literal(&config.url, allow_private, Purpose::Webhook)
        .map_err(|b| Failure::Permanent(b.to_string()))?;
    let mut request = ctx
        .client
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static(PUSH_CONTENT_TYPE))
        .body(body.clone());
    if !config.token.is_empty() {
        let mut value = HeaderValue::from_str(&config.token)
            .map_err(|_| Failure::Permanent("the token is not a valid header value".into()))?;
        value.set_sensitive(true);
        request = request.header(TOKEN_HEADER, value);
    }
    if let Some(auth) = config
        .authentication
        .as_ref()
        .filter(|a| !a.scheme.is_empty())
    {
        let text = if auth.credentials.is_empty() {
            auth.scheme.clone()
        } else {
            format!("{} {}", auth.scheme, auth.credentials)
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            Failure::Permanent("the authentication is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    match request.send().await {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(Failure::Retry(format!("HTTP {}", resp.status().as_u16()))),
        Err(e) => match refused_by_guard(&e) {
            Some(why) => Err(Failure::Permanent(why)),
            None => Err(Failure::Retry(describe(e))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = PushSettings::default();
        let waits: Vec<u64> = (1..=9).map(|a| s.backoff(a).as_millis() as u64).collect();
        assert_eq!(
            waits,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(s.backoff(u32::MAX), s.max_backoff);
        assert_eq!(s.policy(), PushPolicy::default());
    }
}
