//! Sent one-time codes, counted for the SMS limits (`sms_sends`). Counting and recording happen in
//! one transaction that cannot race another for the same number, address or country: on
//! PostgreSQL it first takes a transaction-scoped advisory lock per counted key (in sorted order, so
//! two senders never wait on each other crosswise); on SQLite its first statement is the insert,
//! which takes the database's write lock, so writers run one after another.
use super::entity::sms_send;
use super::{StorageError, Store};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};

/// A code about to be sent.
#[derive(Debug, Clone)]
pub struct SmsSendRecord {
    pub id: String,
    /// E.164.
    pub phone: String,
    pub country_code: String,
    pub client_addr: Option<String>,
    pub sent_at: i64,
}

/// What a quota counts together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsCounted {
    Phone,
    /// Not counted for a send without a client address.
    Address,
    CountryCode,
}

/// At most `max` codes in the `window_ms` before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsQuota {
    pub counted: SmsCounted,
    pub window_ms: i64,
    pub max: i64,
}

/// Quota number `index` is used up; one code more fits from `until_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsQuotaFull {
    pub index: usize,
    pub until_ms: i64,
}

fn column_value(c: SmsCounted, s: &SmsSendRecord) -> Option<(sms_send::Column, String)> {
    match c {
        SmsCounted::Phone => Some((sms_send::Column::Phone, s.phone.clone())),
        SmsCounted::Address => s
            .client_addr
            .clone()
            .map(|a| (sms_send::Column::ClientAddr, a)),
        SmsCounted::CountryCode => Some((sms_send::Column::CountryCode, s.country_code.clone())),
    }
}

impl Store {
    /// Records the send if every quota has room (counting it); else records nothing and names the
    /// first quota that is full.
    pub async fn sms_send_take(
        &self,
        s: &SmsSendRecord,
        quotas: &[SmsQuota],
    ) -> Result<Result<(), SmsQuotaFull>, StorageError> {
        let t = self.db.begin().await?;
        if t.get_database_backend() == DbBackend::Postgres {
            let mut keys: Vec<String> = quotas
                .iter()
                .filter_map(|q| column_value(q.counted, s).map(|(_, v)| format!("sms:{q:?}:{v}")))
                .collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                t.execute(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    [k.into()],
                ))
                .await?;
            }
        }
        sms_send::ActiveModel {
            id: Set(s.id.clone()),
            phone: Set(s.phone.clone()),
            country_code: Set(s.country_code.clone()),
            client_addr: Set(s.client_addr.clone()),
            sent_at: Set(s.sent_at),
        }
        .insert(&t)
        .await?;
        for (index, q) in quotas.iter().enumerate() {
            let Some((col, v)) = column_value(q.counted, s) else {
                continue;
            };
            let since = s.sent_at - q.window_ms;
            let earlier = || {
                sms_send::Entity::find()
                    .filter(col.eq(v.clone()))
                    .filter(sms_send::Column::SentAt.gt(since))
                    .filter(sms_send::Column::Id.ne(s.id.clone()))
            };
            let n = earlier().count(&t).await? as i64;
            if n < q.max {
                continue;
            }
            // Room for one more once the oldest `n - max + 1` of them are out of the window.
            let leaves = earlier()
                .order_by_asc(sms_send::Column::SentAt)
                .offset((n - q.max) as u64)
                .one(&t)
                .await?
                .map_or(s.sent_at, |m| m.sent_at);
            t.rollback().await?;
            return Ok(Err(SmsQuotaFull {
                index,
                until_ms: leaves + q.window_ms,
            }));
        }
        t.commit().await?;
        Ok(Ok(()))
    }

    /// Deletes sends older than any window counts (a day).
    pub(super) async fn purge_sms_sends(&self, now_ms: i64) -> Result<u64, StorageError> {
        Ok(sms_send::Entity::delete_many()
            .filter(sms_send::Column::SentAt.lt(now_ms - 24 * 3_600_000))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
