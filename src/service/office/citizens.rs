//! The desk's citizen view: find citizens by name or username (with or without an activation request),
//! see their smsPASS state and suspend / resume / revoke it from the citizen's page.
use super::super::activation::ActivationError;
use super::super::Office;
use super::officer_actor;
use crate::domain::citizen::Citizen;
use crate::domain::staff::StaffMember;
use serde::Serialize;

/// At most this many citizens are listed for one search.
const LIMIT: u64 = 50;

/// A citizen as the desk shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OfficeCitizen {
    pub id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub smspass_state: &'static str,
    pub smspass_state_key: String,
    pub phone_masked: Option<String>,
    /// Reference of the citizen's newest activation request, if any.
    pub latest_reference: Option<String>,
    pub can_suspend: bool,
    pub can_resume: bool,
    pub can_revoke: bool,
}

/// What one desk search finds: activation requests and citizens.
#[derive(Debug, Clone, Serialize)]
pub struct OfficeSearch {
    pub requests: Vec<super::OfficeRequest>,
    pub citizens: Vec<OfficeCitizen>,
}

fn office_citizen(c: &Citizen, latest_reference: Option<String>) -> OfficeCitizen {
    let state = c.smspass.code();
    OfficeCitizen {
        id: c.id.0.clone(),
        username: c.username.to_string(),
        given_name: c.given_name.clone(),
        family_name: c.family_name.clone(),
        email: c.email.clone(),
        smspass_state: state,
        smspass_state_key: crate::domain::smspass::state_key(state),
        phone_masked: c.smspass.phone().map(|p| p.masked()),
        latest_reference,
        can_suspend: state == "active",
        can_resume: state == "suspended",
        can_revoke: !matches!(state, "not_requested" | "revoked"),
    }
}

/// A citizen id as it may appear in a URL (a UUID); anything else is not looked up.
fn well_formed_id(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

impl Office {
    /// Requests (by reference or name) and citizens (by name or username) for the desk's search.
    pub async fn office_search(&self, query: &str) -> Result<OfficeSearch, ActivationError> {
        Ok(OfficeSearch {
            requests: self.office_find(query).await?,
            citizens: self.office_find_citizens(query).await?,
        })
    }

    /// Citizens whose names or username contain every typed word (any case, Č/Š/Ž included).
    pub async fn office_find_citizens(
        &self,
        query: &str,
    ) -> Result<Vec<OfficeCitizen>, ActivationError> {
        let q = query.trim();
        let n = q.chars().count();
        if !(2..=100).contains(&n) {
            return Ok(vec![]);
        }
        Ok(self
            .store
            .citizens_by_name(q, LIMIT)
            .await?
            .iter()
            .map(|c| office_citizen(c, None))
            .collect())
    }

    pub async fn office_citizen(&self, id: &str) -> Result<OfficeCitizen, ActivationError> {
        if !well_formed_id(id) {
            return Err(ActivationError::NotFound(format!("citizen {id}")));
        }
        let c = self.activation.fresh_citizen(id).await?;
        let latest = self
            .store
            .latest_activation_request(id)
            .await?
            .map(|r| r.reference);
        Ok(office_citizen(&c, latest))
    }

    /// Suspend, resume or revoke the smsPASS of citizen `id` (no activation request needed).
    pub async fn office_citizen_action_by_id(
        &self,
        officer: &StaffMember,
        id: &str,
        action: &str,
        reason: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        let actor = officer_actor(officer)?;
        if !well_formed_id(id) {
            return Err(ActivationError::NotFound(format!("citizen {id}")));
        }
        let c = self.activation.fresh_citizen(id).await?;
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(ActivationError::Invalid("reason too long".into()));
        }
        let id = &c.id.0;
        match action {
            "suspend" => {
                let why = (!reason.is_empty()).then_some(reason);
                self.activation
                    .suspend_smspass(id, &actor, why, client_addr)
                    .await
            }
            "resume" => {
                self.activation
                    .resume_smspass(id, &actor, client_addr)
                    .await
            }
            "revoke" if !reason.is_empty() => {
                self.activation
                    .revoke_smspass(id, &actor, reason, client_addr)
                    .await
            }
            "revoke" => Err(ActivationError::Invalid("a reason is required".into())),
            other => Err(ActivationError::Invalid(format!("unknown action {other}"))),
        }
    }
}
