//! Staff login: username + password, then a one-time code by SMS to the staff phone, then a server-side
//! staff session. The login is an authentication flow of purpose `StaffLogin` named by a cookie.
//! Failures look alike (unknown user, wrong password, locked account) and are throttled in the database.
use super::{StaffError, STAFF_ABSOLUTE_SECS, STAFF_IDLE_SECS};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::{Principal, PrincipalKind, Purpose};
use crate::auth::lockout::CodeHolder;
use crate::auth::session::{is_valid, SessionTimes};
use crate::auth::sms_limit::SmsLimited;
use crate::auth::tokens::ct_eq;
use crate::auth::Secret;
use crate::domain::ids::Username;
use crate::domain::local_path::LocalPath;
use crate::domain::staff::StaffMember;
use crate::service::authn::{password_account_key, CodeCheck, CodeResend, CodeTo, Flow, NewFlow};
use crate::service::code_lock::Sent;
use crate::service::{token_hash, Staff};
use crate::storage::{FlowStart, StaffSessionRecord};
use chrono::{DateTime, Duration, Utc};

pub(super) fn account_throttle_key(username_normalised: &str) -> String {
    password_account_key(PrincipalKind::Staff, username_normalised)
}

#[derive(Debug, PartialEq, Eq)]
pub enum StaffPasswordOutcome {
    CodeSent,
    /// Unknown user, wrong password or locked account: one answer for all.
    Invalid,
    Throttled {
        until_ms: i64,
    },
    /// The password is right but too many wrong SMS codes were typed for this account lately: no
    /// code is sent until the lock ends (ms).
    CodeLocked {
        until_ms: i64,
    },
    /// An SMS limit (or the number's country) refused the code; nothing was sent.
    SmsLimited(SmsLimited),
}

#[derive(Debug, PartialEq, Eq)]
pub enum StaffCodeOutcome {
    /// Logged in: set the session cookie and go to `next`.
    Done {
        session_token: String,
        next: LocalPath,
    },
    Wrong {
        attempts_left: i32,
    },
    Expired,
    Voided {
        can_resend: bool,
    },
    Resent,
    ResendRefused {
        wait_secs: Option<i64>,
    },
    /// Too many wrong codes for this account (over all its logins): no code is sent or accepted,
    /// not even the right one, until the lock ends (ms).
    Locked {
        until_ms: i64,
    },
    /// An SMS limit (or the number's country) refused the code; nothing was sent.
    SmsLimited(SmsLimited),
    NeedPassword,
}

/// The code runner's view of a staff login: the member's code, to their staff phone.
fn staff_code_to<'a>(
    tx: &'a Flow,
    member: &'a StaffMember,
    client_addr: Option<String>,
) -> CodeTo<'a> {
    CodeTo {
        flow: tx,
        holder: CodeHolder::Staff(&member.id),
        phone: &member.phone,
        audit: AuditEvent::new(AuditKind::OtpLockRefused)
            .actor(member.actor())
            .addr(client_addr),
    }
}

/// A valid staff session and who it belongs to.
#[derive(Debug, Clone)]
pub struct StaffLoggedIn {
    pub member: StaffMember,
    pub session_id: String,
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

impl Staff {
    /// Opens a staff login flow that ends at `next`; returns the cookie token.
    pub async fn staff_login_start(&self, next: &LocalPath) -> Result<String, StaffError> {
        let (token, _) = self
            .authn
            .open_flow(NewFlow {
                purpose: Purpose::StaffLogin {
                    next: next.as_str().to_string(),
                },
                principal: None,
                start: FlowStart::default(),
            })
            .await?;
        Ok(token)
    }

    /// The live staff login flow named by the cookie.
    pub async fn staff_pending(&self, tx_token: &str) -> Result<Flow, StaffError> {
        self.authn
            .flow_by_token(tx_token)
            .await?
            .filter(|f| matches!(f.purpose, Purpose::StaffLogin { .. }))
            .ok_or(StaffError::NoTransaction)
    }

    /// CSRF token of a staff form: bound to the staff login transaction cookie or the staff session
    /// cookie (`binding`), domain-separated from the citizen login's tokens.
    pub fn staff_csrf_token(&self, binding: &str) -> Result<String, StaffError> {
        Ok(self.keyed.mac_b64("staff-csrf", &[binding.as_bytes()])?)
    }

    pub fn staff_csrf_ok(&self, binding: &str, presented: &str) -> bool {
        match self.staff_csrf_token(binding) {
            Ok(expected) => ct_eq(&expected, presented),
            Err(_) => false,
        }
    }

    pub async fn staff_submit_password(
        &self,
        tx: &Flow,
        username_raw: &str,
        password: &Secret,
        client_addr: Option<String>,
        lang: &str,
    ) -> Result<StaffPasswordOutcome, StaffError> {
        let now = self.now_ms();
        let normalised = username_raw.trim().to_lowercase();
        let throttle =
            self.authn
                .password_throttle(PrincipalKind::Staff, &normalised, client_addr.as_deref());
        if let Some(until_ms) = throttle.locked_until().await? {
            let ev = AuditEvent::new(AuditKind::StaffLoginThrottled)
                .actor(format!("staff:{normalised}"))
                .addr(client_addr)
                .detail(serde_json::json!({ "username": normalised }));
            self.store.audit(&ev, now).await?;
            return Ok(StaffPasswordOutcome::Throttled { until_ms });
        }
        let found = match Username::parse(username_raw) {
            Ok(u) => self.store.find_staff_login(&u).await?,
            Err(_) => None,
        };
        let ok = self
            .hasher
            .verify(password, found.as_ref().map(|(_, h)| h.as_str()))
            .await?;
        let member = match (ok, found) {
            (true, Some((m, _))) if !m.locked => m,
            (ok, found) => {
                let locked = throttle.fail().await?;
                let reason = match (&found, ok) {
                    (None, _) => "unknown",
                    (Some(_), true) => "locked",
                    (Some(_), false) => "password",
                };
                let ev = AuditEvent::new(AuditKind::StaffLoginFailed)
                    .actor(format!("staff:{normalised}"))
                    .addr(client_addr)
                    .detail(
                        serde_json::json!({ "username": normalised, "reason": reason,
                        "locked_until": locked }),
                    );
                self.store.audit(&ev, now).await?;
                return Ok(match locked {
                    Some(until_ms) => StaffPasswordOutcome::Throttled { until_ms },
                    None => StaffPasswordOutcome::Invalid,
                });
            }
        };
        throttle.clear().await?;
        let ev = AuditEvent::new(AuditKind::StaffPasswordOk)
            .actor(member.actor())
            .addr(client_addr.clone());
        let principal = Principal {
            kind: PrincipalKind::Staff,
            id: member.id.clone(),
        };
        self.authn.flow_password_ok(tx, &principal, &ev).await?;
        let to = staff_code_to(tx, &member, client_addr);
        Ok(match self.authn.send_flow_code(&to, 1, lang).await? {
            Sent::Yes => StaffPasswordOutcome::CodeSent,
            Sent::Locked { until_ms } => StaffPasswordOutcome::CodeLocked { until_ms },
            Sent::Limited(l) => StaffPasswordOutcome::SmsLimited(l),
        })
    }

    async fn staff_of_tx(&self, tx: &Flow) -> Result<Option<StaffMember>, StaffError> {
        let (Some(id), Some(_)) = (tx.principal_id(PrincipalKind::Staff), tx.password_at) else {
            return Ok(None);
        };
        Ok(self.store.get_staff(id).await?.filter(|m| !m.locked))
    }

    /// "Send a new code": limited in number and spaced in time, like the citizens' codes.
    pub async fn staff_resend_code(
        &self,
        tx: &Flow,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<StaffCodeOutcome, StaffError> {
        let Some(member) = self.staff_of_tx(tx).await? else {
            return Ok(StaffCodeOutcome::NeedPassword);
        };
        let to = staff_code_to(tx, &member, client_addr);
        Ok(match self.authn.resend_flow_code(&to, lang).await? {
            CodeResend::Sent => StaffCodeOutcome::Resent,
            CodeResend::Refused { wait_secs } => StaffCodeOutcome::ResendRefused { wait_secs },
            CodeResend::Locked { until_ms } => StaffCodeOutcome::Locked { until_ms },
            CodeResend::Limited(l) => StaffCodeOutcome::SmsLimited(l),
        })
    }

    pub async fn staff_submit_code(
        &self,
        tx: &Flow,
        typed: &str,
        client_addr: Option<String>,
        old_session_token: Option<&str>,
    ) -> Result<StaffCodeOutcome, StaffError> {
        let Some(member) = self.staff_of_tx(tx).await? else {
            return Ok(StaffCodeOutcome::NeedPassword);
        };
        let to = staff_code_to(tx, &member, client_addr.clone());
        match self.authn.check_flow_code(&to, typed).await? {
            CodeCheck::Right => {}
            CodeCheck::Wrong { attempts_left } => {
                return Ok(StaffCodeOutcome::Wrong { attempts_left })
            }
            CodeCheck::Expired => return Ok(StaffCodeOutcome::Expired),
            CodeCheck::Voided { can_resend } => return Ok(StaffCodeOutcome::Voided { can_resend }),
            CodeCheck::Locked { until_ms } => return Ok(StaffCodeOutcome::Locked { until_ms }),
        }
        let now = self.now_ms();
        let token = self.rng.token();
        let rec = StaffSessionRecord {
            id: uuid::Uuid::new_v4().to_string(),
            token_hash: token_hash(&self.keyed, &token)?,
            staff_id: member.id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + STAFF_ABSOLUTE_SECS * 1000,
            revoked: false,
        };
        let old = old_session_token
            .map(|t| token_hash(&self.keyed, t))
            .transpose()?;
        let ev = AuditEvent::new(AuditKind::StaffLogin)
            .actor(member.actor())
            .addr(client_addr)
            .detail(serde_json::json!({
                "roles": member.roles.to_list(), "session": rec.id }));
        if !self
            .store
            .staff_login_complete(&tx.id, &rec, old.as_deref(), now, &ev)
            .await?
        {
            return Err(StaffError::NoTransaction);
        }
        let next = tx.purpose.local_next().unwrap_or_else(LocalPath::root);
        Ok(StaffCodeOutcome::Done {
            session_token: token,
            next,
        })
    }

    /// The staff member behind a session cookie, if the session is valid (not revoked, within its idle
    /// and absolute lifetimes) and the account is not locked. Each use counts as activity.
    pub async fn staff_session(&self, token: &str) -> Result<Option<StaffLoggedIn>, StaffError> {
        let h = token_hash(&self.keyed, token)?;
        let Some(s) = self.store.find_staff_session(&h).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let times = SessionTimes {
            created_at: at(s.created_at),
            last_seen_at: at(s.last_seen_at),
            revoked: s.revoked,
        };
        if !is_valid(
            &times,
            now,
            Duration::seconds(STAFF_IDLE_SECS),
            Duration::seconds(STAFF_ABSOLUTE_SECS),
        ) {
            return Ok(None);
        }
        let Some(member) = self.store.get_staff(&s.staff_id).await? else {
            return Ok(None);
        };
        if member.locked {
            return Ok(None);
        }
        self.store
            .touch_staff_session(&s.id, now.timestamp_millis())
            .await?;
        Ok(Some(StaffLoggedIn {
            member,
            session_id: s.id,
        }))
    }

    pub async fn staff_logout(
        &self,
        who: &StaffLoggedIn,
        client_addr: Option<String>,
    ) -> Result<(), StaffError> {
        let ev = AuditEvent::new(AuditKind::StaffLogout)
            .actor(who.member.actor())
            .addr(client_addr)
            .detail(serde_json::json!({ "session": who.session_id }));
        self.store
            .revoke_staff_session(&who.session_id, self.now_ms(), &ev)
            .await?;
        Ok(())
    }
}
