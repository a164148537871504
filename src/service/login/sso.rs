//! Step 1: an AuthnRequest arrives at /saml/sso.
use super::{LoginError, RequestedContext, SsoRequest};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::{Principal, PrincipalKind, Purpose};
use crate::domain::loa::{self, Comparison};
use crate::saml::binding::{self, InboundMessage};
use crate::saml::nameid::choose_format;
use crate::saml::registry::ServiceProvider;
use crate::saml::request::{
    self, Refusal, RequestError, UnverifiedAuthnRequest, VerifiedAuthnRequest,
};
use crate::saml::types::{nameid, status};
use crate::service::authn::NewFlow;
use crate::service::respond::StatusReply;
use crate::service::{Login, PostForm};
use crate::storage::{FlowStart, SeenRequest};
use chrono::Duration;
use std::sync::Arc;

/// The raw message as the browser delivered it.
pub enum SsoInput<'a> {
    /// The query string exactly as received (signatures are over its octets).
    Redirect { raw_query: &'a str },
    Post {
        saml_request: &'a str,
        relay_state: Option<&'a str>,
    },
}

pub enum SsoOutcome {
    /// Answer the e-service now (SSO session, or a SAML error status to its metadata ACS).
    Respond(PostForm),
    /// Interactive login: set the transaction cookie and send the browser to the login pages.
    Login { tx_token: String },
}

fn map_comparison(c: &request::Comparison) -> Comparison {
    match c {
        request::Comparison::Exact => Comparison::Exact,
        request::Comparison::Minimum => Comparison::Minimum,
        request::Comparison::Maximum => Comparison::Maximum,
        request::Comparison::Better => Comparison::Better,
    }
}

/// Where a status answering the verified request goes: its ACS (from metadata), ID and RelayState.
fn reply_to_verified<'a>(sp: &'a ServiceProvider, v: &'a VerifiedAuthnRequest) -> StatusReply<'a> {
    StatusReply {
        sp,
        acs_url: &v.acs_url,
        in_response_to: Some(&v.id),
        relay_state: v.relay_state.as_deref(),
    }
}

impl Login {
    pub async fn start_sso(
        &self,
        input: SsoInput<'_>,
        session_token: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<SsoOutcome, LoginError> {
        let max = self.cfg.max_message_bytes;
        let msg: InboundMessage = match input {
            SsoInput::Redirect { raw_query } => binding::decode_redirect(raw_query, max),
            SsoInput::Post {
                saml_request,
                relay_state,
            } => binding::decode_post(saml_request, relay_state, max),
        }
        .map_err(|e| self.refused("binding", LoginError::BadRequest(e.to_string())))?;
        let unverified = UnverifiedAuthnRequest::parse(msg)
            .map_err(|e| self.refused("parse", LoginError::BadRequest(e.to_string())))?;
        let reg = self.registry.snapshot();
        let sp = reg.get(unverified.issuer()).ok_or_else(|| {
            self.refused(
                "unknown_sp",
                LoginError::UnknownSp(unverified.issuer().to_string()),
            )
        })?;
        if !sp.policy.enabled {
            return Err(self.refused(
                "disabled",
                LoginError::SpDisabled(sp.metadata.entity_id.clone()),
            ));
        }
        let require_sig = sp.metadata.authn_requests_signed
            || sp.policy.require_signed_requests
            || self.cfg.require_signed_requests;
        let now = self.clock.now();
        let sso_url = self.responder.sso_url();
        // From here on only the verified request is used: its ID, ACS, RelayState and options.
        let verified = match unverified.verify(
            &sp.metadata,
            require_sig,
            now,
            Duration::seconds(self.cfg.clock_skew_secs),
            &[sso_url.as_str()],
        ) {
            Ok(v) => v,
            Err(refusal) => return self.answer_refusal(&sp, &refusal, client_addr).await,
        };
        // The request ID enters the replay cache in the same transaction as its use (the login
        // transaction, or the assertion answered from the session).
        let seen = SeenRequest {
            sp_entity_id: sp.metadata.entity_id.clone(),
            request_id: verified.id.clone(),
            expires_at: (now + Duration::seconds(self.cfg.lifetimes.seen_request_secs))
                .timestamp_millis(),
        };
        let outcome = self
            .continue_sso(&sp, &verified, session_token, client_addr.clone(), &seen)
            .await;
        match outcome {
            Err(LoginError::Replayed) => {
                self.audit_refusal(&sp, "replayed request ID", client_addr)
                    .await;
                self.metrics
                    .refused_requests
                    .with_label_values(&["replay"])
                    .inc();
                Ok(SsoOutcome::Respond(
                    self.responder
                        .status_form(
                            &reply_to_verified(&sp, &verified),
                            status::REQUESTER,
                            Some(status::REQUEST_DENIED),
                            Some("request ID already used"),
                        )
                        .await?,
                ))
            }
            other => other,
        }
    }

    /// A refused AuthnRequest: a SAML status to the ACS the verified request chose from
    /// metadata when the refusal allows it, otherwise an error page.
    async fn answer_refusal(
        &self,
        sp: &ServiceProvider,
        refusal: &Refusal,
        client_addr: Option<String>,
    ) -> Result<SsoOutcome, LoginError> {
        let e = &refusal.error;
        tracing::warn!(sp = %sp.metadata.entity_id, error = %e, "AuthnRequest refused");
        self.audit_refusal(sp, &e.to_string(), client_addr).await;
        let label = match e {
            RequestError::Acs(_) | RequestError::AcsIndexAndUrl => "acs",
            _ => "verify",
        };
        self.metrics
            .refused_requests
            .with_label_values(&[label])
            .inc();
        if let Some((to, top, second)) = refusal.status_reply() {
            let reply = StatusReply {
                sp,
                acs_url: to.acs_url(),
                in_response_to: Some(to.in_response_to()),
                relay_state: to.relay_state(),
            };
            return Ok(SsoOutcome::Respond(
                self.responder
                    .status_form(&reply, top, second, Some("request refused"))
                    .await?,
            ));
        }
        Err(match e {
            RequestError::Acs(_) | RequestError::AcsIndexAndUrl => {
                LoginError::AcsNotInMetadata(e.to_string())
            }
            _ => LoginError::BadRequest(e.to_string()),
        })
    }

    /// The request is verified (its ACS chosen from metadata): answer from the session, or start
    /// a login.
    async fn continue_sso(
        &self,
        sp: &Arc<ServiceProvider>,
        v: &VerifiedAuthnRequest,
        session_token: Option<&str>,
        client_addr: Option<String>,
        seen: &SeenRequest,
    ) -> Result<SsoOutcome, LoginError> {
        let reply = &reply_to_verified(sp, v);
        let requested_format = v
            .name_id_policy
            .as_ref()
            .and_then(|p| p.format.clone())
            .filter(|f| f != nameid::UNSPECIFIED);
        // The citizen is not known yet: whether an e-mail NameID can be issued is decided again,
        // with everything else, when the Response is built.
        let name_id_format = match choose_format(
            requested_format.as_deref(),
            &sp.metadata.name_id_formats,
            &sp.policy.name_id_formats,
            true,
        ) {
            Ok(f) => f,
            Err(e) => {
                self.audit_refusal(sp, &e.to_string(), client_addr).await;
                return Ok(SsoOutcome::Respond(
                    self.responder
                        .status_form(
                            reply,
                            status::REQUESTER,
                            Some(status::INVALID_NAMEID_POLICY),
                            Some("NameID format not available"),
                        )
                        .await?,
                ));
            }
        };
        let requested = v
            .requested_authn_context
            .as_ref()
            .map(|r| (map_comparison(&r.comparison), r.class_refs.as_slice()));
        let target = match loa::decide(requested, sp.policy.level()) {
            Ok(t) => t,
            Err(e) => {
                self.audit_refusal(sp, &e.to_string(), client_addr).await;
                return Ok(SsoOutcome::Respond(
                    self.responder
                        .status_form(
                            reply,
                            status::REQUESTER,
                            Some(status::NO_AUTHN_CONTEXT),
                            Some("requested authentication context cannot be satisfied"),
                        )
                        .await?,
                ));
            }
        };
        let mut pending = SsoRequest {
            request_id: Some(v.id.clone()),
            sp: sp.metadata.entity_id.clone(),
            acs_url: v.acs_url.clone(),
            relay_state: v.relay_state.clone(),
            force_authn: v.force_authn,
            target,
            name_id_format,
            step_up: false,
            requested_format,
            requested_context: v
                .requested_authn_context
                .as_ref()
                .map(|r| RequestedContext {
                    comparison: map_comparison(&r.comparison),
                    class_refs: r.class_refs.clone(),
                }),
        };
        let session = match session_token {
            Some(t) => self.responder.valid_session_with_citizen(t).await?,
            None => None,
        };
        let mut preset_citizen = None;
        if let Some((s, citizen)) = &session {
            if !v.force_authn {
                let level = crate::domain::loa::Level::from_i32(s.level);
                if let Some(level) = level {
                    if pending.target.satisfied_by(level) {
                        let form = self
                            .responder
                            .respond_from_session(
                                s,
                                citizen,
                                &pending,
                                level,
                                Some(seen),
                                client_addr.clone(),
                            )
                            .await?;
                        return Ok(SsoOutcome::Respond(form));
                    }
                    if level < pending.target.level {
                        // Step-up: the password is proven by the session; ask only the SMS code.
                        pending.step_up = true;
                        preset_citizen = Some((s.citizen_id.clone(), s.authn_instant));
                    }
                }
            }
        }
        if v.is_passive {
            return Ok(SsoOutcome::Respond(
                self.responder
                    .status_form(
                        reply,
                        status::RESPONDER,
                        Some(status::NO_PASSIVE),
                        Some("no session and passive authentication requested"),
                    )
                    .await?,
            ));
        }
        let ev = AuditEvent::new(AuditKind::LoginStarted)
            .sp(&sp.metadata.entity_id)
            .addr(client_addr)
            .detail(serde_json::json!({
                "request_id": v.id,
                "binding": format!("{:?}", v.binding),
                "signed": v.was_signed,
                "target": pending.target.level.name(),
                "step_up": pending.step_up,
                "force_authn": v.force_authn,
            }));
        let ev = match &preset_citizen {
            Some((c, _)) => ev.citizen(c),
            None => ev,
        };
        let (tx_token, _) = self
            .authn
            .open_flow(NewFlow {
                purpose: Purpose::Sso(Box::new(pending)),
                principal: preset_citizen.map(|(id, at)| {
                    (
                        Principal {
                            kind: PrincipalKind::Citizen,
                            id,
                        },
                        Some(at),
                    )
                }),
                start: FlowStart {
                    seen: Some(seen),
                    audit: Some(&ev),
                    ..FlowStart::default()
                },
            })
            .await?;
        Ok(SsoOutcome::Login { tx_token })
    }

    fn refused(&self, reason: &str, e: LoginError) -> LoginError {
        tracing::info!(reason, error = %e, "SAML request refused");
        self.metrics
            .refused_requests
            .with_label_values(&[reason])
            .inc();
        e
    }

    async fn audit_refusal(&self, sp: &ServiceProvider, why: &str, addr: Option<String>) {
        let ev = AuditEvent::new(AuditKind::RequestRefused)
            .sp(&sp.metadata.entity_id)
            .addr(addr)
            .detail(serde_json::json!({ "reason": why }));
        if let Err(e) = self.store.audit(&ev, self.now_ms()).await {
            tracing::error!(error = %e, "audit write failed");
        }
    }
}
