//! A new activation code for an approved path-A request whose code the citizen cannot use: the e-mail
//! did not go out, the code expired or ran out of attempts, or the citizen lost it. The old code is
//! voided in the same transaction that stores the new one; the state machine allows this only in
//! CodeIssued.
use super::super::activation::{status, ActivationError};
use super::super::Office;
use super::{officer_actor, CodeMail};
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::smspass::{Action, ActivationPath};
use crate::domain::staff::StaffMember;

impl Office {
    pub async fn office_reissue_code(
        &self,
        officer: &StaffMember,
        reference: &str,
        client_addr: Option<String>,
    ) -> Result<CodeMail, ActivationError> {
        let actor = officer_actor(officer)?;
        let (r, c) = self.office_load(reference).await?;
        if r.path != ActivationPath::A {
            return Err(ActivationError::Invalid("not a path A request".into()));
        }
        let state = c.smspass.clone();
        if state.request().map(|x| x.id.as_str()) != Some(r.id.as_str())
            || r.status != status::APPROVED
        {
            return Err(ActivationError::Conflict(format!(
                "request {} is not waiting for its activation code",
                r.reference
            )));
        }
        // Refused unless the citizen is in CodeIssued (the code was not used).
        let next = state.clone().apply(Action::ReissueCode)?;
        let Some(email) = c.email.clone() else {
            return Err(ActivationError::Invalid(
                "the citizen has no e-mail address".into(),
            ));
        };
        let old = self
            .store
            .activation_code_for(&r.id)
            .await?
            .ok_or_else(|| ActivationError::NotFound(format!("code of {}", r.reference)))?;
        if old.used_at.is_some() {
            return Err(ActivationError::Conflict("the code was used".into()));
        }
        let now = self.now_ms();
        let (code, rec) = self.activation.new_code_record(&r)?;
        let ev = AuditEvent::new(AuditKind::ActivationCodeReissued)
            .actor(actor.clone())
            .citizen(&c.id.0)
            .addr(client_addr.clone())
            .detail(serde_json::json!({
                "reference": r.reference,
                "expires_at": rec.expires_at,
                "old_code_expired": old.expires_at <= now,
                "old_code_attempts": old.attempts,
            }));
        self.store
            .reissue_activation_code(&old.id, &rec, &next, &ev)
            .await?;
        self.mail_activation_code(&c, &r, &email, &code, &actor, client_addr)
            .await
    }
}
