//! Citizens' own account changes: single-use e-mail tokens (verification, password reset), password
//! changes that end other sessions. Each change and its audit record share one transaction.
use super::entity::{citizen, credential, email_token as tok, sso_session as sess, throttle};
use super::{audit, StorageError, Store};
use crate::audit::AuditEvent;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Verify,
    Reset,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Verify => "verify",
            TokenPurpose::Reset => "reset",
        }
    }
}

pub struct NewEmailToken<'a> {
    pub citizen_id: &'a str,
    pub purpose: TokenPurpose,
    pub token_hash: &'a str,
    pub expires_at: i64,
}

/// The state of a presented token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    /// Unused and not expired; for this citizen.
    Valid {
        citizen_id: String,
    },
    Used,
    Expired,
    Unknown,
}

/// What using a token changes, in the same transaction that marks it used.
pub enum TokenEffect<'a> {
    /// Marks the citizen's e-mail address verified.
    VerifyEmail,
    /// Sets a new password hash, ends every SSO session of the citizen and clears the failed-login
    /// counter named `throttle_key`.
    ResetPassword {
        password_hash: &'a str,
        throttle_key: &'a str,
    },
}

fn state_of(m: Option<tok::Model>, now_ms: i64) -> TokenState {
    match m {
        None => TokenState::Unknown,
        Some(m) if m.used_at.is_some() => TokenState::Used,
        Some(m) if m.expires_at <= now_ms => TokenState::Expired,
        Some(m) => TokenState::Valid {
            citizen_id: m.citizen_id,
        },
    }
}

async fn revoke_sessions<C: ConnectionTrait>(
    db: &C,
    citizen_id: &str,
    except: Option<&str>,
) -> Result<u64, StorageError> {
    let mut q = sess::Entity::update_many()
        .col_expr(sess::Column::Revoked, Expr::value(true))
        .filter(sess::Column::CitizenId.eq(citizen_id))
        .filter(sess::Column::Revoked.eq(false));
    if let Some(keep) = except {
        q = q.filter(sess::Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
}

async fn set_hash(
    t: &DatabaseTransaction,
    citizen_id: &str,
    hash: &str,
    now_ms: i64,
) -> Result<(), StorageError> {
    let n = credential::Entity::update_many()
        .col_expr(credential::Column::PasswordHash, Expr::value(hash))
        .col_expr(credential::Column::UpdatedAt, Expr::value(now_ms))
        .filter(credential::Column::CitizenId.eq(citizen_id))
        .exec(t)
        .await?
        .rows_affected;
    if n != 1 {
        return Err(StorageError::NotFound(format!("credential {citizen_id}")));
    }
    Ok(())
}

async fn mark_email_verified(
    t: &DatabaseTransaction,
    citizen_id: &str,
    now_ms: i64,
) -> Result<(), StorageError> {
    citizen::Entity::update_many()
        .col_expr(citizen::Column::EmailVerifiedAt, Expr::value(now_ms))
        .filter(citizen::Column::Id.eq(citizen_id))
        .exec(t)
        .await?;
    Ok(())
}

impl Store {
    /// Ids of the citizens whose e-mail address is `email` (compared case-insensitively).
    pub async fn citizen_ids_by_email(&self, email: &str) -> Result<Vec<String>, StorageError> {
        use sea_orm::QuerySelect;
        let rows: Vec<String> = citizen::Entity::find()
            .select_only()
            .column(citizen::Column::Id)
            .filter(
                Expr::expr(Func::lower(Expr::col(citizen::Column::Email)))
                    .eq(email.trim().to_lowercase()),
            )
            .limit(20)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows)
    }

    /// Stores a new token (its hash only); earlier unused tokens of the same purpose for the citizen
    /// stop working.
    pub async fn create_email_token(
        &self,
        t: &NewEmailToken<'_>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        // Lock the citizen's row first, so that two links prepared at the same time for one citizen
        // take turns: the later one voids the earlier, and exactly one stays usable (PostgreSQL's
        // READ COMMITTED would otherwise let both find nothing to void and both insert).
        citizen::Entity::update_many()
            .col_expr(citizen::Column::Id, Expr::col(citizen::Column::Id).into())
            .filter(citizen::Column::Id.eq(t.citizen_id))
            .exec(&txn)
            .await?;
        tok::Entity::update_many()
            .col_expr(tok::Column::UsedAt, Expr::value(now_ms))
            .filter(tok::Column::CitizenId.eq(t.citizen_id))
            .filter(tok::Column::Purpose.eq(t.purpose.as_str()))
            .filter(tok::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        tok::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            citizen_id: Set(t.citizen_id.to_string()),
            purpose: Set(t.purpose.as_str().to_string()),
            token_hash: Set(t.token_hash.to_string()),
            created_at: Set(now_ms),
            expires_at: Set(t.expires_at),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The state of a token without using it.
    pub async fn email_token_state(
        &self,
        purpose: TokenPurpose,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<TokenState, StorageError> {
        let m = tok::Entity::find()
            .filter(tok::Column::TokenHash.eq(token_hash))
            .filter(tok::Column::Purpose.eq(purpose.as_str()))
            .one(&self.db)
            .await?;
        Ok(state_of(m, now_ms))
    }

    /// Uses a token once: marks it used (only if still unused and unexpired, so two concurrent uses
    /// cannot both succeed), applies `effect` and writes `ev` (its citizen filled in) in one
    /// transaction. Anything but `Valid` changes nothing.
    pub async fn use_email_token(
        &self,
        purpose: TokenPurpose,
        token_hash: &str,
        effect: TokenEffect<'_>,
        now_ms: i64,
        ev: AuditEvent,
    ) -> Result<TokenState, StorageError> {
        let txn = self.db.begin().await?;
        let m = tok::Entity::find()
            .filter(tok::Column::TokenHash.eq(token_hash))
            .filter(tok::Column::Purpose.eq(purpose.as_str()))
            .one(&txn)
            .await?;
        let state = state_of(m.clone(), now_ms);
        let (TokenState::Valid { citizen_id }, Some(m)) = (&state, m) else {
            txn.rollback().await?;
            return Ok(state);
        };
        let marked = tok::Entity::update_many()
            .col_expr(tok::Column::UsedAt, Expr::value(now_ms))
            .filter(tok::Column::Id.eq(m.id.as_str()))
            .filter(tok::Column::UsedAt.is_null())
            .filter(tok::Column::ExpiresAt.gt(now_ms))
            .exec(&txn)
            .await?
            .rows_affected;
        if marked != 1 {
            txn.rollback().await?;
            return Ok(TokenState::Used);
        }
        match effect {
            TokenEffect::VerifyEmail => {
                mark_email_verified(&txn, citizen_id, now_ms).await?;
            }
            TokenEffect::ResetPassword {
                password_hash,
                throttle_key,
            } => {
                set_hash(&txn, citizen_id, password_hash, now_ms).await?;
                revoke_sessions(&txn, citizen_id, None).await?;
                throttle::Entity::delete_by_id(throttle_key.to_string())
                    .exec(&txn)
                    .await?;
                // Other reset links of this citizen stop working too.
                tok::Entity::update_many()
                    .col_expr(tok::Column::UsedAt, Expr::value(now_ms))
                    .filter(tok::Column::CitizenId.eq(citizen_id.as_str()))
                    .filter(tok::Column::Purpose.eq(purpose.as_str()))
                    .filter(tok::Column::UsedAt.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        audit::write(&txn, &ev.citizen(citizen_id.as_str()), now_ms).await?;
        txn.commit().await?;
        Ok(state)
    }

    /// Sets a new password hash and ends every other SSO session of the citizen (`keep` stays).
    pub async fn change_password(
        &self,
        citizen_id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<u64, StorageError> {
        let txn = self.db.begin().await?;
        set_hash(&txn, citizen_id, password_hash, now_ms).await?;
        let ended = revoke_sessions(&txn, citizen_id, keep_session).await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(ended)
    }

    /// The citizen's stored password hash.
    pub async fn password_hash(&self, citizen_id: &str) -> Result<Option<String>, StorageError> {
        Ok(credential::Entity::find_by_id(citizen_id.to_string())
            .one(&self.db)
            .await?
            .map(|m| m.password_hash))
    }
}
