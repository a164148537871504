//! smsPASS activation: the stored state of the machine (columns of `citizens`), activation requests and
//! the identity checks of the registration office. Every state change is a compare-and-set on the
//! state the service saw, written with its audit record in one transaction, so two racing changes
//! cannot both win.
use super::entity::{activation_request as areq, citizen};
use super::{audit, is_unique_violation, StorageError, Store};
use crate::audit::AuditEvent;
use crate::domain::ids::PhoneNumber;
use crate::domain::smspass::{
    ActivationPath, Active, CodeIssued, IdentityVerified, NotRequested, RequestRef, Requested,
    Revoked, SmsPassState, Suspended,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

mod codes;
pub use codes::{ActivationCodeRecord, PhoneProofEnd};

/// An activation request as stored.
#[derive(Debug, Clone)]
pub struct ActivationRequestRecord {
    pub id: String,
    pub reference: String,
    pub citizen_id: String,
    pub path: ActivationPath,
    /// open | approved | rejected | revoked | lapsed
    pub status: String,
    /// The citizen's page language when the request was made (for letters and e-mails).
    pub lang: String,
    pub created_at: i64,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub document_expiry: Option<String>,
    pub office: Option<String>,
    pub officer: Option<String>,
    pub checked_at: Option<i64>,
    pub citizen_signed_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

/// What the officer recorded about the identity document.
#[derive(Debug, Clone)]
pub struct IdentityCheckRecord {
    pub document_type: String,
    pub document_number: String,
    pub document_expiry: String,
    pub office: String,
    /// Staff id of the officer.
    pub officer: String,
    pub checked_at: i64,
}

fn request_from(m: areq::Model) -> Result<ActivationRequestRecord, StorageError> {
    let path = ActivationPath::parse(&m.path)
        .ok_or_else(|| StorageError::Corrupt(format!("path of activation request {}", m.id)))?;
    Ok(ActivationRequestRecord {
        id: m.id,
        reference: m.reference,
        citizen_id: m.citizen_id,
        path,
        status: m.status,
        lang: m.lang,
        created_at: m.created_at,
        document_type: m.document_type,
        document_number: m.document_number,
        document_expiry: m.document_expiry,
        office: m.office,
        officer: m.officer,
        checked_at: m.checked_at,
        citizen_signed_at: m.citizen_signed_at,
        decided_at: m.decided_at,
        decided_by: m.decided_by,
        reason: m.reason,
    })
}

/// The stored columns of a state: (state, request id, path, phone).
struct Cols {
    state: &'static str,
    request_id: Option<String>,
    path: Option<String>,
    phone: Option<String>,
}

fn cols(s: &SmsPassState) -> Cols {
    let req = s.request();
    Cols {
        state: s.code(),
        request_id: req.map(|r| r.id.clone()),
        path: req.map(|r| r.path.as_str().to_string()),
        phone: s.phone().map(|p| p.as_str().to_string()),
    }
}

/// The state machine's state from a citizen row.
pub(super) fn state_of(m: &citizen::Model) -> Result<SmsPassState, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("smsPASS {what} of citizen {}", m.id));
    let phone = || {
        m.phone
            .as_deref()
            .and_then(|p| PhoneNumber::parse(p, "386").ok())
            .ok_or_else(|| corrupt("phone"))
    };
    let request = || -> Result<RequestRef, StorageError> {
        let id = m
            .smspass_request_id
            .clone()
            .ok_or_else(|| corrupt("request"))?;
        let path = m
            .smspass_path
            .as_deref()
            .and_then(ActivationPath::parse)
            .ok_or_else(|| corrupt("path"))?;
        Ok(RequestRef { id, path })
    };
    Ok(match m.smspass_state.as_str() {
        "not_requested" => SmsPassState::NotRequested(NotRequested),
        "requested" => SmsPassState::Requested(Requested {
            request: request()?,
        }),
        "identity_verified" => SmsPassState::IdentityVerified(IdentityVerified {
            request: request()?,
        }),
        "code_issued" => SmsPassState::CodeIssued(CodeIssued {
            request: request()?,
        }),
        "active" => SmsPassState::Active(Active { phone: phone()? }),
        "suspended" => SmsPassState::Suspended(Suspended { phone: phone()? }),
        "revoked" => SmsPassState::Revoked(Revoked),
        _ => return Err(corrupt("state")),
    })
}

fn opt_eq<C: ColumnTrait>(col: C, v: &Option<String>) -> sea_orm::sea_query::SimpleExpr {
    match v {
        Some(v) => col.eq(v.clone()),
        None => col.is_null(),
    }
}

/// Moves the citizen from `from` to `to` if the stored state still is `from`; otherwise `Conflict`.
pub(super) async fn set_state<C: ConnectionTrait>(
    db: &C,
    citizen_id: &str,
    from: &SmsPassState,
    to: &SmsPassState,
    reason: Option<&str>,
    now_ms: i64,
) -> Result<(), StorageError> {
    let (f, t) = (cols(from), cols(to));
    let r = citizen::Entity::update_many()
        .col_expr(citizen::Column::SmspassState, Expr::value(t.state))
        .col_expr(citizen::Column::SmspassRequestId, Expr::value(t.request_id))
        .col_expr(citizen::Column::SmspassPath, Expr::value(t.path))
        .col_expr(citizen::Column::Phone, Expr::value(t.phone))
        .col_expr(citizen::Column::SmspassChangedAt, Expr::value(now_ms))
        .col_expr(
            citizen::Column::SmspassReason,
            Expr::value(reason.map(str::to_string)),
        )
        .filter(citizen::Column::Id.eq(citizen_id))
        .filter(citizen::Column::SmspassState.eq(f.state))
        .filter(opt_eq(citizen::Column::SmspassRequestId, &f.request_id))
        .filter(opt_eq(citizen::Column::Phone, &f.phone))
        .exec(db)
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StorageError::Conflict(format!(
            "smsPASS state of citizen {citizen_id} is no longer {}",
            f.state
        )))
    }
}

/// Sets the status (and decision) of a request that is still `from_status`.
async fn set_request_status<C: ConnectionTrait>(
    db: &C,
    request_id: &str,
    from_status: &[&str],
    status: &str,
    decided: Option<(i64, Option<&str>, Option<&str>)>,
) -> Result<(), StorageError> {
    let mut q = areq::Entity::update_many()
        .col_expr(areq::Column::Status, Expr::value(status))
        .filter(areq::Column::Id.eq(request_id))
        .filter(areq::Column::Status.is_in(from_status.iter().copied()));
    if let Some((at, by, reason)) = decided {
        q = q
            .col_expr(areq::Column::DecidedAt, Expr::value(at))
            .col_expr(areq::Column::DecidedBy, Expr::value(by.map(str::to_string)))
            .col_expr(
                areq::Column::Reason,
                Expr::value(reason.map(str::to_string)),
            );
    }
    let r = q.exec(db).await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StorageError::Conflict(format!(
            "activation request {request_id} is not {from_status:?}"
        )))
    }
}

impl Store {
    /// Stores a new request and moves the citizen to `to` (Requested, or IdentityVerified for path B).
    pub async fn create_activation_request(
        &self,
        rec: &ActivationRequestRecord,
        from: &SmsPassState,
        to: &SmsPassState,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        areq::ActiveModel {
            id: Set(rec.id.clone()),
            reference: Set(rec.reference.clone()),
            citizen_id: Set(rec.citizen_id.clone()),
            path: Set(rec.path.as_str().to_string()),
            status: Set(rec.status.clone()),
            lang: Set(rec.lang.clone()),
            created_at: Set(rec.created_at),
            document_type: Set(rec.document_type.clone()),
            document_number: Set(rec.document_number.clone()),
            document_expiry: Set(rec.document_expiry.clone()),
            office: Set(rec.office.clone()),
            officer: Set(rec.officer.clone()),
            checked_at: Set(rec.checked_at),
            citizen_signed_at: Set(rec.citizen_signed_at),
            decided_at: Set(rec.decided_at),
            decided_by: Set(rec.decided_by.clone()),
            reason: Set(rec.reason.clone()),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::Conflict(format!("reference {}", rec.reference))
            } else {
                StorageError::from(e)
            }
        })?;
        set_state(&txn, &rec.citizen_id, from, to, None, rec.created_at).await?;
        audit::write(&txn, ev, rec.created_at).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn activation_request(
        &self,
        id: &str,
    ) -> Result<Option<ActivationRequestRecord>, StorageError> {
        areq::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .map(request_from)
            .transpose()
    }

    pub async fn activation_request_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<ActivationRequestRecord>, StorageError> {
        areq::Entity::find()
            .filter(areq::Column::Reference.eq(reference))
            .one(&self.db)
            .await?
            .map(request_from)
            .transpose()
    }

    /// The citizen's newest request, if any.
    pub async fn latest_activation_request(
        &self,
        citizen_id: &str,
    ) -> Result<Option<ActivationRequestRecord>, StorageError> {
        areq::Entity::find()
            .filter(areq::Column::CitizenId.eq(citizen_id))
            .order_by_desc(areq::Column::CreatedAt)
            .one(&self.db)
            .await?
            .map(request_from)
            .transpose()
    }

    /// Requests of citizens whose given name, family name or username contain every word of `needle`
    /// (case-insensitive, also for Č, Š, Ž), newest first.
    pub async fn activation_requests_by_name(
        &self,
        needle: &str,
        limit: u64,
    ) -> Result<Vec<ActivationRequestRecord>, StorageError> {
        let ids = self.citizen_ids_by_name(needle, limit).await?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        areq::Entity::find()
            .filter(areq::Column::CitizenId.is_in(ids))
            .order_by_desc(areq::Column::CreatedAt)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(request_from)
            .collect()
    }

    /// Records the identity check of an open request and moves the citizen to IdentityVerified.
    pub async fn record_identity_check(
        &self,
        req: &ActivationRequestRecord,
        check: &IdentityCheckRecord,
        from: &SmsPassState,
        to: &SmsPassState,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        let r = areq::Entity::update_many()
            .col_expr(
                areq::Column::DocumentType,
                Expr::value(check.document_type.clone()),
            )
            .col_expr(
                areq::Column::DocumentNumber,
                Expr::value(check.document_number.clone()),
            )
            .col_expr(
                areq::Column::DocumentExpiry,
                Expr::value(check.document_expiry.clone()),
            )
            .col_expr(areq::Column::Office, Expr::value(check.office.clone()))
            .col_expr(areq::Column::Officer, Expr::value(check.officer.clone()))
            .col_expr(areq::Column::CheckedAt, Expr::value(check.checked_at))
            .filter(areq::Column::Id.eq(req.id.as_str()))
            .filter(areq::Column::Status.eq("open"))
            .exec(&txn)
            .await?;
        if r.rows_affected != 1 {
            return Err(StorageError::Conflict(format!(
                "activation request {} is not open",
                req.reference
            )));
        }
        set_state(&txn, &req.citizen_id, from, to, None, check.checked_at).await?;
        audit::write(&txn, ev, check.checked_at).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records that the citizen signed the request form (open requests only).
    pub async fn record_request_signed(
        &self,
        request_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        let r = areq::Entity::update_many()
            .col_expr(areq::Column::CitizenSignedAt, Expr::value(now_ms))
            .filter(areq::Column::Id.eq(request_id))
            .filter(areq::Column::Status.eq("open"))
            .exec(&txn)
            .await?;
        if r.rows_affected != 1 {
            return Err(StorageError::Conflict(format!(
                "activation request {request_id} is not open"
            )));
        }
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Rejects an open request; the citizen goes back to NotRequested.
    #[allow(clippy::too_many_arguments)]
    pub async fn reject_activation_request(
        &self,
        req: &ActivationRequestRecord,
        by: &str,
        reason: &str,
        from: &SmsPassState,
        to: &SmsPassState,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        set_request_status(
            &txn,
            &req.id,
            &["open"],
            "rejected",
            Some((now_ms, Some(by), Some(reason))),
        )
        .await?;
        set_state(&txn, &req.citizen_id, from, to, None, now_ms).await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A state change with no other record (suspend, resume, revoke, lapse). When the change closes the
    /// citizen's open request, `close_request` names its new status.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_smspass_state(
        &self,
        citizen_id: &str,
        from: &SmsPassState,
        to: &SmsPassState,
        reason: Option<&str>,
        close_request: Option<&str>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        if let (Some(status), Some(r)) = (close_request, from.request()) {
            set_request_status(&txn, &r.id, &["open", "approved"], status, None).await?;
        }
        set_state(&txn, citizen_id, from, to, reason, now_ms).await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }

    /// When the smsPASS state last changed, and the reason given (e.g. for a suspension).
    pub async fn smspass_note(
        &self,
        citizen_id: &str,
    ) -> Result<(Option<i64>, Option<String>), StorageError> {
        Ok(citizen::Entity::find_by_id(citizen_id.to_string())
            .one(&self.db)
            .await?
            .map(|m| (m.smspass_changed_at, m.smspass_reason))
            .unwrap_or((None, None)))
    }
}
