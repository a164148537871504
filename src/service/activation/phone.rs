//! Proof that the citizen holds a phone: an authentication flow of purpose `PhoneProof` (found by the
//! citizen, since the citizen's own session started it) whose SMS code is sent and checked by the one
//! code runner (`service::authn`) under the `[otp]` limits. Wrong codes also count towards the
//! citizen's account-wide limit (`service::code_lock`), shared with the login codes.
use super::continue_::PhoneOutcome;
use super::{Activation, ActivationError};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::{PhoneProof, PhoneReason, Principal, PrincipalKind, Purpose};
use crate::auth::lockout::CodeHolder;
use crate::domain::citizen::Citizen;
use crate::domain::ids::PhoneNumber;
use crate::domain::smspass::VerifiedPhone;
use crate::service::authn::{CodeCheck, CodeResend, CodeTo, Flow, NewFlow};
use crate::service::code_lock::Sent;
use crate::storage::{FlowStart, PhoneProofEnd};

pub const ACTIVATE: PhoneReason = PhoneReason::Activate;
pub const CHANGE: PhoneReason = PhoneReason::Change;

/// Where a phone code goes and why.
pub(super) struct PhoneCodeTo<'a> {
    pub purpose: PhoneReason,
    pub phone: &'a PhoneNumber,
    /// The activation code that opened the proof (activation).
    pub code_id: Option<String>,
}

/// A phone proof that succeeded: its flow, and the phone as proven.
pub(super) struct Proven {
    pub flow: Flow,
    pub phone: VerifiedPhone,
}

impl Proven {
    /// What `Store::finish_phone_proof` needs to end it.
    pub fn end<'a>(&'a self, citizen: &'a Citizen) -> PhoneProofEnd<'a> {
        let code_id = match &self.flow.purpose {
            Purpose::PhoneProof(p) => p.code_id.as_deref(),
            _ => None,
        };
        PhoneProofEnd {
            flow_id: &self.flow.id,
            citizen_id: &citizen.id.0,
            code_id,
        }
    }
}

/// The result of typing back a phone code.
pub(super) enum Checked {
    Ok(Box<Proven>),
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

fn citizen_principal(citizen: &Citizen) -> Principal {
    Principal {
        kind: PrincipalKind::Citizen,
        id: citizen.id.0.clone(),
    }
}

fn proof_of(flow: &Flow) -> Option<&PhoneProof> {
    match &flow.purpose {
        Purpose::PhoneProof(p) => Some(p),
        _ => None,
    }
}

fn stored_phone(flow: &Flow) -> Result<PhoneNumber, ActivationError> {
    proof_of(flow)
        .and_then(|p| PhoneNumber::parse(&p.phone, "386").ok())
        .ok_or_else(|| ActivationError::Internal(format!("stored phone of {}", flow.id)))
}

impl Activation {
    /// The code runner's view of a phone proof.
    fn phone_code_to<'a>(
        &self,
        citizen: &'a Citizen,
        flow: &'a Flow,
        phone: &'a PhoneNumber,
        client_addr: Option<String>,
    ) -> CodeTo<'a> {
        CodeTo {
            flow,
            holder: CodeHolder::Citizen(&citizen.id.0),
            phone,
            audit: AuditEvent::new(AuditKind::OtpLockRefused)
                .actor(format!("citizen:{}", citizen.username))
                .citizen(&citizen.id.0)
                .addr(client_addr),
        }
    }

    /// The citizen's open phone proof for `reason`, newest first.
    pub(super) async fn pending_phone_proof(
        &self,
        citizen: &Citizen,
        reason: PhoneReason,
    ) -> Result<Option<Flow>, ActivationError> {
        Ok(self
            .authn
            .open_flows_of(&citizen_principal(citizen), "phone_proof")
            .await?
            .into_iter()
            .find(|f| proof_of(f).is_some_and(|p| p.reason == reason)))
    }

    /// The end of the citizen's code lock, if one is in force (audited as a refusal): then no code
    /// may be sent, and an activation code should not be spent on asking for one.
    pub(super) async fn phone_codes_locked(
        &self,
        citizen: &Citizen,
        reason: PhoneReason,
        client_addr: Option<String>,
    ) -> Result<Option<i64>, ActivationError> {
        let purpose = Purpose::PhoneProof(PhoneProof {
            phone: String::new(),
            reason,
            code_id: None,
        });
        let lock = self
            .authn
            .code_lock(CodeHolder::Citizen(&citizen.id.0), purpose.code_lock_name());
        let base = AuditEvent::new(AuditKind::OtpLockRefused)
            .actor(format!("citizen:{}", citizen.username))
            .citizen(&citizen.id.0)
            .addr(client_addr);
        Ok(lock.refused_until(&base).await?)
    }

    /// Opens a new phone proof for `to.phone` (earlier open proofs for the same reason end) and
    /// sends its first code, unless the citizen's codes are locked (then nothing is opened or sent).
    pub(super) async fn send_phone_code(
        &self,
        citizen: &Citizen,
        to: PhoneCodeTo<'_>,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<Sent, ActivationError> {
        if let Some(until_ms) = self
            .phone_codes_locked(citizen, to.purpose, client_addr.clone())
            .await?
        {
            return Ok(Sent::Locked { until_ms });
        }
        let earlier: Vec<String> = self
            .authn
            .open_flows_of(&citizen_principal(citizen), "phone_proof")
            .await?
            .into_iter()
            .filter(|f| proof_of(f).is_some_and(|p| p.reason == to.purpose))
            .map(|f| f.id)
            .collect();
        let (_, flow) = self
            .authn
            .open_flow(NewFlow {
                purpose: Purpose::PhoneProof(PhoneProof {
                    phone: to.phone.as_str().to_string(),
                    reason: to.purpose,
                    code_id: to.code_id,
                }),
                principal: Some((citizen_principal(citizen), None)),
                start: FlowStart {
                    supersedes: &earlier,
                    ..FlowStart::default()
                },
            })
            .await?;
        let code_to = self.phone_code_to(citizen, &flow, to.phone, client_addr);
        Ok(self.authn.send_flow_code(&code_to, 1, lang).await?)
    }

    /// Sends the pending proof's code again (same number), within the `[otp]` limits.
    pub(super) async fn resend_phone_code(
        &self,
        citizen: &Citizen,
        reason: PhoneReason,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<PhoneOutcome, ActivationError> {
        let Some(flow) = self.pending_phone_proof(citizen, reason).await? else {
            return Ok(PhoneOutcome::NotExpected);
        };
        let phone = stored_phone(&flow)?;
        let to = self.phone_code_to(citizen, &flow, &phone, client_addr);
        Ok(match self.authn.resend_flow_code(&to, lang).await? {
            CodeResend::Sent => PhoneOutcome::Resent,
            CodeResend::Refused { wait_secs } => PhoneOutcome::ResendRefused { wait_secs },
            CodeResend::Locked { until_ms } => PhoneOutcome::Locked { until_ms },
            CodeResend::Limited(l) => PhoneOutcome::SmsLimited(l),
        })
    }

    /// Checks a typed phone code; the attempt is counted in the database (for the code and for the
    /// citizen's account) before comparing.
    pub(super) async fn check_phone_code(
        &self,
        citizen: &Citizen,
        reason: PhoneReason,
        typed: &str,
        client_addr: Option<String>,
    ) -> Result<Checked, ActivationError> {
        let Some(flow) = self.pending_phone_proof(citizen, reason).await? else {
            // No proof open: the lock (if any) is still the answer.
            return Ok(
                match self
                    .phone_codes_locked(citizen, reason, client_addr)
                    .await?
                {
                    Some(until_ms) => Checked::Locked { until_ms },
                    None => Checked::Void,
                },
            );
        };
        let phone = stored_phone(&flow)?;
        let to = self.phone_code_to(citizen, &flow, &phone, client_addr);
        Ok(match self.authn.check_flow_code(&to, typed).await? {
            CodeCheck::Right => Checked::Ok(Box::new(Proven {
                phone: VerifiedPhone::after_proof_of_possession(phone),
                flow,
            })),
            CodeCheck::Wrong { attempts_left } => Checked::Wrong { attempts_left },
            CodeCheck::Expired => Checked::Expired,
            CodeCheck::Voided { .. } => Checked::Void,
            CodeCheck::Locked { until_ms } => Checked::Locked { until_ms },
        })
    }

    /// The masked number the pending proof's code went to.
    pub(super) async fn pending_phone_masked(
        &self,
        citizen: &Citizen,
        reason: PhoneReason,
    ) -> Result<Option<String>, ActivationError> {
        Ok(self
            .pending_phone_proof(citizen, reason)
            .await?
            .and_then(|f| stored_phone(&f).ok())
            .map(|p| p.masked()))
    }
}
