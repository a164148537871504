//! Activation codes (issued on approval, stored as keyed hashes, attempts counted in the row) and
//! phone verifications (an SMS code to the number being registered).
use super::super::entity::{activation_code as acode, auth_flow as flow};
use super::super::{audit, StorageError, Store};
use super::{set_request_status, set_state};
use crate::audit::AuditEvent;
use crate::domain::smspass::SmsPassState;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

#[derive(Debug, Clone)]
pub struct ActivationCodeRecord {
    pub id: String,
    pub citizen_id: String,
    pub request_id: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i32,
    pub max_attempts: i32,
    pub used_at: Option<i64>,
}

/// The phone proof that [`Store::finish_phone_proof`] ends.
pub struct PhoneProofEnd<'a> {
    pub flow_id: &'a str,
    pub citizen_id: &'a str,
    /// The activation code that opened the proof (activation), used up with it.
    pub code_id: Option<&'a str>,
}

fn code_from(m: acode::Model) -> ActivationCodeRecord {
    ActivationCodeRecord {
        id: m.id,
        citizen_id: m.citizen_id,
        request_id: m.request_id,
        code_hash: m.code_hash,
        created_at: m.created_at,
        expires_at: m.expires_at,
        attempts: m.attempts,
        max_attempts: m.max_attempts,
        used_at: m.used_at,
    }
}

/// Stores a fresh, unused activation code (within the caller's transaction).
async fn insert_code(
    txn: &sea_orm::DatabaseTransaction,
    code: &ActivationCodeRecord,
    now: i64,
) -> Result<(), StorageError> {
    acode::ActiveModel {
        id: Set(code.id.clone()),
        citizen_id: Set(code.citizen_id.clone()),
        request_id: Set(code.request_id.clone()),
        code_hash: Set(code.code_hash.clone()),
        created_at: Set(now),
        expires_at: Set(code.expires_at),
        attempts: Set(0),
        max_attempts: Set(code.max_attempts),
        used_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(())
}

impl Store {
    /// Approves the request (path A: by an officer; path B: `decided_by` None), stores the code's hash
    /// and moves the citizen to CodeIssued, in one transaction.
    pub async fn issue_activation_code(
        &self,
        code: &ActivationCodeRecord,
        decided_by: Option<&str>,
        from: &SmsPassState,
        to: &SmsPassState,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let now = code.created_at;
        let txn = self.db.begin().await?;
        set_request_status(
            &txn,
            &code.request_id,
            &["open"],
            "approved",
            Some((now, decided_by, None)),
        )
        .await?;
        insert_code(&txn, code, now).await?;
        set_state(&txn, &code.citizen_id, from, to, None, now).await?;
        audit::write(&txn, ev, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Voids the unused code `old_code_id` (and any phone verification it opened) and stores `code` for
    /// the same approved request; the citizen must still be in `state` (CodeIssued for that request).
    /// One transaction: the old code is dead exactly when the new one exists.
    pub async fn reissue_activation_code(
        &self,
        old_code_id: &str,
        code: &ActivationCodeRecord,
        state: &SmsPassState,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let now = code.created_at;
        let txn = self.db.begin().await?;
        let r = acode::Entity::update_many()
            .col_expr(acode::Column::ExpiresAt, Expr::value(now))
            .col_expr(
                acode::Column::Attempts,
                Expr::col(acode::Column::MaxAttempts).into(),
            )
            .filter(acode::Column::Id.eq(old_code_id))
            .filter(acode::Column::RequestId.eq(code.request_id.as_str()))
            .filter(acode::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if r.rows_affected != 1 {
            return Err(StorageError::Conflict(format!(
                "activation code {old_code_id} is no longer unused"
            )));
        }
        // The phone proof that the old code opened (if any) ends with it.
        flow::Entity::update_many()
            .col_expr(flow::Column::Completed, Expr::value(true))
            .filter(flow::Column::PrincipalId.eq(code.citizen_id.as_str()))
            .filter(flow::Column::Kind.eq("phone_proof"))
            .filter(flow::Column::Completed.eq(false))
            .filter(flow::Column::PurposeJson.like(format!("%\"code_id\":\"{old_code_id}\"%")))
            .exec(&txn)
            .await?;
        insert_code(&txn, code, now).await?;
        // Compare-and-set on the unchanged state: fails if the citizen moved on meanwhile.
        set_state(&txn, &code.citizen_id, state, state, None, now).await?;
        audit::write(&txn, ev, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The newest code issued for the request (used or not).
    pub async fn activation_code_for(
        &self,
        request_id: &str,
    ) -> Result<Option<ActivationCodeRecord>, StorageError> {
        Ok(acode::Entity::find()
            .filter(acode::Column::RequestId.eq(request_id))
            .order_by_desc(acode::Column::CreatedAt)
            // A voided code expires at the moment its successor is issued.
            .order_by_desc(acode::Column::ExpiresAt)
            .one(&self.db)
            .await?
            .map(code_from))
    }

    /// Counts one attempt before the code is compared, atomically and only while the code is unused
    /// and attempts remain. `false`: no attempt left.
    pub async fn activation_code_take_attempt(&self, code_id: &str) -> Result<bool, StorageError> {
        let r = acode::Entity::update_many()
            .col_expr(
                acode::Column::Attempts,
                Expr::col(acode::Column::Attempts).add(1),
            )
            .filter(acode::Column::Id.eq(code_id))
            .filter(acode::Column::UsedAt.is_null())
            .filter(Expr::col(acode::Column::Attempts).lt(Expr::col(acode::Column::MaxAttempts)))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Finishes a phone proof: ends its flow (once) and, for activation, marks the activation code
    /// that opened it used (once), and moves the citizen to `to`, in one transaction.
    pub async fn finish_phone_proof(
        &self,
        p: &PhoneProofEnd<'_>,
        from: &SmsPassState,
        to: &SmsPassState,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        if !super::super::flows::complete_in(&txn, p.flow_id).await? {
            return Err(StorageError::Conflict(format!(
                "phone proof {} already used",
                p.flow_id
            )));
        }
        if let Some(code_id) = p.code_id {
            let r = acode::Entity::update_many()
                .col_expr(acode::Column::UsedAt, Expr::value(now_ms))
                .filter(acode::Column::Id.eq(code_id))
                .filter(acode::Column::UsedAt.is_null())
                .exec(&txn)
                .await?;
            if r.rows_affected != 1 {
                return Err(StorageError::Conflict(format!(
                    "activation code {code_id} already used"
                )));
            }
        }
        set_state(&txn, p.citizen_id, from, to, None, now_ms).await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }
}
