//! Staff login: username + password, then a one-time code by SMS to the staff phone, then a server-side
//! staff session. State between the steps lives in a `staff_login_transactions` row named by a cookie.
//! Failures look alike (unknown user, wrong password, locked account) and are throttled in the database.
use super::{StaffError, STAFF_ABSOLUTE_SECS, STAFF_IDLE_SECS};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::lockout::{account_key, address_key, CodeHolder};
use crate::auth::session::{is_valid, SessionTimes};
use crate::auth::tokens::ct_eq;
use crate::auth::{otp, Secret};
use crate::domain::ids::Username;
use crate::domain::local_path::LocalPath;
use crate::domain::staff::StaffMember;
use crate::service::code_lock::{CodeLock, Guess, Sent};
use crate::service::{token_hash, Services};
use crate::storage::{StaffLoginTx, StaffSessionRecord};
use chrono::{DateTime, Duration, Utc};

pub(super) fn account_throttle_key(username_normalised: &str) -> String {
    format!("staff:{}", account_key(username_normalised))
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
}

#[derive(Debug, PartialEq, Eq)]
pub enum StaffCodeOutcome {
    /// Logged in: set the session cookie and go to `next`.
    Done {
        session_token: String,
        next: String,
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
    NeedPassword,
}

const PURPOSE: &str = "staff_login";

/// A valid staff session and who it belongs to.
#[derive(Debug, Clone)]
pub struct StaffLoggedIn {
    pub member: StaffMember,
    pub session_id: String,
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

impl Services {
    /// Opens a staff login transaction that ends at `next`; returns the cookie token.
    pub async fn staff_login_start(&self, next: &LocalPath) -> Result<String, StaffError> {
        let token = self.rng.token();
        let now = self.now_ms();
        let tx = StaffLoginTx {
            id: uuid::Uuid::new_v4().to_string(),
            token_hash: token_hash(&self.keyed, &token)?,
            staff_id: None,
            password_at: None,
            next_path: next.as_str().to_string(),
            code_hash: None,
            code_expires_at: None,
            attempts: 0,
            sends: 0,
            last_sent_at: None,
            created_at: now,
            expires_at: now + self.cfg.lifetimes.login_transaction_secs * 1000,
            completed: false,
        };
        self.store.create_staff_login_tx(&tx).await?;
        Ok(token)
    }

    /// The live staff login transaction named by the cookie.
    pub async fn staff_pending(&self, tx_token: &str) -> Result<StaffLoginTx, StaffError> {
        let h = token_hash(&self.keyed, tx_token)?;
        let tx = self
            .store
            .find_staff_login_tx(&h)
            .await?
            .ok_or(StaffError::NoTransaction)?;
        if tx.completed || tx.expires_at <= self.now_ms() {
            return Err(StaffError::NoTransaction);
        }
        Ok(tx)
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
        tx: &StaffLoginTx,
        username_raw: &str,
        password: &Secret,
        client_addr: Option<String>,
        lang: &str,
    ) -> Result<StaffPasswordOutcome, StaffError> {
        let now = self.now_ms();
        let normalised = username_raw.trim().to_lowercase();
        let acct = account_throttle_key(&normalised);
        let addr = client_addr
            .as_deref()
            .map(|a| format!("staff:{}", address_key(a)));
        let mut keys = vec![acct.clone()];
        keys.extend(addr.clone());
        if let Some(until_ms) = self.store.throttle_locked_until(&keys, now).await? {
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
                let l = &self.cfg.lockout;
                let (w, lk) = (l.window_secs * 1000, l.lock_secs * 1000);
                let mut locked = self
                    .store
                    .throttle_fail(&acct, l.account_max_failures, w, lk, now)
                    .await?;
                if let Some(a) = &addr {
                    let by_addr = self
                        .store
                        .throttle_fail(a, l.address_max_failures, w, lk, now)
                        .await?;
                    locked = locked.max(by_addr);
                }
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
        self.store.throttle_clear(&acct).await?;
        let ev = AuditEvent::new(AuditKind::StaffPasswordOk)
            .actor(member.actor())
            .addr(client_addr.clone());
        self.store
            .staff_tx_password_ok(&tx.id, &member.id, now, &ev)
            .await?;
        Ok(
            match self
                .staff_send_code(tx, &member, 1, lang, client_addr)
                .await?
            {
                Sent::Yes => StaffPasswordOutcome::CodeSent,
                Sent::Locked { until_ms } => StaffPasswordOutcome::CodeLocked { until_ms },
            },
        )
    }

    /// The staff member's code counter, and the audit record naming them.
    fn staff_code_lock(
        &self,
        member: &StaffMember,
        client_addr: Option<String>,
    ) -> (CodeLock<'_>, AuditEvent) {
        let base = AuditEvent::new(AuditKind::OtpLockRefused)
            .actor(member.actor())
            .addr(client_addr);
        (self.code_lock(CodeHolder::Staff(&member.id), PURPOSE), base)
    }

    async fn staff_send_code(
        &self,
        tx: &StaffLoginTx,
        member: &StaffMember,
        sends: i32,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<Sent, StaffError> {
        let (lock, base) = self.staff_code_lock(member, client_addr.clone());
        if let Some(until_ms) = lock.refused_until(&base).await? {
            return Ok(Sent::Locked { until_ms });
        }
        let now = self.clock.now();
        let code = otp::generate(&self.rng, self.cfg.otp.digits);
        let code_hash = otp::hash(&self.keyed, &tx.id, &code)?;
        let ev = AuditEvent::new(AuditKind::StaffOtpSent)
            .actor(member.actor())
            .addr(client_addr)
            .detail(serde_json::json!({ "to": member.phone.masked(), "send": sends }));
        let now_ms = now.timestamp_millis();
        self.store
            .staff_tx_set_code(
                &tx.id,
                &code_hash,
                now_ms + self.cfg.otp.ttl_secs * 1000,
                sends,
                now_ms,
                &ev,
            )
            .await?;
        let label = if lang == "en" {
            "the pass-idp staff area"
        } else {
            "skrbniški del pass-idp"
        };
        let text = crate::notify::sms::login_code_text(
            lang,
            label,
            code.expose(),
            &self.cfg.public_host(),
            (self.cfg.otp.ttl_secs + 59) / 60,
        );
        self.sms
            .send(
                &member.phone,
                &text,
                &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .await
            .map_err(|e| StaffError::Internal(format!("SMS: {e}")))?;
        self.metrics.sms_sent.inc();
        Ok(Sent::Yes)
    }

    async fn staff_of_tx(&self, tx: &StaffLoginTx) -> Result<Option<StaffMember>, StaffError> {
        let (Some(id), Some(_)) = (&tx.staff_id, tx.password_at) else {
            return Ok(None);
        };
        Ok(self.store.get_staff(id).await?.filter(|m| !m.locked))
    }

    /// "Send a new code": limited in number and spaced in time, like the citizens' codes.
    pub async fn staff_resend_code(
        &self,
        tx: &StaffLoginTx,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<StaffCodeOutcome, StaffError> {
        let Some(member) = self.staff_of_tx(tx).await? else {
            return Ok(StaffCodeOutcome::NeedPassword);
        };
        // While the account's codes are locked, that is the answer (not the resend limits).
        let (lock, base) = self.staff_code_lock(&member, client_addr.clone());
        if let Some(until_ms) = lock.refused_until(&base).await? {
            return Ok(StaffCodeOutcome::Locked { until_ms });
        }
        if tx.sends >= self.cfg.otp.max_sends {
            return Ok(StaffCodeOutcome::ResendRefused { wait_secs: None });
        }
        let now = self.now_ms();
        let next_at = tx.last_sent_at.unwrap_or(0) + self.cfg.otp.resend_interval_secs * 1000;
        if now < next_at {
            return Ok(StaffCodeOutcome::ResendRefused {
                wait_secs: Some((next_at - now + 999) / 1000),
            });
        }
        Ok(
            match self
                .staff_send_code(tx, &member, tx.sends + 1, lang, client_addr)
                .await?
            {
                Sent::Yes => StaffCodeOutcome::Resent,
                Sent::Locked { until_ms } => StaffCodeOutcome::Locked { until_ms },
            },
        )
    }

    pub async fn staff_submit_code(
        &self,
        tx: &StaffLoginTx,
        typed: &str,
        client_addr: Option<String>,
        old_session_token: Option<&str>,
    ) -> Result<StaffCodeOutcome, StaffError> {
        let Some(member) = self.staff_of_tx(tx).await? else {
            return Ok(StaffCodeOutcome::NeedPassword);
        };
        let ev = |kind| {
            AuditEvent::new(kind)
                .actor(member.actor())
                .addr(client_addr.clone())
        };
        // The account's count of wrong codes (all its logins): checked before anything else.
        let (lock, base) = self.staff_code_lock(&member, client_addr.clone());
        if let Some(until_ms) = lock.refused_until(&base).await? {
            return Ok(StaffCodeOutcome::Locked { until_ms });
        }
        let can_resend = tx.sends < self.cfg.otp.max_sends;
        let (Some(code_hash), Some(expires)) = (&tx.code_hash, tx.code_expires_at) else {
            return Ok(StaffCodeOutcome::Voided { can_resend });
        };
        let now = self.now_ms();
        if expires <= now {
            return Ok(StaffCodeOutcome::Expired);
        }
        let max = self.cfg.otp.max_attempts;
        if !self.store.staff_tx_take_attempt(&tx.id, max).await? {
            return Ok(StaffCodeOutcome::Voided { can_resend });
        }
        let guess = match lock.take_guess(&base).await? {
            Guess::Allowed(g) => g,
            Guess::Locked { until_ms } => return Ok(StaffCodeOutcome::Locked { until_ms }),
        };
        if otp::matches(&self.keyed, &tx.id, typed, code_hash)? {
            lock.right(guess).await?;
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
            let ev = ev(AuditKind::StaffLogin).detail(serde_json::json!({
                "roles": member.roles.to_list(), "session": rec.id }));
            if !self
                .store
                .staff_login_complete(&tx.id, &rec, old.as_deref(), now, &ev)
                .await?
            {
                return Err(StaffError::NoTransaction);
            }
            return Ok(StaffCodeOutcome::Done {
                session_token: token,
                next: tx.next_path.clone(),
            });
        }
        let used = tx.attempts + 1;
        let detail = serde_json::json!({ "attempts": used });
        let locked = lock.wrong(guess, &base).await?;
        if used >= max || locked.is_some() {
            self.store
                .staff_tx_void_code(&tx.id, now, &ev(AuditKind::StaffOtpFailed).detail(detail))
                .await?;
        } else {
            self.store
                .audit(&ev(AuditKind::StaffOtpFailed).detail(detail), now)
                .await?;
        }
        Ok(match locked {
            Some(until_ms) => StaffCodeOutcome::Locked { until_ms },
            None if used >= max => StaffCodeOutcome::Voided { can_resend },
            None => StaffCodeOutcome::Wrong {
                attempts_left: max - used,
            },
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
