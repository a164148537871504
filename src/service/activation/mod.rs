//! smsPASS activation, the citizen's side: start a request (path A at a registration office, path B
//! with a qualified certificate), enter the activation code and a phone number, confirm the number with
//! an SMS code; suspend and resume; change the phone. Every state change goes through the state
//! machine of `domain::smspass` and is stored as a compare-and-set with its audit record.
pub mod codes;
mod continue_;
mod phone;
mod view;

pub use continue_::{CodeOutcome, PhoneOutcome};
pub use view::{RequestForm, SmsPassView};

use super::Activation;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::Secret;
use crate::domain::citizen::Citizen;
use crate::domain::smspass::{Action, ActivationPath, IllegalTransition, RequestRef, SmsPassState};
use crate::storage::{
    ActivationCodeRecord, ActivationRequestRecord, IdentityCheckRecord, StorageError,
};

#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// The step does not fit the current smsPASS state.
    #[error("{0}")]
    Illegal(#[from] IllegalTransition),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// Somebody else changed the state in the meantime.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be used right now; nothing was changed. Try again in a moment.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StorageError> for ActivationError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(s) => ActivationError::Conflict(s),
            StorageError::NotFound(s) => ActivationError::NotFound(s),
            StorageError::Unavailable(s) => ActivationError::Unavailable(s),
            other => ActivationError::Internal(other.to_string()),
        }
    }
}

impl From<crate::service::authn::AuthnError> for ActivationError {
    fn from(e: crate::service::authn::AuthnError) -> Self {
        match e {
            crate::service::authn::AuthnError::Storage(e) => e.into(),
            other => ActivationError::Internal(other.to_string()),
        }
    }
}

impl From<crate::auth::AuthError> for ActivationError {
    fn from(e: crate::auth::AuthError) -> Self {
        ActivationError::Internal(e.to_string())
    }
}

/// Request statuses as stored.
pub mod status {
    pub const OPEN: &str = "open";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
    pub const REVOKED: &str = "revoked";
    pub const LAPSED: &str = "lapsed";
}

impl Activation {
    /// The citizen as stored now (the session's copy may be older than the last state change).
    pub(crate) async fn fresh_citizen(&self, id: &str) -> Result<Citizen, ActivationError> {
        self.store
            .get_citizen(id)
            .await?
            .ok_or_else(|| ActivationError::NotFound(format!("citizen {id}")))
    }

    /// Whether the code of a CodeIssued state can no longer be used (expired, used up, or missing).
    pub(super) async fn code_is_dead(&self, request_id: &str) -> Result<bool, ActivationError> {
        Ok(match self.store.activation_code_for(request_id).await? {
            None => true,
            Some(c) => {
                c.used_at.is_some() || c.expires_at <= self.now_ms() || c.attempts >= c.max_attempts
            }
        })
    }

    /// A CodeIssued state whose code is dead lapses back to NotRequested so a new request may start.
    async fn lapse_if_dead(
        &self,
        citizen: &Citizen,
        actor: &str,
    ) -> Result<SmsPassState, ActivationError> {
        let state = citizen.smspass.clone();
        let Some(r) = state.request().cloned() else {
            return Ok(state);
        };
        if state.code() != "code_issued" || !self.code_is_dead(&r.id).await? {
            return Ok(state);
        }
        let next = state.clone().apply(Action::Lapse)?;
        let ev = AuditEvent::new(AuditKind::SmsPassLapsed)
            .actor(actor)
            .citizen(&citizen.id.0)
            .detail(serde_json::json!({ "request": r.id }));
        self.store
            .change_smspass_state(
                &citizen.id.0,
                &state,
                &next,
                None,
                Some(status::LAPSED),
                self.now_ms(),
                &ev,
            )
            .await?;
        Ok(next)
    }

    async fn new_request(
        &self,
        citizen: &Citizen,
        path: ActivationPath,
        lang: &str,
        identity: Option<IdentityCheckRecord>,
        actor: &str,
        client_addr: Option<String>,
    ) -> Result<ActivationRequestRecord, ActivationError> {
        let from = self.lapse_if_dead(citizen, actor).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let request = RequestRef {
            id: id.clone(),
            path,
        };
        let mut to = from.clone().apply(Action::Request(request))?;
        if identity.is_some() {
            to = to.apply(Action::VerifyIdentity)?;
        }
        let now = self.now_ms();
        let mut last = None;
        // A clash of references is unlikely (40 random bits); try a few.
        for _ in 0..5 {
            let rec = ActivationRequestRecord {
                id: id.clone(),
                reference: codes::new_reference(&self.rng, path),
                citizen_id: citizen.id.0.clone(),
                path,
                status: status::OPEN.into(),
                lang: if lang == "en" { "en" } else { "sl" }.into(),
                created_at: now,
                document_type: identity.as_ref().map(|i| i.document_type.clone()),
                document_number: identity.as_ref().map(|i| i.document_number.clone()),
                document_expiry: identity.as_ref().map(|i| i.document_expiry.clone()),
                office: identity.as_ref().map(|i| i.office.clone()),
                officer: identity.as_ref().map(|i| i.officer.clone()),
                checked_at: identity.as_ref().map(|i| i.checked_at),
                citizen_signed_at: None,
                decided_at: None,
                decided_by: None,
                reason: None,
            };
            let ev = AuditEvent::new(AuditKind::ActivationRequested)
                .actor(actor)
                .citizen(&citizen.id.0)
                .addr(client_addr.clone())
                .detail(serde_json::json!({
                    "reference": rec.reference,
                    "path": path.as_str(),
                    "identity_verified": identity.is_some(),
                }));
            match self
                .store
                .create_activation_request(&rec, &from, &to, &ev)
                .await
            {
                Ok(()) => return Ok(rec),
                Err(StorageError::Conflict(s)) if s.starts_with("reference") => last = Some(s),
                Err(e) => return Err(e.into()),
            }
        }
        Err(ActivationError::Internal(format!(
            "no free reference: {last:?}"
        )))
    }

    /// Path A: the citizen asks for activation at a registration office. Returns the request (its
    /// reference goes on the printed form).
    pub async fn start_activation(
        &self,
        citizen: &Citizen,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<ActivationRequestRecord, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        self.new_request(
            &c,
            ActivationPath::A,
            lang,
            None,
            &format!("citizen:{}", c.username),
            client_addr,
        )
        .await
    }

    /// Path B: the citizen holds a registered qualified certificate, so the identity counts as
    /// verified at once; the activation code then goes out by letter (see [`Self::issue_letter_code`]).
    pub async fn start_activation_with_certificate(
        &self,
        citizen: &Citizen,
        has_qualified_certificate: bool,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<ActivationRequestRecord, ActivationError> {
        if !has_qualified_certificate {
            return Err(ActivationError::Invalid(
                "no registered qualified certificate".into(),
            ));
        }
        let c = self.fresh_citizen(&citizen.id.0).await?;
        let identity = IdentityCheckRecord {
            document_type: "qualified_certificate".into(),
            document_number: String::new(),
            document_expiry: String::new(),
            office: "online".into(),
            officer: String::new(),
            checked_at: self.now_ms(),
        };
        self.new_request(
            &c,
            ActivationPath::B,
            lang,
            Some(identity),
            &format!("citizen:{}", c.username),
            client_addr,
        )
        .await
    }

    /// Generates an activation code for a verified request, stores only its hash, moves the citizen to
    /// CodeIssued and returns the plain code once (for the e-mail or the letter).
    pub(crate) async fn issue_code(
        &self,
        req: &ActivationRequestRecord,
        decided_by: Option<&str>,
        actor: &str,
    ) -> Result<Secret, ActivationError> {
        let citizen = self.fresh_citizen(&req.citizen_id).await?;
        let from = citizen.smspass.clone();
        if from.request().map(|r| r.id.as_str()) != Some(req.id.as_str()) {
            return Err(ActivationError::Conflict(format!(
                "request {} is not the citizen's current request",
                req.reference
            )));
        }
        let to = from.clone().apply(Action::IssueCode)?;
        let (code, rec) = self.new_code_record(req)?;
        let ev = AuditEvent::new(AuditKind::ActivationCodeIssued)
            .actor(actor)
            .citizen(&req.citizen_id)
            .detail(serde_json::json!({
                "reference": req.reference,
                "path": req.path.as_str(),
                "expires_at": rec.expires_at,
            }));
        self.store
            .issue_activation_code(&rec, decided_by, &from, &to, &ev)
            .await?;
        Ok(code)
    }

    /// A fresh activation code for `req` and the record that stores only its keyed hash.
    pub(crate) fn new_code_record(
        &self,
        req: &ActivationRequestRecord,
    ) -> Result<(Secret, ActivationCodeRecord), ActivationError> {
        let code = codes::new_code(&self.rng);
        let now = self.now_ms();
        let rec = ActivationCodeRecord {
            id: uuid::Uuid::new_v4().to_string(),
            citizen_id: req.citizen_id.clone(),
            request_id: req.id.clone(),
            code_hash: codes::hash(&self.keyed, &req.citizen_id, &code)?,
            created_at: now,
            expires_at: now + self.cfg.activation.code_ttl_days * 86_400_000,
            attempts: 0,
            max_attempts: self.cfg.activation.code_max_attempts,
            used_at: None,
        };
        Ok((code, rec))
    }

    /// Path B: the code for the letter of request `request_id` (called when letters are produced).
    pub async fn issue_letter_code(&self, request_id: &str) -> Result<Secret, ActivationError> {
        let req = self
            .store
            .activation_request(request_id)
            .await?
            .ok_or_else(|| ActivationError::NotFound(format!("activation request {request_id}")))?;
        if req.path != ActivationPath::B {
            return Err(ActivationError::Invalid(format!(
                "request {} is not a path B request",
                req.reference
            )));
        }
        self.issue_code(&req, None, "system:letters").await
    }
}
