//! Proof that the citizen holds a phone: an SMS code to the number (hashed at rest, TTL, attempts and
//! sends capped by the `[otp]` limits), typed back on the page.
use super::{ActivationError, Services};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::otp;
use crate::domain::citizen::Citizen;
use crate::domain::ids::PhoneNumber;
use crate::domain::smspass::VerifiedPhone;
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
    /// Sends a new code to `phone`; earlier unused codes of this purpose become void.
    pub(super) async fn send_phone_code(
        &self,
        citizen: &Citizen,
        to: PhoneCodeTo<'_>,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<(), ActivationError> {
        let PhoneCodeTo {
            purpose,
            phone,
            code_id,
            sends,
        } = to;
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
        Ok(())
    }

    /// Sends the pending verification's code again (same number), within the `[otp]` limits.
    /// `Ok(None)`: nothing pending; `Ok(Some(wait))`: refused (seconds to wait, or None: no more).
    pub(super) async fn resend_phone_code(
        &self,
        citizen: &Citizen,
        purpose: &str,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<Option<Option<i64>>, ActivationError> {
        let Some(v) = self
            .store
            .pending_phone_verification(&citizen.id.0, purpose)
            .await?
        else {
            return Ok(None);
        };
        if v.sends >= self.cfg.otp.max_sends {
            return Ok(Some(None));
        }
        let now = self.now_ms();
        let next_at = v.last_sent_at + self.cfg.otp.resend_interval_secs * 1000;
        if now < next_at {
            return Ok(Some(Some((next_at - now + 999) / 1000)));
        }
        let phone = PhoneNumber::parse(&v.phone, "386")
            .map_err(|_| ActivationError::Internal(format!("stored phone of {}", v.id)))?;
        let to = PhoneCodeTo {
            purpose,
            phone: &phone,
            code_id: v.code_id.clone(),
            sends: v.sends + 1,
        };
        self.send_phone_code(citizen, to, lang, client_addr).await?;
        Ok(Some(Some(0)))
    }

    /// Checks a typed phone code; the attempt is counted in the database before comparing.
    pub(super) async fn check_phone_code(
        &self,
        citizen: &Citizen,
        purpose: &str,
        typed: &str,
        client_addr: Option<String>,
    ) -> Result<Checked, ActivationError> {
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
        if otp::matches(&self.keyed, &v.id, typed, &v.otp_hash)? {
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
