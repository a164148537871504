//! Building the answers to e-services: signed success Responses and SAML status Responses, always to an
//! ACS taken from metadata.
use super::login::{sp_of, Finished, LoginError, Next, SsoRequest};
use super::response_decision::{Decision, Plan, Refusal};
use super::{token_hash, Responder};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::Purpose;
use crate::auth::session::{is_valid, SessionTimes};
use crate::domain::citizen::Citizen;
use crate::domain::loa::Level;
use crate::saml::registry::ServiceProvider;
use crate::saml::response::{self, StatusResponse, SuccessResponse};
use crate::saml::types::status;
use crate::storage::{AssertionRecord, Participant, SeenRequest, SessionRecord};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};

/// An auto-submitting POST form to an e-service's ACS.
#[derive(Debug, Clone)]
pub struct PostForm {
    pub acs_url: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
    pub sp_name: String,
}

pub(crate) struct StatusReply<'a> {
    pub sp: &'a ServiceProvider,
    pub acs_url: &'a str,
    pub in_response_to: Option<&'a str>,
    pub relay_state: Option<&'a str>,
}

/// An SSO session's last use (for the idle timeout) is written at most this often, so a burst of
/// logins to e-services does not rewrite the session row each time; the idle timeout can therefore
/// end a session up to this much earlier than its exact idle time.
pub(crate) const SESSION_TOUCH_MS: i64 = 60_000;

fn ms_to_dt(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

impl Responder {
    pub(crate) async fn status_form(
        &self,
        r: &StatusReply<'_>,
        top: &str,
        second: Option<&str>,
        message: Option<&str>,
    ) -> Result<PostForm, LoginError> {
        let id = self.rng.xml_id();
        let xml = response::build_status(
            &self.keys,
            &StatusResponse {
                response_id: &id,
                issuer: &self.cfg.entity_id,
                destination: r.acs_url,
                in_response_to: r.in_response_to,
                issue_instant: self.clock.now(),
                top_status: top,
                second_status: second,
                message,
                sign: true,
            },
        )
        .await
        .map_err(|e| LoginError::Internal(e.to_string()))?;
        Ok(PostForm {
            acs_url: r.acs_url.to_string(),
            saml_response: base64::engine::general_purpose::STANDARD.encode(xml),
            relay_state: r.relay_state.map(str::to_string),
            sp_name: r.sp.display_name("sl"),
        })
    }

    /// A SAML status Response for a pending login that the citizen cancelled or that cannot finish.
    pub(crate) async fn pending_status_form(
        &self,
        pending: &SsoRequest,
        top: &str,
        second: Option<&str>,
    ) -> Result<PostForm, LoginError> {
        let reg = self.registry.snapshot();
        let sp = reg
            .get(&pending.sp)
            .ok_or_else(|| LoginError::UnknownSp(pending.sp.clone()))?;
        self.status_form(
            &StatusReply {
                sp: &sp,
                acs_url: &pending.acs_url,
                in_response_to: pending.request_id.as_deref(),
                relay_state: pending.relay_state.as_deref(),
            },
            top,
            second,
            None,
        )
        .await
    }

    /// Whether a stored session is still usable now (not revoked, neither idle nor absolute timeout).
    fn session_alive(&self, s: &SessionRecord) -> bool {
        let times = SessionTimes {
            created_at: ms_to_dt(s.created_at),
            last_seen_at: ms_to_dt(s.last_seen_at),
            revoked: s.revoked,
        };
        let l = &self.cfg.lifetimes;
        is_valid(
            &times,
            self.clock.now(),
            Duration::seconds(l.sso_idle_secs),
            Duration::seconds(l.sso_absolute_secs),
        )
    }

    /// The SSO session named by a cookie, if it is still valid.
    pub(crate) async fn valid_session(
        &self,
        token: &str,
    ) -> Result<Option<SessionRecord>, LoginError> {
        let h = token_hash(&self.keyed, token)?;
        let Some(s) = self.store.find_session(&h).await? else {
            return Ok(None);
        };
        Ok(self.session_alive(&s).then_some(s))
    }

    /// The SSO session named by a cookie and its citizen (one query), if the session is still valid
    /// and the citizen's account is not locked.
    pub(crate) async fn valid_session_with_citizen(
        &self,
        token: &str,
    ) -> Result<Option<(SessionRecord, Citizen)>, LoginError> {
        let h = token_hash(&self.keyed, token)?;
        let Some((s, citizen)) = self.store.find_session_with_citizen(&h).await? else {
            return Ok(None);
        };
        let citizen =
            citizen.ok_or_else(|| LoginError::Internal("session without citizen".into()))?;
        if citizen.locked || !self.session_alive(&s) {
            return Ok(None);
        }
        Ok(Some((s, citizen)))
    }

    /// Answers from an existing session. With `seen`, the request ID enters the replay cache in the
    /// transaction that records the assertion ([`LoginError::Replayed`] if it was used before). The
    /// policy is read again here too: a refusal is a SAML status or, for an e-service that is no
    /// longer available, [`LoginError::SpDisabled`] (an error page).
    pub(crate) async fn respond_from_session(
        &self,
        s: &SessionRecord,
        citizen: &Citizen,
        pending: &SsoRequest,
        level: Level,
        seen: Option<&SeenRequest>,
        client_addr: Option<String>,
    ) -> Result<PostForm, LoginError> {
        let plan = match self.decide_response(pending, citizen, level)? {
            Decision::Assert(plan) => plan,
            Decision::Refuse(r) => {
                let ev = Self::refusal_event(pending, citizen, &r, client_addr);
                self.store.audit(&ev, self.now_ms()).await?;
                return self.refusal_answer(pending, r).await;
            }
        };
        let form = self.success_form(citizen, s, pending, &plan, seen).await?;
        self.metrics
            .assertions
            .with_label_values(&["session"])
            .inc();
        Ok(form)
    }

    /// What the browser gets for a refusal: the status Response to the ACS from metadata, or the
    /// error page for an e-service that is no longer available.
    async fn refusal_answer(
        &self,
        pending: &SsoRequest,
        r: Refusal,
    ) -> Result<PostForm, LoginError> {
        tracing::info!(sp = %pending.sp, refusal = ?r, "no assertion issued");
        self.metrics
            .refused_requests
            .with_label_values(&["response"])
            .inc();
        match r {
            Refusal::Unavailable(_) => Err(LoginError::SpDisabled(pending.sp.clone())),
            Refusal::Status { top, second, .. } => {
                self.pending_status_form(pending, top, Some(second)).await
            }
        }
    }

    /// The login is done at `level`. The Response is decided first: if no assertion can be issued the
    /// transaction ends (with its audit record) and no session is written. Otherwise the SSO session
    /// is rotated (a new token; the old session revoked) and the Response built.
    pub(crate) async fn finish_login(
        &self,
        tx_id: &str,
        citizen: &Citizen,
        purpose: &Purpose,
        level: Level,
        old_session_token: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<Finished, LoginError> {
        let plan = match purpose {
            Purpose::Sso(pending) => match self.decide_response(pending, citizen, level)? {
                Decision::Assert(plan) => Some(plan),
                Decision::Refuse(r) => {
                    let ev = Self::refusal_event(pending, citizen, &r, client_addr);
                    if !self.store.end_flow(tx_id, self.now_ms(), &ev).await? {
                        return Err(LoginError::NoTransaction);
                    }
                    return Ok(Finished {
                        next: Next::Post(self.refusal_answer(pending, r).await?),
                        session_token: None,
                    });
                }
            },
            Purpose::AccountPages(_) => None,
            Purpose::StaffLogin { .. } | Purpose::PhoneProof(_) => {
                return Err(LoginError::Internal("not a citizen login".into()))
            }
        };
        let step_up = match purpose {
            Purpose::Sso(r) => r.step_up,
            Purpose::AccountPages(a) => a.step_up,
            Purpose::StaffLogin { .. } | Purpose::PhoneProof(_) => false,
        };
        if !self.store.complete_flow(tx_id).await? {
            return Err(LoginError::NoTransaction);
        }
        let old = match old_session_token {
            Some(t) => self.valid_session(t).await?,
            None => None,
        };
        let now = self.now_ms();
        let token = self.rng.token();
        let rec = SessionRecord {
            id: uuid::Uuid::new_v4().to_string(),
            token_hash: token_hash(&self.keyed, &token)?,
            citizen_id: citizen.id.0.clone(),
            level: level.as_i32(),
            authn_instant: now,
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.cfg.lifetimes.sso_absolute_secs * 1000,
            revoked: false,
        };
        let kind = if step_up {
            AuditKind::SessionUpgraded
        } else {
            AuditKind::SessionCreated
        };
        let ev = AuditEvent::new(kind)
            .citizen(&citizen.id.0)
            .sp(sp_of(purpose))
            .addr(client_addr)
            .detail(serde_json::json!({ "level": level.name(), "session": rec.id }));
        self.store
            .create_session(&rec, old.as_ref().map(|o| o.id.as_str()), now, &ev)
            .await?;
        self.metrics
            .assertions
            .with_label_values(&[level.name()])
            .inc();
        let next = match (plan, purpose) {
            (Some(plan), Purpose::Sso(pending)) => Next::Post(
                self.success_form(citizen, &rec, pending, &plan, None)
                    .await?,
            ),
            (None, p) => match p.local_next() {
                Some(path) => Next::Redirect(path),
                None => return Err(LoginError::Internal("login without an answer".into())),
            },
            (Some(_), _) => return Err(LoginError::Internal("assertion for a local login".into())),
        };
        Ok(Finished {
            next,
            session_token: Some(token),
        })
    }

    /// Builds, records and returns the success Response that `plan` describes. The Response leaves
    /// only after its record (assertion audit, session participant) has committed.
    async fn success_form(
        &self,
        citizen: &Citizen,
        s: &SessionRecord,
        pending: &SsoRequest,
        plan: &Plan,
        seen: Option<&SeenRequest>,
    ) -> Result<PostForm, LoginError> {
        let sp = &plan.sp;
        let name_id = &plan.name_id;
        let class_ref = &plan.class_ref;
        let now = self.clock.now();
        let skew = Duration::seconds(self.cfg.clock_skew_secs);
        let response_id = self.rng.xml_id();
        let assertion_id = self.rng.xml_id();
        let xml = response::build_success(
            &self.keys,
            &SuccessResponse {
                response_id: &response_id,
                assertion_id: &assertion_id,
                issuer: &self.cfg.entity_id,
                destination: &pending.acs_url,
                in_response_to: pending.request_id.as_deref(),
                audience: &sp.metadata.entity_id,
                name_id,
                issue_instant: now,
                not_before: now - skew,
                not_on_or_after: now + Duration::seconds(self.cfg.lifetimes.assertion_secs),
                authn_instant: ms_to_dt(s.authn_instant),
                session_index: &s.id,
                session_not_on_or_after: Some(ms_to_dt(s.expires_at)),
                authn_context_class_ref: class_ref,
                attributes: &plan.attributes,
                sign_assertion: sp.policy.sign_assertion || sp.metadata.want_assertions_signed,
                sign_response: sp.policy.sign_response,
            },
        )
        .await
        .map_err(|e| LoginError::Internal(e.to_string()))?;
        let ev = AuditEvent::new(AuditKind::AssertionIssued)
            .citizen(&citizen.id.0)
            .sp(&sp.metadata.entity_id)
            .detail(serde_json::json!({
                "assertion_id": assertion_id,
                "name_id": name_id.value,
                "name_id_format": name_id.format,
                "context": class_ref,
                "in_response_to": pending.request_id,
                "status": status::SUCCESS,
            }));
        let now_ms = now.timestamp_millis();
        self.store
            .record_assertion(AssertionRecord {
                session_id: s.id.clone(),
                participant: Participant {
                    sp_entity_id: sp.metadata.entity_id.clone(),
                    name_id: name_id.value.clone(),
                    name_id_format: name_id.format.clone(),
                },
                seen: seen.cloned(),
                // The session's last use is written at most once per SESSION_TOUCH_MS.
                touch: now_ms - s.last_seen_at >= SESSION_TOUCH_MS,
                now_ms,
                event: ev,
            })
            .await?;
        Ok(PostForm {
            acs_url: pending.acs_url.clone(),
            saml_response: base64::engine::general_purpose::STANDARD.encode(xml),
            relay_state: pending.relay_state.clone(),
            sp_name: sp.display_name("sl"),
        })
    }
}
