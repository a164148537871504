//! Group commit for issued assertions. Each assertion's record — its AuthnRequest ID into the replay
//! cache, the e-service into the session's participants, the `assertion.issued` audit event — is
//! committed before the Response leaves. Assertions that arrive while an earlier commit is running
//! are queued and committed together in the next transaction (one multi-row INSERT per table), so
//! under load a commit, its statements and its round trips to the database serve many responses.
//! Nothing waits for a batch to fill: a lone assertion is committed at once.
//!
//! A used request ID in a batch refuses only its own assertion ([`StorageError::Replayed`]): when a
//! batch holds one (or fails for any other reason), it is rolled back and every assertion in it is
//! committed in a transaction of its own, so one bad record cannot fail the others — unless the
//! database itself cannot be used ([`StorageError::Unavailable`]): then every assertion of the batch
//! fails at once (nothing of it was committed, and no Response is sent for it).
use super::entity::{audit_event, seen_request, session_participant as part, sso_session as sess};
use super::{Participant, SeenRequest, StorageError};
use crate::audit::AuditEvent;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// What is written for one issued assertion.
#[derive(Debug, Clone)]
pub struct AssertionRecord {
    pub session_id: String,
    pub participant: Participant,
    /// The AuthnRequest ID, when it enters the replay cache with this assertion.
    pub seen: Option<SeenRequest>,
    /// Also write the session's last use.
    pub touch: bool,
    pub now_ms: i64,
    pub event: AuditEvent,
}

type Reply = oneshot::Sender<Result<(), StorageError>>;

/// At most this many assertions per transaction (bounds the statements' size and parameter count).
const MAX_BATCH: usize = 64;

/// Clears the queue's `draining` flag if the drain task ends abnormally (dropped with its runtime,
/// or a panic), so the next assertion starts a new drain. Disarmed on the normal way out, which
/// hands the flag over itself.
struct DrainGuard {
    queue: Arc<AssertionQueue>,
    armed: bool,
}

impl Drop for DrainGuard {
    fn drop(&mut self) {
        if self.armed {
            self.queue.draining.store(false, Ordering::SeqCst);
        }
    }
}

/// The queue of assertions waiting for the next commit, shared by all clones of a `Store`.
#[derive(Debug, Default)]
pub(super) struct AssertionQueue {
    waiting: Mutex<Vec<(AssertionRecord, Reply)>>,
    /// Whether a drain task is running (it commits what is queued until the queue is empty).
    draining: AtomicBool,
}

impl AssertionQueue {
    /// The oldest queued records, at most [`MAX_BATCH`].
    fn take(&self) -> Vec<(AssertionRecord, Reply)> {
        let mut q = match self.waiting.lock() {
            Ok(q) => q,
            Err(poisoned) => poisoned.into_inner(),
        };
        let n = q.len().min(MAX_BATCH);
        q.drain(..n).collect()
    }

    fn push(&self, item: (AssertionRecord, Reply)) {
        match self.waiting.lock() {
            Ok(mut q) => q.push(item),
            Err(poisoned) => poisoned.into_inner().push(item),
        }
    }

    fn is_empty(&self) -> bool {
        match self.waiting.lock() {
            Ok(q) => q.is_empty(),
            Err(poisoned) => poisoned.into_inner().is_empty(),
        }
    }
}

/// Commits `rec` (alone or with others queued at the same time) and returns when it is durable.
pub(super) async fn record(
    db: &DatabaseConnection,
    queue: &Arc<AssertionQueue>,
    rec: AssertionRecord,
) -> Result<(), StorageError> {
    let (tx, rx) = oneshot::channel();
    queue.push((rec, tx));
    if !queue.draining.swap(true, Ordering::SeqCst) {
        // The drain runs as its own task: a request whose client goes away (its future dropped)
        // cannot abandon the assertions of others half-way.
        tokio::spawn(drain(db.clone(), queue.clone()));
    }
    rx.await.map_err(|_| {
        StorageError::Corrupt(
            "the commit task of this assertion ended without an answer (outcome unknown)".into(),
        )
    })?
}

async fn drain(db: DatabaseConnection, queue: Arc<AssertionQueue>) {
    let mut guard = DrainGuard {
        queue: queue.clone(),
        armed: true,
    };
    loop {
        let batch = queue.take();
        if batch.is_empty() {
            guard.armed = false;
            queue.draining.store(false, Ordering::SeqCst);
            // Something queued after `take` and before the flag was cleared saw a running drain and
            // did not start one: take it over unless a new drain has started meanwhile.
            if !queue.is_empty() && !queue.draining.swap(true, Ordering::SeqCst) {
                guard.armed = true;
                continue;
            }
            return;
        }
        let (records, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let whole = commit(&db, &records).await;
        if records.len() == 1 {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(outcome(whole));
            }
            continue;
        }
        match whole {
            Ok(true) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            // The database cannot be used (full, read-only, unreachable, locked): nothing of the
            // batch was committed, and one by one would only fail again (or wait again).
            Err(StorageError::Unavailable(why)) => {
                tracing::warn!(error = %why, n = records.len(), "assertion batch not committed");
                for reply in replies {
                    let _ = reply.send(Err(StorageError::Unavailable(why.clone())));
                }
            }
            // A request ID in the batch was used before (or twice in it), or the batch failed:
            // each record again in a transaction of its own, so each gets its own outcome.
            other => {
                if let Err(e) = other {
                    tracing::warn!(error = %e, n = records.len(), "assertion batch failed; committing one by one");
                }
                for (rec, reply) in records.into_iter().zip(replies) {
                    let one = commit(&db, std::slice::from_ref(&rec)).await;
                    let _ = reply.send(outcome(one));
                }
            }
        }
    }
}

fn outcome(r: Result<bool, StorageError>) -> Result<(), StorageError> {
    match r {
        Ok(true) => Ok(()),
        Ok(false) => Err(StorageError::Replayed),
        Err(e) => Err(e),
    }
}

/// One transaction for `records`. `Ok(false)`, and nothing written, when one of their request IDs
/// is already in the replay cache or appears twice among them.
async fn commit(
    db: &DatabaseConnection,
    records: &[AssertionRecord],
) -> Result<bool, StorageError> {
    let t = db.begin().await?;
    let seen: Vec<&SeenRequest> = records.iter().filter_map(|r| r.seen.as_ref()).collect();
    if !seen.is_empty() {
        // No RETURNING: in the usual case (no replay) nothing has to come back but the row count.
        let inserted =
            seen_request::Entity::insert_many(seen.iter().map(|s| seen_request::ActiveModel {
                sp_entity_id: Set(s.sp_entity_id.clone()),
                request_id: Set(s.request_id.clone()),
                expires_at: Set(s.expires_at),
            }))
            .on_conflict(
                OnConflict::columns([
                    seen_request::Column::SpEntityId,
                    seen_request::Column::RequestId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&t)
            .await?;
        if inserted != seen.len() as u64 {
            t.rollback().await?;
            return Ok(false);
        }
    }
    part::Entity::insert_many(records.iter().map(|r| part::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        session_id: Set(r.session_id.clone()),
        sp_entity_id: Set(r.participant.sp_entity_id.clone()),
        name_id: Set(r.participant.name_id.clone()),
        name_id_format: Set(r.participant.name_id_format.clone()),
        created_at: Set(r.now_ms),
    }))
    .exec_without_returning(&t)
    .await?;
    for r in records.iter().filter(|r| r.touch) {
        sess::Entity::update_many()
            .col_expr(sess::Column::LastSeenAt, Expr::value(r.now_ms))
            .filter(sess::Column::Id.eq(r.session_id.as_str()))
            .filter(sess::Column::LastSeenAt.lt(r.now_ms))
            .exec(&t)
            .await?;
    }
    audit_event::Entity::insert_many(
        records
            .iter()
            .map(|r| super::audit::model(&r.event, r.now_ms)),
    )
    .exec_without_returning(&t)
    .await?;
    t.commit().await?;
    Ok(true)
}
