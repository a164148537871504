//! Proof that the citizen holds a phone: an SMS code to the number (hashed at rest, TTL, attempts and
//! sends capped by the `[otp]` limits), typed back on the page. Wrong codes also count towards the
//! citizen's account-wide limit (`service::code_lock`), shared with the login codes.
use super::continue_::PhoneOutcome;
use super::{ActivationError, Services};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::lockout::CodeHolder;
use crate::auth::otp;
use crate::domain::citizen::Citizen;
use crate::domain::ids::PhoneNumber;
use crate::domain::smspass::VerifiedPhone;
use crate::service::code_lock::{CodeLock, Guess, Sent};
use crate::storage::PhoneVerificationRecord;

pub const ACTIVATE: &str = "activate";
pub const CHANGE: &str = "change";

/// Where a phone code goes and why.
pub(super) struct PhoneCodeTo<'a> {
    pub purpose: &'a str,
    pub phone: &'a PhoneNumber,
    /// The activation code that opened the verification (purpose activate).
    pub code_id: Option<String>,
    /// Which send of this verification this is (1 = first).
    pub sends: i32,
}

/// The result of typing back a phone code.
pub(super) enum Checked {
    Ok(Box<(PhoneVerificationRecord, VerifiedPhone)>),
    Wrong {
        attempts_left: i32,
    },
    Expired,
    /// Out of attempts (or none pending): a new code must be asked for.
    Void,
    /// Too many wrong codes for this account: none is checked or sent until then (ms).
    Locked {
        until_ms: i64,
    },
}

fn text(lang: &str, code: &str, host: &str, ttl_minutes: i64) -> String {
    let body = match lang {
        "en" => format!(
            "Code to confirm this phone for smsPASS: {code}\nValid for {ttl_minutes} min. If you did not ask for it, ignore this message."
        ),
        _ => format!(
            "Koda za potrditev telefona za smsPASS: {code}\nVelja {ttl_minutes} min. Če je niste zahtevali, sporočilo prezrite."
        ),
    };
    format!("{body}\n\n@{host} #{code}")
}

impl Services {
    /// The citizen's code counter, and the audit record naming them.
    fn phone_code_lock(
        &self,
        citizen: &Citizen,
        purpose: &str,
        client_addr: Option<String>,
    ) -> (CodeLock<'_>, AuditEvent) {
        let name = if purpose == CHANGE {
            "phone_change"
        } else {
            "phone_activate"
        };
        let base = AuditEvent::new(AuditKind::OtpLockRefused)
            .actor(format!("citizen:{}", citizen.username))
            .citizen(&citizen.id.0)
            .addr(client_addr);
        (
            self.code_lock(CodeHolder::Citizen(&citizen.id.0), name),
            base,
        )
    }

    /// The end of the citizen's code lock, if one is in force (audited as a refusal): then no code
    /// may be sent, and an activation code should not be spent on asking for one.
    pub(super) async fn phone_codes_locked(
        &self,
        citizen: &Citizen,
        purpose: &str,
        client_addr: Option<String>,
    ) -> Result<Option<i64>, ActivationError> {
        let (lock, base) = self.phone_code_lock(citizen, purpose, client_addr);
        Ok(lock.refused_until(&base).await?)
    }

    /// Sends a new code to `phone` (unless the citizen's codes are locked); earlier unused codes of
    /// this purpose become void.
    pub(super) async fn send_phone_code(
        &self,
        citizen: &Citizen,
        to: PhoneCodeTo<'_>,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<Sent, ActivationError> {
        let PhoneCodeTo {
            purpose,
            phone,
            code_id,
            sends,
        } = to;
        if let Some(until_ms) = self
            .phone_codes_locked(citizen, purpose, client_addr.clone())
            .await?
        {
            return Ok(Sent::Locked { until_ms });
        }
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string();
        let code = otp::generate(&self.rng, self.cfg.otp.digits);
        let rec = PhoneVerificationRecord {
            otp_hash: otp::hash(&self.keyed, &id, &code)?,
            id,
            citizen_id: citizen.id.0.clone(),
            purpose: purpose.into(),
            phone: phone.as_str().into(),
            code_id,
            created_at: now.timestamp_millis(),
            expires_at: now.timestamp_millis() + self.cfg.otp.ttl_secs * 1000,
            attempts: 0,
            sends,
            last_sent_at: now.timestamp_millis(),
            used_at: None,
        };
        let ev = AuditEvent::new(AuditKind::PhoneCodeSent)
            .actor(format!("citizen:{}", citizen.username))
            .citizen(&citizen.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({ "to": phone.masked(), "purpose": purpose, "send": sends }));
        self.store.create_phone_verification(&rec, &ev).await?;
        let t = text(
            lang,
            code.expose(),
            &self.cfg.public_host(),
            (self.cfg.otp.ttl_secs + 59) / 60,
        );
        self.sms
            .send(
                phone,
                &t,
                &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .await
            .map_err(|e| ActivationError::Internal(format!("SMS: {e}")))?;
        self.metrics.sms_sent.inc();
        Ok(Sent::Yes)
    }

    /// Sends the pending verification's code again (same number), within the `[otp]` limits.
    pub(super) async fn resend_phone_code(
        &self,
        citizen: &Citizen,
        purpose: &str,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<PhoneOutcome, ActivationError> {
        let Some(v) = self
            .store
            .pending_phone_verification(&citizen.id.0, purpose)
            .await?
        else {
            return Ok(PhoneOutcome::NotExpected);
        };
        // While the citizen's codes are locked, that is the answer (not the resend limits).
        if let Some(until_ms) = self
            .phone_codes_locked(citizen, purpose, client_addr.clone())
            .await?
        {
            return Ok(PhoneOutcome::Locked { until_ms });
        }
        if v.sends >= self.cfg.otp.max_sends {
            return Ok(PhoneOutcome::ResendRefused { wait_secs: None });
        }
        let now = self.now_ms();
        let next_at = v.last_sent_at + self.cfg.otp.resend_interval_secs * 1000;
        if now < next_at {
            return Ok(PhoneOutcome::ResendRefused {
                wait_secs: Some((next_at - now + 999) / 1000),
            });
        }
        let phone = PhoneNumber::parse(&v.phone, "386")
            .map_err(|_| ActivationError::Internal(format!("stored phone of {}", v.id)))?;
        let to = PhoneCodeTo {
            purpose,
            phone: &phone,
            code_id: v.code_id.clone(),
            sends: v.sends + 1,
        };
        Ok(
            match self.send_phone_code(citizen, to, lang, client_addr).await? {
                Sent::Yes => PhoneOutcome::Resent,
                Sent::Locked { until_ms } => PhoneOutcome::Locked { until_ms },
            },
        )
    }

    /// Checks a typed phone code; the attempt is counted in the database (for the code and for the
    /// citizen's account) before comparing.
    pub(super) async fn check_phone_code(
        &self,
        citizen: &Citizen,
        purpose: &str,
        typed: &str,
        client_addr: Option<String>,
    ) -> Result<Checked, ActivationError> {
        let (lock, base) = self.phone_code_lock(citizen, purpose, client_addr.clone());
        if let Some(until_ms) = lock.refused_until(&base).await? {
            return Ok(Checked::Locked { until_ms });
        }
        let Some(v) = self
            .store
            .pending_phone_verification(&citizen.id.0, purpose)
            .await?
        else {
            return Ok(Checked::Void);
        };
        if v.expires_at <= self.now_ms() {
            return Ok(Checked::Expired);
        }
        let max = self.cfg.otp.max_attempts;
        if !self
            .store
            .phone_verification_take_attempt(&v.id, max)
            .await?
        {
            return Ok(Checked::Void);
        }
        let guess = match lock.take_guess(&base).await? {
            Guess::Allowed(g) => g,
            Guess::Locked { until_ms } => return Ok(Checked::Locked { until_ms }),
        };
        if otp::matches(&self.keyed, &v.id, typed, &v.otp_hash)? {
            lock.right(guess).await?;
            let phone = PhoneNumber::parse(&v.phone, "386")
                .map_err(|_| ActivationError::Internal(format!("stored phone of {}", v.id)))?;
            return Ok(Checked::Ok(Box::new((
                v,
                VerifiedPhone::after_proof_of_possession(phone),
            ))));
        }
        let ev = AuditEvent::new(AuditKind::PhoneCodeFailed)
            .actor(format!("citizen:{}", citizen.username))
            .citizen(&citizen.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({ "purpose": purpose, "attempt": v.attempts + 1 }));
        self.store.audit(&ev, self.now_ms()).await?;
        if let Some(until_ms) = lock.wrong(guess, &base).await? {
            return Ok(Checked::Locked { until_ms });
        }
        let left = max - (v.attempts + 1);
        Ok(if left > 0 {
            Checked::Wrong {
                attempts_left: left,
            }
        } else {
            Checked::Void
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_ends_with_the_webotp_line_in_both_languages() {
        for lang in ["sl", "en"] {
            let t = super::text(lang, "123456", "login.example", 5);
            assert!(t.ends_with("@login.example #123456"), "{t}");
            assert!(t.contains("smsPASS"));
        }
    }
}
