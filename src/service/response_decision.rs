//! The decision taken when a success Response is about to be built. The e-service's policy may have
//! changed since its AuthnRequest came in (an operator disabled it, raised its level, removed an
//! attribute or a NameID format), and the citizen is known only now; so the registry is read again and
//! everything the assertion carries is decided here, before anything is written:
//! - the e-service is still registered, enabled, and its metadata still lists the ACS — otherwise no
//!   Response at all (an error page);
//! - the level achieved satisfies the request under the policy's current floor — otherwise
//!   `NoAuthnContext`;
//! - a NameID format the policy still allows and the IdP can issue for this citizen (an e-mail NameID
//!   only with a confirmed address) — otherwise `InvalidNameIDPolicy`;
//! - the attributes the current policy names (`domain::release`).
use super::login::{LoginError, SsoRequest};
use super::Responder;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::Purpose;
use crate::domain::citizen::Citizen;
use crate::domain::loa::{self, AuthnTarget, Level};
use crate::domain::release::{release, NAME_FORMAT_URI};
use crate::saml::nameid::{choose_format, pairwise};
use crate::saml::registry::ServiceProvider;
use crate::saml::response::{Attribute, NameId};
use crate::saml::types::{nameid, status};
use std::sync::Arc;

/// What the success Response will carry, decided from the policy in force.
pub(crate) struct Plan {
    pub sp: Arc<ServiceProvider>,
    pub name_id: NameId,
    pub class_ref: String,
    pub attributes: Vec<Attribute>,
}

/// Why no assertion is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The e-service is gone, disabled, or no longer lists the ACS: nothing is sent to it.
    Unavailable(&'static str),
    /// A SAML status Response (to the ACS from metadata): top-level and second-level codes.
    Status {
        top: &'static str,
        second: &'static str,
        reason: &'static str,
    },
}

pub(crate) enum Decision {
    Assert(Box<Plan>),
    Refuse(Refusal),
}

impl Refusal {
    fn reason(&self) -> &'static str {
        match self {
            Refusal::Unavailable(r) | Refusal::Status { reason: r, .. } => r,
        }
    }
}

impl Responder {
    /// The e-service of a pending login as the registry has it now, if it may still be answered at
    /// the ACS chosen when the request came in.
    pub(crate) fn sp_now(&self, pending: &SsoRequest) -> Result<Arc<ServiceProvider>, Refusal> {
        let sp = self
            .registry
            .snapshot()
            .get(&pending.sp)
            .ok_or(Refusal::Unavailable("e-service no longer registered"))?;
        if !sp.policy.enabled {
            return Err(Refusal::Unavailable("e-service disabled"));
        }
        if !sp
            .metadata
            .acs
            .iter()
            .any(|a| a.location == pending.acs_url)
        {
            return Err(Refusal::Unavailable("ACS no longer in metadata"));
        }
        Ok(sp)
    }

    /// The target of the login under the e-service's current floor. A target never falls below the
    /// one decided when the request came in (the citizen was already asked for those steps).
    fn target_now(
        pending: &SsoRequest,
        sp: &ServiceProvider,
    ) -> Result<AuthnTarget, loa::LoaError> {
        let requested = pending
            .requested_context
            .as_ref()
            .map(|r| (r.comparison, r.class_refs.as_slice()));
        let now = loa::decide(requested, sp.policy.level())?;
        Ok(if now.level < pending.target.level {
            pending.target.clone()
        } else {
            now
        })
    }

    /// The level the login must reach before it can be answered, under the policy in force (for the
    /// password step: is the password enough, or is the SMS code needed too?). When the e-service is
    /// unavailable or the context can no longer be met, the level chosen at request time: the
    /// Response decision then ends the login.
    pub(crate) fn level_needed_now(&self, purpose: &Purpose) -> Level {
        let Purpose::Sso(pending) = purpose else {
            return purpose.level();
        };
        self.sp_now(pending)
            .ok()
            .and_then(|sp| Self::target_now(pending, &sp).ok())
            .map_or(pending.target.level, |t| t.level.max(pending.target.level))
    }

    /// Decides the Response for `citizen`, who has authenticated at `achieved`.
    pub(crate) fn decide_response(
        &self,
        pending: &SsoRequest,
        citizen: &Citizen,
        achieved: Level,
    ) -> Result<Decision, LoginError> {
        let sp = match self.sp_now(pending) {
            Ok(sp) => sp,
            Err(r) => return Ok(Decision::Refuse(r)),
        };
        let no_context = Refusal::Status {
            top: status::REQUESTER,
            second: status::NO_AUTHN_CONTEXT,
            reason: "authentication context no longer satisfied",
        };
        let Ok(target) = Self::target_now(pending, &sp) else {
            return Ok(Decision::Refuse(no_context));
        };
        if !target.satisfied_by(achieved) {
            return Ok(Decision::Refuse(no_context));
        }
        let email = citizen.confirmed_email();
        let Ok(format) = choose_format(
            pending.requested_format.as_deref(),
            &sp.metadata.name_id_formats,
            &sp.policy.name_id_formats,
            email.is_some(),
        ) else {
            return Ok(Decision::Refuse(Refusal::Status {
                top: status::REQUESTER,
                second: status::INVALID_NAMEID_POLICY,
                reason: "NameID format not available",
            }));
        };
        let value = match (format.as_str(), email) {
            (nameid::TRANSIENT, _) => self.rng.token(),
            (nameid::EMAIL, Some(e)) => e.to_string(),
            (nameid::EMAIL, None) => {
                return Err(LoginError::Internal(
                    "e-mail NameID chosen without e-mail".into(),
                ))
            }
            _ => pairwise(&self.nameid_secret, &citizen.id.0, &sp.metadata.entity_id)
                .map_err(|e| LoginError::Internal(e.to_string()))?,
        };
        let name_id = NameId {
            value,
            format,
            name_qualifier: Some(self.cfg.entity_id.clone()),
            sp_name_qualifier: Some(sp.metadata.entity_id.clone()),
        };
        let attributes = release(citizen, &sp.policy)
            .into_iter()
            .map(|r| Attribute {
                name: r.name.to_string(),
                friendly_name: Some(r.friendly_name.to_string()),
                name_format: NAME_FORMAT_URI.to_string(),
                values: r.values,
            })
            .collect();
        Ok(Decision::Assert(Box::new(Plan {
            class_ref: target.class_ref_for(achieved),
            sp,
            name_id,
            attributes,
        })))
    }

    /// The audit record of a login that ends without an assertion.
    pub(crate) fn refusal_event(
        pending: &SsoRequest,
        citizen: &Citizen,
        refusal: &Refusal,
        addr: Option<String>,
    ) -> AuditEvent {
        let status = match refusal {
            Refusal::Unavailable(_) => None,
            Refusal::Status { second, .. } => Some(*second),
        };
        AuditEvent::new(AuditKind::RequestRefused)
            .citizen(&citizen.id.0)
            .sp(&pending.sp)
            .addr(addr)
            .detail(serde_json::json!({
                "reason": refusal.reason(),
                "stage": "response",
                "in_response_to": pending.request_id,
                "status": status,
            }))
    }
}
