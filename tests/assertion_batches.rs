//! Group commit of issued assertions (storage): assertions recorded at the same moment share one
//! transaction, yet each keeps its own outcome — a request ID used before (or twice in the same
//! batch) refuses only that assertion, and a record that cannot be written does not take the others
//! down with it. On SQLite always, and on PostgreSQL when TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::{backends, TestApp};
use pass_idp::audit::{AuditEvent, AuditKind};
use pass_idp::domain::ids::Username;
use pass_idp::storage::{AssertionRecord, Participant, SeenRequest, SessionRecord, StorageError};

const SP: &str = "https://e-storitev.example.si/sp";

fn record(session_id: &str, request_id: &str, now_ms: i64) -> AssertionRecord {
    AssertionRecord {
        session_id: session_id.to_string(),
        participant: Participant {
            sp_entity_id: SP.to_string(),
            name_id: format!("nameid-{request_id}"),
            name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_string(),
        },
        seen: Some(SeenRequest {
            sp_entity_id: SP.to_string(),
            request_id: request_id.to_string(),
            expires_at: now_ms + 600_000,
        }),
        touch: true,
        now_ms,
        event: AuditEvent::new(AuditKind::AssertionIssued)
            .sp(SP)
            .detail(serde_json::json!({ "in_response_to": request_id })),
    }
}

fn issued_for(audit: &[pass_idp::storage::AuditRow], request_id: &str) -> usize {
    audit
        .iter()
        .filter(|r| r.kind == "assertion.issued")
        .filter(|r| r.detail.contains(&format!("\"{request_id}\"")))
        .count()
}

/// A test app with one citizen and an SSO session for it that was last used `idle_ms` ago.
async fn app_with_session(
    backend: common::Backend,
    now: i64,
    idle_ms: i64,
) -> (TestApp, SessionRecord) {
    let app = TestApp::spawn_with(backend, &[], |_| {}).await;
    app.add_citizen("janez", Some("+38641555000")).await;
    let store = &app.services.ports.store;
    let citizen = store
        .find_citizen(&Username::parse("janez").unwrap())
        .await
        .unwrap()
        .expect("citizen");
    let session = SessionRecord {
        id: uuid::Uuid::new_v4().to_string(),
        token_hash: format!("test-session-{}", uuid::Uuid::new_v4().simple()),
        citizen_id: citizen.id.0.clone(),
        level: 2,
        authn_instant: now - idle_ms,
        created_at: now - idle_ms,
        last_seen_at: now - idle_ms,
        expires_at: now + 3_600_000,
        revoked: false,
    };
    store
        .create_session(
            &session,
            None,
            now,
            &AuditEvent::new(AuditKind::SessionCreated),
        )
        .await
        .unwrap();
    (app, session)
}

/// current_thread: every `record_assertion` below is queued before the commit task first runs, so
/// they are committed as one batch.
#[tokio::test(flavor = "current_thread")]
async fn a_batch_keeps_each_assertion_apart() {
    for backend in backends() {
        let now = chrono::Utc::now().timestamp_millis();
        let (app, session) = app_with_session(backend, now, 120_000).await;
        let store = &app.services.ports.store;
        // Used in an earlier transaction.
        store
            .record_assertion(record(&session.id, "_earlier", now))
            .await
            .unwrap();

        let results = futures_util::future::join_all([
            store.record_assertion(record(&session.id, "_a", now)),
            store.record_assertion(record(&session.id, "_b", now)),
            store.record_assertion(record(&session.id, "_a", now)), // twice in this batch
            store.record_assertion(record(&session.id, "_earlier", now)), // used before
            store.record_assertion(record("no-such-session", "_c", now)), // cannot be written
            store.record_assertion(record(&session.id, "_d", now)),
        ])
        .await;
        assert!(results[0].is_ok(), "{:?}", results[0]);
        assert!(results[1].is_ok(), "{:?}", results[1]);
        assert!(
            matches!(results[2], Err(StorageError::Replayed)),
            "{:?}",
            results[2]
        );
        assert!(
            matches!(results[3], Err(StorageError::Replayed)),
            "{:?}",
            results[3]
        );
        assert!(
            matches!(results[4], Err(StorageError::Db(_))),
            "{:?}",
            results[4]
        );
        assert!(results[5].is_ok(), "{:?}", results[5]);

        let audit = store.recent_audit(1000).await.unwrap();
        for (id, n) in [("_earlier", 1), ("_a", 1), ("_b", 1), ("_c", 0), ("_d", 1)] {
            assert_eq!(
                issued_for(&audit, id),
                n,
                "assertion.issued events for {id}"
            );
        }
        let participants = store.participants(&session.id).await.unwrap();
        assert_eq!(participants.len(), 4, "{participants:?}");
        // The failed record left nothing behind: its request ID is still unused.
        store
            .record_assertion(record(&session.id, "_c", now))
            .await
            .expect("the ID of the record that failed was not kept");
        // The session's last use moved (it was older than the touch interval).
        let stored = store
            .find_session(&session.token_hash)
            .await
            .unwrap()
            .expect("session");
        assert_eq!(stored.last_seen_at, now);
        // The background checkpoint (SQLite) copies these commits from the WAL into the file.
        match (backend, store.checkpoint().await.unwrap()) {
            (common::Backend::Sqlite, Some((wal, copied))) => {
                assert!(wal > 0, "the commits above are in the WAL");
                assert_eq!(copied, wal, "nothing reads: the whole WAL is copied back");
            }
            (common::Backend::Postgres, None) => {}
            (b, other) => panic!("checkpoint on {b:?}: {other:?}"),
        }
    }
}

/// Many assertions at once from several tasks on a multi-threaded runtime: every request ID is
/// accepted exactly once, whatever batches they fall into.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_assertions_each_request_id_once() {
    for backend in backends() {
        let now = chrono::Utc::now().timestamp_millis();
        let (app, session) = app_with_session(backend, now, 0).await;
        let store = app.services.ports.store.clone();
        // 40 distinct IDs, each sent three times, from 120 tasks.
        let mut tasks = Vec::new();
        for i in 0..120 {
            let store = store.clone();
            let rec = record(&session.id, &format!("_id{}", i % 40), now);
            tasks.push(tokio::spawn(
                async move { store.record_assertion(rec).await },
            ));
        }
        let mut ok = 0;
        let mut replayed = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StorageError::Replayed) => replayed += 1,
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!((ok, replayed), (40, 80));
        let audit = store.recent_audit(1000).await.unwrap();
        for i in 0..40 {
            assert_eq!(issued_for(&audit, &format!("_id{i}")), 1);
        }
        assert_eq!(store.participants(&session.id).await.unwrap().len(), 40);
    }
}

/// More assertions at one moment than one transaction takes: they are committed in consecutive
/// batches, and every one of them is written.
#[tokio::test(flavor = "current_thread")]
async fn more_assertions_at_once_than_one_batch() {
    for backend in backends() {
        let now = chrono::Utc::now().timestamp_millis();
        let (app, session) = app_with_session(backend, now, 0).await;
        let store = &app.services.ports.store;
        let results = futures_util::future::join_all(
            (0..150).map(|i| store.record_assertion(record(&session.id, &format!("_m{i}"), now))),
        )
        .await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(store.participants(&session.id).await.unwrap().len(), 150);
        let audit = store.recent_audit(1000).await.unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|r| r.kind == "assertion.issued")
                .count(),
            150
        );
    }
}
