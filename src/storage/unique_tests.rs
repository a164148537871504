//! Unique violations and replays are read from the database's error code, never from its text.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::{is_replay, is_unique_violation};
use sea_orm::{ConnectionTrait, Database, DbErr, TransactionTrait};

/// Runs `setup`, then each statement of `cases` (expected to fail), on one connection.
async fn errors_of<C: ConnectionTrait>(db: &C, setup: &[&str], cases: &[&str]) -> Vec<DbErr> {
    for sql in setup {
        db.execute_unprepared(sql).await.unwrap();
    }
    let mut out = Vec::new();
    for sql in cases {
        out.push(db.execute_unprepared(sql).await.unwrap_err());
    }
    out
}

const SETUP: [&str; 4] = [
    "CREATE TEMPORARY TABLE seen_requests (sp_entity_id TEXT NOT NULL, request_id TEXT NOT NULL, \
     expires_at BIGINT NOT NULL, PRIMARY KEY (sp_entity_id, request_id))",
    // A CHECK whose failure message says "unique" and "seen_requests": text matching would call
    // it a replay.
    "CREATE TEMPORARY TABLE other (name TEXT UNIQUE, \
     note TEXT CHECK (note <> 'unique seen_requests duplicate key'))",
    "INSERT INTO seen_requests VALUES ('sp', 'id1', 1)",
    "INSERT INTO other (name) VALUES ('a')",
];

const CASES: [&str; 3] = [
    "INSERT INTO seen_requests VALUES ('sp', 'id1', 2)",
    "INSERT INTO other (name) VALUES ('a')",
    "INSERT INTO other (name, note) VALUES ('b', 'unique seen_requests duplicate key')",
];

fn check(errs: &[DbErr], other_unique_is_replay: bool) {
    let [again, other_unique, check] = errs else {
        panic!("{errs:?}")
    };
    assert!(is_unique_violation(again) && is_replay(again), "{again:?}");
    assert!(is_unique_violation(other_unique), "{other_unique:?}");
    assert_eq!(
        is_replay(other_unique),
        other_unique_is_replay,
        "{other_unique:?}"
    );
    assert!(!is_unique_violation(check), "{check:?}");
    assert!(!is_replay(check), "{check:?}");
}

#[tokio::test]
async fn sqlite_codes_decide() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let t = db.begin().await.unwrap();
    let errs = errors_of(&t, &SETUP, &CASES).await;
    // SQLite names no table: the caller asks only about its INSERT into the replay cache.
    check(&errs, true);
}

#[tokio::test]
async fn postgres_codes_and_table_decide() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL part skipped");
        return;
    };
    let db = Database::connect(url.as_str()).await.unwrap();
    let t = db.begin().await.unwrap();
    // Each failed statement aborts a PostgreSQL transaction: one savepoint per case.
    let mut errs = Vec::new();
    for sql in SETUP {
        t.execute_unprepared(sql).await.unwrap();
    }
    for sql in CASES {
        let sp = t.begin().await.unwrap();
        errs.push(sp.execute_unprepared(sql).await.unwrap_err());
        sp.rollback().await.unwrap();
    }
    check(&errs, false);
    t.rollback().await.unwrap();
}
