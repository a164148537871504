//! Registered qualified client certificates and the postal letter queue (path B of activation).
use super::entity::{client_cert, letter};
use super::{audit, is_unique_violation, StorageError, Store};
use crate::audit::AuditEvent;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

/// A client certificate registered to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredCert {
    pub id: String,
    pub citizen_id: String,
    pub issuer: String,
    pub serial: String,
    pub subject: String,
    pub fingerprint_sha256: String,
    pub not_after: i64,
    pub registered_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterStatus {
    Pending,
    Dispatched,
}

impl LetterStatus {
    pub const ALL: [LetterStatus; 2] = [LetterStatus::Pending, LetterStatus::Dispatched];

    /// The message key of the status shown on the operator's letter queue.
    pub fn message_key(self) -> &'static str {
        match self {
            LetterStatus::Pending => "letters.status.pending",
            LetterStatus::Dispatched => "letters.status.dispatched",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LetterStatus::Pending => "pending",
            LetterStatus::Dispatched => "dispatched",
        }
    }
}

/// A postal letter in the queue. The activation code is not stored: it is issued when the letter is
/// printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRecord {
    pub id: String,
    pub citizen_id: String,
    pub request_ref: String,
    pub status: LetterStatus,
    pub created_at: i64,
    pub dispatched_at: Option<i64>,
    pub batch: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LetterCounts {
    pub pending: u64,
    pub dispatched: u64,
}

fn cert_from(m: client_cert::Model) -> RegisteredCert {
    RegisteredCert {
        id: m.id,
        citizen_id: m.citizen_id,
        issuer: m.issuer,
        serial: m.serial,
        subject: m.subject,
        fingerprint_sha256: m.fingerprint_sha256,
        not_after: m.not_after,
        registered_at: m.registered_at,
    }
}

fn letter_from(m: letter::Model) -> Result<LetterRecord, StorageError> {
    let status = match m.status.as_str() {
        "pending" => LetterStatus::Pending,
        "dispatched" => LetterStatus::Dispatched,
        other => {
            return Err(StorageError::Corrupt(format!(
                "letter {} has status {other}",
                m.id
            )))
        }
    };
    Ok(LetterRecord {
        id: m.id,
        citizen_id: m.citizen_id,
        request_ref: m.request_ref,
        status,
        created_at: m.created_at,
        dispatched_at: m.dispatched_at,
        batch: m.batch,
    })
}

impl Store {
    /// Registers a certificate; the same certificate (fingerprint) can be registered only once.
    pub async fn register_client_cert(
        &self,
        c: &RegisteredCert,
        ev: &AuditEvent,
    ) -> Result<RegisteredCert, StorageError> {
        let t = self.db.begin().await?;
        let m = client_cert::ActiveModel {
            id: Set(c.id.clone()),
            citizen_id: Set(c.citizen_id.clone()),
            issuer: Set(c.issuer.clone()),
            serial: Set(c.serial.clone()),
            subject: Set(c.subject.clone()),
            fingerprint_sha256: Set(c.fingerprint_sha256.clone()),
            not_after: Set(c.not_after),
            registered_at: Set(c.registered_at),
        }
        .insert(&t)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::Conflict(format!("certificate {}", c.fingerprint_sha256))
            } else {
                StorageError::from(e)
            }
        })?;
        audit::write(&t, ev, c.registered_at).await?;
        t.commit().await?;
        Ok(cert_from(m))
    }

    /// The citizen's registered certificates, newest first.
    pub async fn client_certs_of(
        &self,
        citizen_id: &str,
    ) -> Result<Vec<RegisteredCert>, StorageError> {
        Ok(client_cert::Entity::find()
            .filter(client_cert::Column::CitizenId.eq(citizen_id))
            .order_by_desc(client_cert::Column::RegisteredAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(cert_from)
            .collect())
    }

    pub async fn client_cert_by_fingerprint(
        &self,
        fingerprint_sha256: &str,
    ) -> Result<Option<RegisteredCert>, StorageError> {
        Ok(client_cert::Entity::find()
            .filter(client_cert::Column::FingerprintSha256.eq(fingerprint_sha256))
            .one(&self.db)
            .await?
            .map(cert_from))
    }

    /// Puts a letter in the queue (status pending).
    pub async fn queue_letter(
        &self,
        id: &str,
        citizen_id: &str,
        request_ref: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<LetterRecord, StorageError> {
        let t = self.db.begin().await?;
        let m = letter::ActiveModel {
            id: Set(id.to_string()),
            citizen_id: Set(citizen_id.to_string()),
            request_ref: Set(request_ref.to_string()),
            status: Set(LetterStatus::Pending.as_str().into()),
            created_at: Set(now_ms),
            dispatched_at: Set(None),
            batch: Set(None),
        }
        .insert(&t)
        .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        letter_from(m)
    }

    /// Pending letters, oldest first.
    pub async fn pending_letters(&self, limit: u64) -> Result<Vec<LetterRecord>, StorageError> {
        letter::Entity::find()
            .filter(letter::Column::Status.eq(LetterStatus::Pending.as_str()))
            .order_by_asc(letter::Column::CreatedAt)
            .order_by_asc(letter::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    /// The queue, newest first (pending and dispatched).
    pub async fn recent_letters(&self, limit: u64) -> Result<Vec<LetterRecord>, StorageError> {
        letter::Entity::find()
            .order_by_desc(letter::Column::CreatedAt)
            .order_by_desc(letter::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    pub async fn letters_of(&self, citizen_id: &str) -> Result<Vec<LetterRecord>, StorageError> {
        letter::Entity::find()
            .filter(letter::Column::CitizenId.eq(citizen_id))
            .order_by_desc(letter::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    pub async fn letter_counts(&self) -> Result<LetterCounts, StorageError> {
        let count = |s: LetterStatus| {
            letter::Entity::find()
                .filter(letter::Column::Status.eq(s.as_str()))
                .count(&self.db)
        };
        Ok(LetterCounts {
            pending: count(LetterStatus::Pending).await?,
            dispatched: count(LetterStatus::Dispatched).await?,
        })
    }

    /// Marks exactly these pending letters dispatched in `batch`, with one audit record, all in one
    /// transaction. If any of them is no longer pending (another export took it) nothing is changed.
    pub async fn mark_letters_dispatched(
        &self,
        ids: &[String],
        batch: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<u64, StorageError> {
        let t = self.db.begin().await?;
        let res = letter::Entity::update_many()
            .col_expr(
                letter::Column::Status,
                Expr::value(LetterStatus::Dispatched.as_str()),
            )
            .col_expr(letter::Column::DispatchedAt, Expr::value(now_ms))
            .col_expr(letter::Column::Batch, Expr::value(batch))
            .filter(letter::Column::Id.is_in(ids.iter().cloned()))
            .filter(letter::Column::Status.eq(LetterStatus::Pending.as_str()))
            .exec(&t)
            .await?;
        if res.rows_affected != ids.len() as u64 {
            t.rollback().await?;
            return Err(StorageError::Conflict(format!(
                "{} of {} letters were no longer pending",
                ids.len() as u64 - res.rows_affected,
                ids.len()
            )));
        }
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(res.rows_affected)
    }
}
