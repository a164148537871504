//! The registration-office desk (officers only; the web layer's `OfficerSession` guarantees the role):
//! find activation requests, record the identity check and the citizen's signature, approve (the
//! activation code is e-mailed) or reject, and suspend / resume / revoke a citizen's smsPASS.
mod citizens;
mod mail;
mod reissue;

pub use citizens::{OfficeCitizen, OfficeSearch};
pub use mail::CodeMail;

use super::activation::{codes, status, ActivationError};
use super::Office;
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::citizen::Citizen;
use crate::domain::smspass::{Action, ActivationPath};
use crate::domain::staff::{Role, StaffMember};
use crate::storage::{ActivationRequestRecord, IdentityCheckRecord};
use serde::Serialize;

/// Kinds of identity document an officer may record.
pub const DOCUMENT_TYPES: [&str; 3] = ["id_card", "passport", "driving_licence"];

/// A request with its citizen, as the desk shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OfficeRequest {
    pub id: String,
    pub reference: String,
    pub path: &'static str,
    pub status: String,
    pub created: String,
    pub citizen_id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub smspass_state: &'static str,
    pub smspass_state_key: String,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub document_expiry: Option<String>,
    pub office: Option<String>,
    pub checked: Option<String>,
    pub signed: Option<String>,
    pub decided: Option<String>,
    pub reason: Option<String>,
    pub can_check: bool,
    pub can_sign: bool,
    pub can_approve: bool,
    pub can_reject: bool,
    pub can_suspend: bool,
    pub can_resume: bool,
    pub can_revoke: bool,
    /// Approved, the code not used yet: the desk may void it and issue a new one.
    pub can_reissue: bool,
}

/// What the officer typed about the identity document.
#[derive(Debug, Clone)]
pub struct IdentityCheckInput {
    pub document_type: String,
    pub document_number: String,
    /// YYYY-MM-DD
    pub document_expiry: String,
    pub office: String,
}

fn when(ms: Option<i64>) -> Option<String> {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

pub(super) fn officer_actor(o: &StaffMember) -> Result<String, ActivationError> {
    if !o.has_role(Role::Officer) {
        return Err(ActivationError::Invalid(format!(
            "{} is not an officer",
            o.username
        )));
    }
    Ok(o.actor())
}

impl Office {
    fn office_row(&self, r: ActivationRequestRecord, c: &Citizen) -> OfficeRequest {
        let state = c.smspass.code();
        let current = c.smspass.request().map(|x| x.id.as_str()) == Some(r.id.as_str());
        let open = r.status == status::OPEN && current;
        OfficeRequest {
            can_check: open && state == "requested" && r.path == ActivationPath::A,
            can_sign: open && r.path == ActivationPath::A && r.citizen_signed_at.is_none(),
            can_approve: open
                && state == "identity_verified"
                && r.path == ActivationPath::A
                && r.citizen_signed_at.is_some(),
            can_reject: open && matches!(state, "requested" | "identity_verified"),
            can_suspend: state == "active",
            can_resume: state == "suspended",
            can_revoke: !matches!(state, "not_requested" | "revoked"),
            can_reissue: current
                && r.status == status::APPROVED
                && state == "code_issued"
                && r.path == ActivationPath::A
                && c.email.is_some(),
            id: r.id,
            reference: r.reference,
            path: r.path.as_str(),
            status: r.status,
            created: when(Some(r.created_at)).unwrap_or_default(),
            citizen_id: c.id.0.clone(),
            username: c.username.to_string(),
            given_name: c.given_name.clone(),
            family_name: c.family_name.clone(),
            email: c.email.clone(),
            smspass_state: state,
            smspass_state_key: crate::domain::smspass::state_key(state),
            document_type: r.document_type,
            document_number: r.document_number,
            document_expiry: r.document_expiry,
            office: r.office,
            checked: when(r.checked_at),
            signed: when(r.citizen_signed_at),
            decided: when(r.decided_at),
            reason: r.reason,
        }
    }

    /// Requests found by reference (exact) or by the citizen's name or username.
    pub async fn office_find(&self, query: &str) -> Result<Vec<OfficeRequest>, ActivationError> {
        let q = query.trim();
        if q.is_empty() {
            return Ok(vec![]);
        }
        let found = match codes::parse_reference(q) {
            Some(reference) => self
                .store
                .activation_request_by_reference(&reference)
                .await?
                .into_iter()
                .collect(),
            None if q.chars().count() >= 2 && q.chars().count() <= 100 => {
                self.store.activation_requests_by_name(q, 50).await?
            }
            None => vec![],
        };
        let mut out = Vec::with_capacity(found.len());
        for r in found {
            let c = self.activation.fresh_citizen(&r.citizen_id).await?;
            out.push(self.office_row(r, &c));
        }
        Ok(out)
    }

    pub(super) async fn office_load(
        &self,
        reference: &str,
    ) -> Result<(ActivationRequestRecord, Citizen), ActivationError> {
        let reference = codes::parse_reference(reference)
            .ok_or_else(|| ActivationError::NotFound(format!("reference {reference}")))?;
        let r = self
            .store
            .activation_request_by_reference(&reference)
            .await?
            .ok_or_else(|| ActivationError::NotFound(format!("reference {reference}")))?;
        let c = self.activation.fresh_citizen(&r.citizen_id).await?;
        Ok((r, c))
    }

    pub async fn office_request(&self, reference: &str) -> Result<OfficeRequest, ActivationError> {
        let (r, c) = self.office_load(reference).await?;
        Ok(self.office_row(r, &c))
    }

    /// The citizen's request that `reference` names must be the one the state machine is on.
    fn ensure_current(r: &ActivationRequestRecord, c: &Citizen) -> Result<(), ActivationError> {
        if c.smspass.request().map(|x| x.id.as_str()) == Some(r.id.as_str())
            && r.status == status::OPEN
        {
            Ok(())
        } else {
            Err(ActivationError::Conflict(format!(
                "request {} is not open",
                r.reference
            )))
        }
    }

    pub async fn office_identity_check(
        &self,
        officer: &StaffMember,
        reference: &str,
        input: &IdentityCheckInput,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        let actor = officer_actor(officer)?;
        let (r, c) = self.office_load(reference).await?;
        Self::ensure_current(&r, &c)?;
        let doc_type = input.document_type.trim();
        if !DOCUMENT_TYPES.contains(&doc_type) {
            return Err(ActivationError::Invalid("document type".into()));
        }
        let number = input.document_number.trim().to_uppercase();
        if !(3..=32).contains(&number.len())
            || !number
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            return Err(ActivationError::Invalid("document number".into()));
        }
        let expiry = chrono::NaiveDate::parse_from_str(input.document_expiry.trim(), "%Y-%m-%d")
            .map_err(|_| ActivationError::Invalid("document expiry (YYYY-MM-DD)".into()))?;
        if expiry < self.clock.now().date_naive() {
            return Err(ActivationError::Invalid("the document has expired".into()));
        }
        let office = input.office.trim();
        if office.is_empty() || office.chars().count() > 200 {
            return Err(ActivationError::Invalid("office".into()));
        }
        let from = c.smspass.clone();
        let to = from.clone().apply(Action::VerifyIdentity)?;
        let check = IdentityCheckRecord {
            document_type: doc_type.into(),
            document_number: number,
            document_expiry: expiry.format("%Y-%m-%d").to_string(),
            office: office.into(),
            officer: officer.id.clone(),
            checked_at: self.now_ms(),
        };
        let ev = AuditEvent::new(AuditKind::ActivationIdentityChecked)
            .actor(actor)
            .citizen(&c.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({
                "reference": r.reference,
                "document_type": check.document_type,
                "document_expiry": check.document_expiry,
                "office": check.office,
            }));
        self.store
            .record_identity_check(&r, &check, &from, &to, &ev)
            .await?;
        Ok(())
    }

    pub async fn office_record_signed(
        &self,
        officer: &StaffMember,
        reference: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        let actor = officer_actor(officer)?;
        let (r, c) = self.office_load(reference).await?;
        Self::ensure_current(&r, &c)?;
        let ev = AuditEvent::new(AuditKind::ActivationFormSigned)
            .actor(actor)
            .citizen(&c.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({ "reference": r.reference }));
        self.store
            .record_request_signed(&r.id, self.now_ms(), &ev)
            .await?;
        Ok(())
    }

    /// Approves a checked and signed path-A request: issues the activation code and e-mails it. When the
    /// e-mail cannot be sent the approval stands and the result says so (see [`Self::office_reissue_code`]).
    pub async fn office_approve(
        &self,
        officer: &StaffMember,
        reference: &str,
        client_addr: Option<String>,
    ) -> Result<CodeMail, ActivationError> {
        let actor = officer_actor(officer)?;
        let (r, c) = self.office_load(reference).await?;
        Self::ensure_current(&r, &c)?;
        if r.path != ActivationPath::A {
            return Err(ActivationError::Invalid("not a path A request".into()));
        }
        if r.checked_at.is_none() || r.citizen_signed_at.is_none() {
            return Err(ActivationError::Invalid(
                "identity check and signature must be recorded first".into(),
            ));
        }
        let Some(email) = c.email.clone() else {
            return Err(ActivationError::Invalid(
                "the citizen has no e-mail address".into(),
            ));
        };
        let code = self
            .activation
            .issue_code(&r, Some(&officer.id), &actor)
            .await?;
        self.mail_activation_code(&c, &r, &email, &code, &actor, client_addr)
            .await
    }

    pub async fn office_reject(
        &self,
        officer: &StaffMember,
        reference: &str,
        reason: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        let actor = officer_actor(officer)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ActivationError::Invalid(
                "a reason (up to 500 characters) is required".into(),
            ));
        }
        let (r, c) = self.office_load(reference).await?;
        Self::ensure_current(&r, &c)?;
        let from = c.smspass.clone();
        let to = from.clone().apply(Action::Reject)?;
        let ev = AuditEvent::new(AuditKind::ActivationRejected)
            .actor(actor)
            .citizen(&c.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({ "reference": r.reference, "reason": reason }));
        self.store
            .reject_activation_request(&r, &officer.id, reason, &from, &to, self.now_ms(), &ev)
            .await?;
        Ok(())
    }

    /// Suspend, resume or revoke the smsPASS of the citizen of request `reference`.
    pub async fn office_citizen_action(
        &self,
        officer: &StaffMember,
        reference: &str,
        action: &str,
        reason: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        officer_actor(officer)?;
        let (_, c) = self.office_load(reference).await?;
        self.office_citizen_action_by_id(officer, &c.id.0, action, reason, client_addr)
            .await
    }
}
