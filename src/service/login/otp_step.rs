//! Step 3: the one-time code sent by SMS.
use super::Finished;
use super::{LoginError, PendingLogin};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::lockout::CodeHolder;
use crate::auth::sms_limit::SmsLimited;
use crate::domain::ids::PhoneNumber;
use crate::domain::loa::Level;
use crate::domain::local_path::LocalPath;
use crate::service::authn::{CodeCheck, CodeResend, CodeTo};
use crate::service::code_lock::Sent;
use crate::service::Login;

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
    /// An SMS limit (or the number's country) refused the code; nothing was sent.
    SmsLimited(SmsLimited),
    /// The password step has not been done in this transaction.
    NeedPassword,
    SmsPassInactive,
}

impl Login {
    /// The code runner's view of this login: the citizen's code, to `phone`.
    fn login_code_to<'a>(
        &self,
        login: &'a PendingLogin,
        citizen_id: &'a str,
        phone: &'a PhoneNumber,
        client_addr: Option<String>,
    ) -> CodeTo<'a> {
        CodeTo {
            flow: &login.flow,
            holder: CodeHolder::Citizen(citizen_id),
            phone,
            audit: AuditEvent::new(AuditKind::OtpLockRefused)
                .citizen(citizen_id)
                .sp(login.sp_entity_id())
                .addr(client_addr),
        }
    }

    fn count_locked(&self) {
        self.metrics
            .logins
            .with_label_values(&["otp", "locked"])
            .inc();
    }

    /// Sends code number `send_no` of this login unless the account's codes are locked.
    pub(super) async fn send_login_code(
        &self,
        login: &PendingLogin,
        citizen_id: &str,
        phone: &PhoneNumber,
        send_no: i32,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<Sent, LoginError> {
        let to = self.login_code_to(login, citizen_id, phone, client_addr);
        let sent = self.authn.send_flow_code(&to, send_no, lang).await?;
        if matches!(sent, Sent::Locked { .. }) {
            self.count_locked();
        }
        Ok(sent)
    }

    /// The citizen's smsPASS phone, masked, for the code page.
    pub async fn code_phone_masked(
        &self,
        login: &PendingLogin,
    ) -> Result<Option<String>, LoginError> {
        Ok(self
            .authn
            .code_destination(&login.flow)
            .await?
            .map(|p| p.masked()))
    }

    /// The citizen of this login and their smsPASS phone.
    async fn login_phone(
        &self,
        login: &PendingLogin,
    ) -> Result<Result<(String, PhoneNumber), OtpOutcome>, LoginError> {
        let Some(citizen_id) = login.citizen_id().map(str::to_string) else {
            return Ok(Err(OtpOutcome::NeedPassword));
        };
        let citizen = self
            .store
            .get_citizen(&citizen_id)
            .await?
            .ok_or(LoginError::NoTransaction)?;
        Ok(match citizen.smspass.login_phone().cloned() {
            Some(phone) => Ok((citizen_id, phone)),
            None => Err(OtpOutcome::SmsPassInactive),
        })
    }

    /// Sends the first code of a step-up login, or a new code ("send again").
    pub async fn resend_code(
        &self,
        login: &PendingLogin,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<OtpOutcome, LoginError> {
        let (citizen_id, phone) = match self.login_phone(login).await? {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        };
        let to = self.login_code_to(login, &citizen_id, &phone, client_addr);
        Ok(match self.authn.resend_flow_code(&to, lang).await? {
            CodeResend::Sent => OtpOutcome::Resent,
            CodeResend::Refused { wait_secs } => OtpOutcome::ResendRefused { wait_secs },
            CodeResend::Locked { until_ms } => OtpOutcome::Locked { until_ms },
            CodeResend::Limited(l) => OtpOutcome::SmsLimited(l),
        })
    }

    pub async fn submit_code(
        &self,
        login: &PendingLogin,
        typed: &str,
        client_addr: Option<String>,
        old_session_token: Option<&str>,
    ) -> Result<OtpOutcome, LoginError> {
        if !login.password_done() {
            return Ok(OtpOutcome::NeedPassword);
        }
        let (citizen_id, phone) = match self.login_phone(login).await? {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        };
        let to = self.login_code_to(login, &citizen_id, &phone, client_addr.clone());
        let label = |r: &str| {
            self.metrics.logins.with_label_values(&["otp", r]).inc();
        };
        Ok(match self.authn.check_flow_code(&to, typed).await? {
            CodeCheck::Right => {
                label("ok");
                let citizen = self
                    .store
                    .get_citizen(&citizen_id)
                    .await?
                    .ok_or(LoginError::NoTransaction)?;
                if citizen.locked {
                    return Err(LoginError::NoTransaction);
                }
                let done = self
                    .responder
                    .finish_login(
                        &login.flow.id,
                        &citizen,
                        &login.flow.purpose,
                        Level::SmsPass,
                        old_session_token,
                        client_addr,
                    )
                    .await?;
                OtpOutcome::Done(done)
            }
            CodeCheck::Wrong { attempts_left } => {
                label("failed");
                OtpOutcome::Wrong { attempts_left }
            }
            CodeCheck::Expired => OtpOutcome::Expired,
            CodeCheck::Voided { can_resend } => {
                label("failed");
                OtpOutcome::Voided { can_resend }
            }
            CodeCheck::Locked { until_ms } => {
                self.count_locked();
                OtpOutcome::Locked { until_ms }
            }
        })
    }

    /// The citizen gives up: tell the e-service (AuthnFailed) and close the transaction.
    /// A login to the user pages just ends (back to the front page).
    pub async fn cancel_login(&self, login: &PendingLogin) -> Result<super::Next, LoginError> {
        if !self.store.complete_flow(&login.flow.id).await? {
            return Err(LoginError::NoTransaction);
        }
        let Some(req) = login.sso() else {
            return Ok(super::Next::Redirect(LocalPath::root()));
        };
        Ok(super::Next::Post(
            self.responder
                .pending_status_form(
                    req,
                    crate::saml::types::status::RESPONDER,
                    Some(crate::saml::types::status::AUTHN_FAILED),
                )
                .await?,
        ))
    }
}
