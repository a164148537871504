//! Continue activation (activation code + phone, then the SMS code), suspend/resume by the citizen, and
//! the change of phone (SMS code to the new number).
use super::codes;
use super::phone::{Checked, PhoneCodeTo, ACTIVATE, CHANGE};
use super::{Activation, ActivationError};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::sms_limit::SmsLimited;
use crate::domain::citizen::Citizen;
use crate::domain::ids::IdError;
use crate::domain::smspass::Action;
use crate::service::code_lock::Sent;

/// What happened to an activation code (with a phone number) that the citizen typed.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeOutcome {
    /// Right code: an SMS code went to this (masked) number.
    SmsSent {
        phone_masked: String,
    },
    Wrong {
        attempts_left: i32,
    },
    /// No attempts are left: the code is void; a new request is needed.
    TooManyAttempts,
    Expired,
    /// Already used (smsPASS was activated with it).
    Used,
    BadPhone,
    /// A well-formed number that cannot be used (its country, or not a personal number).
    PhoneRefused(IdError),
    /// The account is not waiting for an activation code.
    NotExpected,
    /// Too many wrong SMS codes for this account lately: no code is sent until then (ms); the
    /// activation code is not spent.
    CodeLocked {
        until_ms: i64,
    },
    /// An SMS limit (or the number's country) refused the code; nothing was sent.
    SmsLimited(SmsLimited),
}

/// What happened to a phone-verification code.
#[derive(Debug, PartialEq, Eq)]
pub enum PhoneOutcome {
    Done,
    Wrong {
        attempts_left: i32,
    },
    Expired,
    /// No code pending or out of attempts: ask for a new one.
    Void,
    Resent,
    ResendRefused {
        wait_secs: Option<i64>,
    },
    /// Too many wrong SMS codes for this account: none is checked or sent until then (ms).
    Locked {
        until_ms: i64,
    },
    /// An SMS limit (or the number's country) refused the code; nothing was sent.
    SmsLimited(SmsLimited),
    NotExpected,
}

impl From<Checked> for PhoneOutcome {
    fn from(c: Checked) -> Self {
        match c {
            Checked::Ok(_) => PhoneOutcome::Done,
            Checked::Wrong { attempts_left } => PhoneOutcome::Wrong { attempts_left },
            Checked::Expired => PhoneOutcome::Expired,
            Checked::Void => PhoneOutcome::Void,
            Checked::Locked { until_ms } => PhoneOutcome::Locked { until_ms },
        }
    }
}

fn actor(c: &Citizen) -> String {
    format!("citizen:{}", c.username)
}

impl Activation {
    /// Step 1 of continuing: the activation code and the phone number to register.
    pub async fn submit_activation_code(
        &self,
        citizen: &Citizen,
        typed_code: &str,
        typed_phone: &str,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<CodeOutcome, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        let Some(req) = c.smspass.request().cloned() else {
            return Ok(CodeOutcome::NotExpected);
        };
        if c.smspass.code() != "code_issued" {
            return Ok(CodeOutcome::NotExpected);
        }
        let phone = match self.cfg.sms.parse_phone(typed_phone) {
            Ok(p) => p,
            Err(IdError::BadPhone | IdError::BadUsername) => return Ok(CodeOutcome::BadPhone),
            Err(e) => return Ok(CodeOutcome::PhoneRefused(e)),
        };
        let Some(code) = self.store.activation_code_for(&req.id).await? else {
            return Ok(CodeOutcome::NotExpected);
        };
        if code.used_at.is_some() {
            return Ok(CodeOutcome::Used);
        }
        if code.expires_at <= self.now_ms() {
            return Ok(CodeOutcome::Expired);
        }
        if let Some(until_ms) = self
            .phone_codes_locked(&c, ACTIVATE, client_addr.clone())
            .await?
        {
            return Ok(CodeOutcome::CodeLocked { until_ms });
        }
        if !self.store.activation_code_take_attempt(&code.id).await? {
            return Ok(CodeOutcome::TooManyAttempts);
        }
        if !codes::matches(&self.keyed, &c.id.0, typed_code, &code.code_hash)? {
            let attempt = code.attempts + 1;
            let ev = AuditEvent::new(AuditKind::ActivationCodeFailed)
                .actor(actor(&c))
                .citizen(&c.id.0)
                .addr(client_addr)
                .detail(serde_json::json!({ "attempt": attempt, "max": code.max_attempts }));
            self.store.audit(&ev, self.now_ms()).await?;
            let left = code.max_attempts - attempt;
            return Ok(if left > 0 {
                CodeOutcome::Wrong {
                    attempts_left: left,
                }
            } else {
                CodeOutcome::TooManyAttempts
            });
        }
        let to = PhoneCodeTo {
            purpose: ACTIVATE,
            phone: &phone,
            code_id: Some(code.id),
        };
        Ok(
            match self.send_phone_code(&c, to, lang, client_addr).await? {
                Sent::Yes => CodeOutcome::SmsSent {
                    phone_masked: phone.masked(),
                },
                Sent::Locked { until_ms } => CodeOutcome::CodeLocked { until_ms },
                Sent::Limited(l) => CodeOutcome::SmsLimited(l),
            },
        )
    }

    /// The masked number a pending verification went to, for the page that asks for the code.
    pub async fn pending_phone(
        &self,
        citizen: &Citizen,
        change: bool,
    ) -> Result<Option<String>, ActivationError> {
        let purpose = if change { CHANGE } else { ACTIVATE };
        self.pending_phone_masked(citizen, purpose).await
    }

    /// Step 2: the SMS code. On success smsPASS is active with the verified phone.
    pub async fn confirm_activation_phone(
        &self,
        citizen: &Citizen,
        typed: &str,
        client_addr: Option<String>,
    ) -> Result<PhoneOutcome, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        if c.smspass.code() != "code_issued" {
            return Ok(PhoneOutcome::NotExpected);
        }
        let checked = self
            .check_phone_code(&c, ACTIVATE, typed, client_addr.clone())
            .await?;
        let Checked::Ok(ok) = checked else {
            return Ok(checked.into());
        };
        let proven = *ok;
        let phone = proven.phone.clone();
        let masked = phone.phone().masked();
        let from = c.smspass.clone();
        let to = from.clone().apply(Action::Activate(phone))?;
        let ev = AuditEvent::new(AuditKind::SmsPassActivated)
            .actor(actor(&c))
            .citizen(&c.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({
                "phone": masked,
                "request": from.request().map(|r| r.id.clone()),
            }));
        self.store
            .finish_phone_proof(&proven.end(&c), &from, &to, self.now_ms(), &ev)
            .await?;
        Ok(PhoneOutcome::Done)
    }

    /// "Send the code again" on the activation or phone-change page.
    pub async fn resend_phone_verification(
        &self,
        citizen: &Citizen,
        change: bool,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<PhoneOutcome, ActivationError> {
        let purpose = if change { CHANGE } else { ACTIVATE };
        self.resend_phone_code(citizen, purpose, lang, client_addr)
            .await
    }

    /// Suspension (by the citizen, or by an officer with `actor` = the officer) keeps the phone.
    pub async fn suspend_smspass(
        &self,
        citizen_id: &str,
        actor: &str,
        reason: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        self.simple_transition(
            citizen_id,
            Action::Suspend,
            AuditKind::SmsPassSuspended,
            actor,
            reason,
            client_addr,
        )
        .await
    }

    pub async fn resume_smspass(
        &self,
        citizen_id: &str,
        actor: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        self.simple_transition(
            citizen_id,
            Action::Resume,
            AuditKind::SmsPassResumed,
            actor,
            None,
            client_addr,
        )
        .await
    }

    /// Revocation (an officer): the phone is forgotten; a new request is needed to activate again.
    pub async fn revoke_smspass(
        &self,
        citizen_id: &str,
        actor: &str,
        reason: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        self.simple_transition(
            citizen_id,
            Action::Revoke,
            AuditKind::SmsPassRevoked,
            actor,
            Some(reason),
            client_addr,
        )
        .await
    }

    async fn simple_transition(
        &self,
        citizen_id: &str,
        action: Action,
        kind: AuditKind,
        actor: &str,
        reason: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        let c = self.fresh_citizen(citizen_id).await?;
        let from = c.smspass.clone();
        let close = matches!(action, Action::Revoke).then_some(super::status::REVOKED);
        let to = from.clone().apply(action)?;
        let ev = AuditEvent::new(kind)
            .actor(actor)
            .citizen(citizen_id)
            .addr(client_addr)
            .detail(serde_json::json!({ "from": from.code(), "reason": reason }));
        self.store
            .change_smspass_state(citizen_id, &from, &to, reason, close, self.now_ms(), &ev)
            .await?;
        Ok(())
    }

    /// Change of phone, step 1 (needs an smsPASS login, checked by the caller's session type): a code
    /// to the NEW number.
    pub async fn start_phone_change(
        &self,
        citizen: &Citizen,
        typed_phone: &str,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<CodeOutcome, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        let Some(old) = c.smspass.login_phone() else {
            return Ok(CodeOutcome::NotExpected);
        };
        let phone = match self.cfg.sms.parse_phone(typed_phone) {
            Ok(p) => p,
            Err(IdError::BadPhone | IdError::BadUsername) => return Ok(CodeOutcome::BadPhone),
            Err(e) => return Ok(CodeOutcome::PhoneRefused(e)),
        };
        if &phone == old {
            return Ok(CodeOutcome::BadPhone);
        }
        let to = PhoneCodeTo {
            purpose: CHANGE,
            phone: &phone,
            code_id: None,
        };
        Ok(
            match self.send_phone_code(&c, to, lang, client_addr).await? {
                Sent::Yes => CodeOutcome::SmsSent {
                    phone_masked: phone.masked(),
                },
                Sent::Locked { until_ms } => CodeOutcome::CodeLocked { until_ms },
                Sent::Limited(l) => CodeOutcome::SmsLimited(l),
            },
        )
    }

    /// Change of phone, step 2: the code from the new number; then logins go to the new number.
    pub async fn confirm_phone_change(
        &self,
        citizen: &Citizen,
        typed: &str,
        client_addr: Option<String>,
    ) -> Result<PhoneOutcome, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        if c.smspass.login_phone().is_none() {
            return Ok(PhoneOutcome::NotExpected);
        }
        let checked = self
            .check_phone_code(&c, CHANGE, typed, client_addr.clone())
            .await?;
        let Checked::Ok(ok) = checked else {
            return Ok(checked.into());
        };
        let proven = *ok;
        let phone = proven.phone.clone();
        let from = c.smspass.clone();
        let detail = serde_json::json!({
            "from": from.phone().map(|p| p.masked()),
            "to": phone.phone().masked(),
        });
        let to = from.clone().apply(Action::ChangePhone(phone))?;
        let ev = AuditEvent::new(AuditKind::SmsPassPhoneChanged)
            .actor(actor(&c))
            .citizen(&c.id.0)
            .addr(client_addr)
            .detail(detail);
        self.store
            .finish_phone_proof(&proven.end(&c), &from, &to, self.now_ms(), &ev)
            .await?;
        Ok(PhoneOutcome::Done)
    }
}
