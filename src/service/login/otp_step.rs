//! Step 3: the one-time code sent by SMS.
use super::{Finished, LoginError, PendingLogin};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::lockout::CodeHolder;
use crate::auth::otp;
use crate::domain::ids::PhoneNumber;
use crate::domain::loa::Level;
use crate::service::code_lock::{Guess, Sent};
use crate::service::Services;
use crate::storage::OtpRecord;

#[derive(Debug)]
pub enum OtpOutcome {
    Done(Finished),
    /// Wrong code; attempts left on this code.
    Wrong {
        attempts_left: i32,
    },
    /// The code has expired; a new one may be requested.
    Expired,
    /// Too many wrong codes: this code is void; a new one may be requested if sends remain.
    Voided {
        can_resend: bool,
    },
    /// A new code was sent.
    Resent,
    /// No more codes for this login, or asked again too soon (seconds to wait).
    ResendRefused {
        wait_secs: Option<i64>,
    },
    /// Too many wrong codes for this account (over all its logins): no code is sent or accepted,
    /// not even the right one, until the lock ends (ms).
    Locked {
        until_ms: i64,
    },
    /// The password step has not been done in this transaction.
    NeedPassword,
    SmsPassInactive,
}

/// What a code of this login is for, in the audit records of the code lock.
fn purpose(login: &PendingLogin) -> &'static str {
    if login.is_account_login() {
        "account_login"
    } else {
        "sso_login"
    }
}

impl Services {
    /// Sends a code for this login unless the account's codes are locked (then nothing is sent).
    pub(super) async fn send_code(
        &self,
        login: &PendingLogin,
        citizen_id: &str,
        phone: &PhoneNumber,
        sends: i32,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<Sent, LoginError> {
        let lock = self.code_lock(CodeHolder::Citizen(citizen_id), purpose(login));
        let base = AuditEvent::new(AuditKind::OtpLockRefused)
            .citizen(citizen_id)
            .sp(&login.tx.sp_entity_id)
            .addr(client_addr.clone());
        if let Some(until_ms) = lock.refused_until(&base).await? {
            self.metrics
                .logins
                .with_label_values(&["otp", "locked"])
                .inc();
            return Ok(Sent::Locked { until_ms });
        }
        let now = self.clock.now();
        let code = otp::generate(&self.rng, self.cfg.otp.digits);
        let rec = OtpRecord {
            id: uuid::Uuid::new_v4().to_string(),
            login_transaction_id: login.tx.id.clone(),
            code_hash: otp::hash(&self.keyed, &login.tx.id, &code)?,
            phone: phone.as_str().to_string(),
            created_at: now.timestamp_millis(),
            expires_at: now.timestamp_millis() + self.cfg.otp.ttl_secs * 1000,
            attempts: 0,
            sends,
            last_sent_at: now.timestamp_millis(),
            spent: false,
        };
        let ev = AuditEvent::new(AuditKind::OtpSent)
            .citizen(citizen_id)
            .sp(&login.tx.sp_entity_id)
            .addr(client_addr)
            .detail(serde_json::json!({ "to": phone.masked(), "send": sends }));
        self.store
            .create_otp(&rec, now.timestamp_millis(), &ev)
            .await?;
        let text = crate::notify::sms::login_code_text(
            lang,
            login.sp_name(lang),
            code.expose(),
            &self.cfg.public_host(),
            (self.cfg.otp.ttl_secs + 59) / 60,
        );
        self.sms
            .send(
                phone,
                &text,
                &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .await
            .map_err(|e| LoginError::Internal(format!("SMS: {e}")))?;
        self.metrics.sms_sent.inc();
        Ok(Sent::Yes)
    }

    /// The citizen's smsPASS phone, masked, for the code page.
    pub async fn code_phone_masked(
        &self,
        login: &PendingLogin,
    ) -> Result<Option<String>, LoginError> {
        Ok(self
            .store
            .latest_otp(&login.tx.id)
            .await?
            .and_then(|o| PhoneNumber::parse(&o.phone, "386").ok())
            .map(|p| p.masked()))
    }

    /// Sends the first code of a step-up login, or a new code ("send again").
    pub async fn resend_code(
        &self,
        login: &PendingLogin,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<OtpOutcome, LoginError> {
        let Some(citizen_id) = login.tx.citizen_id.clone() else {
            return Ok(OtpOutcome::NeedPassword);
        };
        let citizen = self
            .store
            .get_citizen(&citizen_id)
            .await?
            .ok_or(LoginError::NoTransaction)?;
        let Some(phone) = citizen.smspass.login_phone().cloned() else {
            return Ok(OtpOutcome::SmsPassInactive);
        };
        // While the account's codes are locked, that is the answer (not the resend limits).
        let lock = self.code_lock(CodeHolder::Citizen(&citizen_id), purpose(login));
        let base = AuditEvent::new(AuditKind::OtpLockRefused)
            .citizen(&citizen_id)
            .sp(&login.tx.sp_entity_id)
            .addr(client_addr.clone());
        if let Some(until_ms) = lock.refused_until(&base).await? {
            return Ok(OtpOutcome::Locked { until_ms });
        }
        let now = self.now_ms();
        let sends = match self.store.latest_otp(&login.tx.id).await? {
            None => 1,
            Some(prev) => {
                if prev.sends >= self.cfg.otp.max_sends {
                    return Ok(OtpOutcome::ResendRefused { wait_secs: None });
                }
                let next_at = prev.last_sent_at + self.cfg.otp.resend_interval_secs * 1000;
                if now < next_at {
                    return Ok(OtpOutcome::ResendRefused {
                        wait_secs: Some((next_at - now + 999) / 1000),
                    });
                }
                prev.sends + 1
            }
        };
        Ok(
            match self
                .send_code(login, &citizen_id, &phone, sends, lang, client_addr)
                .await?
            {
                Sent::Yes => OtpOutcome::Resent,
                Sent::Locked { until_ms } => OtpOutcome::Locked { until_ms },
            },
        )
    }

    pub async fn submit_code(
        &self,
        login: &PendingLogin,
        typed: &str,
        client_addr: Option<String>,
        old_session_token: Option<&str>,
    ) -> Result<OtpOutcome, LoginError> {
        let Some(citizen_id) = login.tx.citizen_id.clone() else {
            return Ok(OtpOutcome::NeedPassword);
        };
        if !login.password_done() {
            return Ok(OtpOutcome::NeedPassword);
        }
        let ev = |kind| {
            AuditEvent::new(kind)
                .citizen(&citizen_id)
                .sp(&login.tx.sp_entity_id)
                .addr(client_addr.clone())
        };
        // The account's count of wrong codes (all its logins): checked before anything else.
        let lock = self.code_lock(CodeHolder::Citizen(&citizen_id), purpose(login));
        let base = ev(AuditKind::OtpLockRefused);
        if let Some(until_ms) = lock.refused_until(&base).await? {
            self.metrics
                .logins
                .with_label_values(&["otp", "locked"])
                .inc();
            return Ok(OtpOutcome::Locked { until_ms });
        }
        let Some(rec) = self.store.latest_otp(&login.tx.id).await? else {
            return Ok(OtpOutcome::Voided { can_resend: true });
        };
        let now = self.now_ms();
        let max = self.cfg.otp.max_attempts;
        let can_resend = rec.sends < self.cfg.otp.max_sends;
        if rec.spent {
            return Ok(OtpOutcome::Voided { can_resend });
        }
        if rec.expires_at <= now {
            return Ok(OtpOutcome::Expired);
        }
        if !self.store.otp_take_attempt(&rec.id, max).await? {
            return Ok(OtpOutcome::Voided { can_resend });
        }
        let guess = match lock.take_guess(&base).await? {
            Guess::Allowed(g) => g,
            Guess::Locked { until_ms } => {
                self.metrics
                    .logins
                    .with_label_values(&["otp", "locked"])
                    .inc();
                return Ok(OtpOutcome::Locked { until_ms });
            }
        };
        if otp::matches(&self.keyed, &login.tx.id, typed, &rec.code_hash)? {
            lock.right(guess).await?;
            if !self
                .store
                .otp_spend(&rec.id, now, &ev(AuditKind::OtpOk))
                .await?
            {
                return Ok(OtpOutcome::Voided { can_resend });
            }
            self.metrics.logins.with_label_values(&["otp", "ok"]).inc();
            let citizen = self
                .store
                .get_citizen(&citizen_id)
                .await?
                .ok_or(LoginError::NoTransaction)?;
            if citizen.locked {
                return Err(LoginError::NoTransaction);
            }
            let done = self
                .finish_login(
                    &login.tx.id,
                    &citizen,
                    &login.pending,
                    Level::SmsPass,
                    old_session_token,
                    client_addr.clone(),
                )
                .await?;
            return Ok(OtpOutcome::Done(done));
        }
        self.metrics
            .logins
            .with_label_values(&["otp", "failed"])
            .inc();
        let used = rec.attempts + 1;
        let locked = lock.wrong(guess, &base).await?;
        if used >= max || locked.is_some() {
            self.store
                .otp_void(
                    &rec.id,
                    now,
                    &ev(AuditKind::OtpVoided).detail(serde_json::json!({"attempts": used})),
                )
                .await?;
        } else {
            self.store
                .audit(
                    &ev(AuditKind::OtpFailed).detail(serde_json::json!({"attempts": used})),
                    now,
                )
                .await?;
        }
        Ok(match locked {
            Some(until_ms) => OtpOutcome::Locked { until_ms },
            None if used >= max => OtpOutcome::Voided { can_resend },
            None => OtpOutcome::Wrong {
                attempts_left: max - used,
            },
        })
    }

    /// The citizen gives up: tell the e-service (AuthnFailed) and close the transaction.
    /// A login to the user pages just ends (back to the front page).
    pub async fn cancel_login(&self, login: &PendingLogin) -> Result<super::Next, LoginError> {
        if !self.store.complete_login_tx(&login.tx.id).await? {
            return Err(LoginError::NoTransaction);
        }
        if login.is_account_login() {
            return Ok(super::Next::Redirect("/".into()));
        }
        Ok(super::Next::Post(self.pending_status_form(
            &login.pending,
            crate::saml::types::status::RESPONDER,
            Some(crate::saml::types::status::AUTHN_FAILED),
        )?))
    }
}
