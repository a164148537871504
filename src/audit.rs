//! Typed audit events. They are written by `storage` in the same database transaction as the change
//! they record, so an audited change and its record stand or fall together.
//!
//! Bounded as a backstop to the limits at the edge: the builders clip the actor, citizen, e-service
//! and address to [`MAX_FIELD_CHARS`] and every text in `detail` to [`MAX_DETAIL_TEXT_CHARS`], marking
//! what was cut, so an over-long value never fills the trail (or its CSV export) and the event
//! itself is never lost.
use serde_json::Value;

/// Most characters kept of the actor, citizen id, e-service id and client address.
pub const MAX_FIELD_CHARS: usize = 256;
/// Most characters kept of any text (key or value) inside `detail`.
pub const MAX_DETAIL_TEXT_CHARS: usize = 1024;
/// Most entries kept of any object or array inside `detail`, and its deepest nesting.
const MAX_DETAIL_ENTRIES: usize = 64;
const MAX_DETAIL_DEPTH: usize = 8;

/// `s` if it has at most `max` characters; else its first `max` characters and a note of the rest.
fn clip(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s,
        Some((cut, _)) => {
            let rest = s[cut..].chars().count();
            format!("{}…[+{rest} characters]", &s[..cut])
        }
    }
}

fn clip_value(v: Value, depth: usize) -> Value {
    match v {
        Value::String(s) => Value::String(clip(s, MAX_DETAIL_TEXT_CHARS)),
        Value::Array(a) if depth >= MAX_DETAIL_DEPTH => {
            Value::String(format!("[{} items]", a.len()))
        }
        Value::Object(o) if depth >= MAX_DETAIL_DEPTH => {
            Value::String(format!("{{{} entries}}", o.len()))
        }
        Value::Array(a) => {
            let n = a.len();
            let mut out: Vec<Value> = a
                .into_iter()
                .take(MAX_DETAIL_ENTRIES)
                .map(|x| clip_value(x, depth + 1))
                .collect();
            if n > MAX_DETAIL_ENTRIES {
                out.push(Value::String(format!(
                    "…[+{} items]",
                    n - MAX_DETAIL_ENTRIES
                )));
            }
            Value::Array(out)
        }
        Value::Object(o) => {
            let n = o.len();
            let mut out: serde_json::Map<String, Value> = o
                .into_iter()
                .take(MAX_DETAIL_ENTRIES)
                .map(|(k, x)| (clip(k, MAX_DETAIL_TEXT_CHARS), clip_value(x, depth + 1)))
                .collect();
            if n > MAX_DETAIL_ENTRIES {
                out.insert(
                    "…".into(),
                    Value::String(format!("+{} entries", n - MAX_DETAIL_ENTRIES)),
                );
            }
            Value::Object(out)
        }
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    CitizenCreated,
    /// A registration named a username that is taken (the mailbox was told; no account changed).
    RegistrationTaken,
    PhoneSet,
    AccountLocked,
    AccountUnlocked,
    PasswordSet,
    LoginStarted,
    LoginPasswordOk,
    LoginPasswordFailed,
    LoginThrottled,
    OtpSent,
    OtpFailed,
    OtpVoided,
    OtpOk,
    /// Too many wrong codes for one account: codes are refused and not sent until the lock ends.
    OtpAccountLocked,
    /// A code was refused (not sent or not checked) because the account's codes are locked.
    OtpLockRefused,
    SessionCreated,
    SessionUpgraded,
    SessionEnded,
    EmailVerificationSent,
    EmailVerified,
    PasswordChanged,
    PasswordResetSent,
    PasswordReset,
    AssertionIssued,
    RequestRefused,
    SpSaved,
    SpRestored,
    SpEnabled,
    SpDisabled,
    StaffCreated,
    StaffLocked,
    StaffUnlocked,
    StaffPasswordOk,
    StaffLoginFailed,
    StaffLoginThrottled,
    StaffOtpSent,
    StaffOtpFailed,
    StaffLogin,
    StaffLogout,
    ClientCertRegistered,
    ClientCertRefused,
    LetterQueued,
    LettersDispatched,
    ActivationRequested,
    ActivationIdentityChecked,
    ActivationFormSigned,
    ActivationCodeIssued,
    ActivationCodeMailed,
    ActivationCodeMailFailed,
    ActivationCodeReissued,
    ActivationRejected,
    ActivationCodeFailed,
    PhoneCodeSent,
    PhoneCodeFailed,
    SmsPassActivated,
    SmsPassSuspended,
    SmsPassResumed,
    SmsPassRevoked,
    SmsPassLapsed,
    SmsPassPhoneChanged,
    /// A code was not sent: an SMS limit (`[sms.limits]`) or a country not allowed.
    SmsLimited,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::CitizenCreated => "citizen.created",
            AuditKind::RegistrationTaken => "citizen.registration_taken",
            AuditKind::PhoneSet => "citizen.phone_set",
            AuditKind::AccountLocked => "citizen.locked",
            AuditKind::AccountUnlocked => "citizen.unlocked",
            AuditKind::PasswordSet => "citizen.password_set",
            AuditKind::LoginStarted => "login.started",
            AuditKind::LoginPasswordOk => "login.password_ok",
            AuditKind::LoginPasswordFailed => "login.password_failed",
            AuditKind::LoginThrottled => "login.throttled",
            AuditKind::OtpSent => "otp.sent",
            AuditKind::OtpFailed => "otp.failed",
            AuditKind::OtpVoided => "otp.voided",
            AuditKind::OtpOk => "otp.ok",
            AuditKind::OtpAccountLocked => "otp.account_locked",
            AuditKind::OtpLockRefused => "otp.lock_refused",
            AuditKind::SessionCreated => "session.created",
            AuditKind::SessionUpgraded => "session.upgraded",
            AuditKind::SessionEnded => "session.ended",
            AuditKind::EmailVerificationSent => "citizen.email_verification_sent",
            AuditKind::EmailVerified => "citizen.email_verified",
            AuditKind::PasswordChanged => "citizen.password_changed",
            AuditKind::PasswordResetSent => "citizen.password_reset_sent",
            AuditKind::PasswordReset => "citizen.password_reset",
            AuditKind::AssertionIssued => "assertion.issued",
            AuditKind::RequestRefused => "request.refused",
            AuditKind::SpSaved => "sp.saved",
            AuditKind::SpRestored => "sp.restored",
            AuditKind::SpEnabled => "sp.enabled",
            AuditKind::SpDisabled => "sp.disabled",
            AuditKind::StaffCreated => "staff.created",
            AuditKind::StaffLocked => "staff.locked",
            AuditKind::StaffUnlocked => "staff.unlocked",
            AuditKind::StaffPasswordOk => "staff.password_ok",
            AuditKind::StaffLoginFailed => "staff.login_failed",
            AuditKind::StaffLoginThrottled => "staff.login_throttled",
            AuditKind::StaffOtpSent => "staff.otp_sent",
            AuditKind::StaffOtpFailed => "staff.otp_failed",
            AuditKind::StaffLogin => "staff.login",
            AuditKind::StaffLogout => "staff.logout",
            AuditKind::ClientCertRegistered => "citizen.cert_registered",
            AuditKind::ClientCertRefused => "citizen.cert_refused",
            AuditKind::LetterQueued => "letter.queued",
            AuditKind::LettersDispatched => "letters.dispatched",
            AuditKind::ActivationRequested => "activation.requested",
            AuditKind::ActivationIdentityChecked => "activation.identity_checked",
            AuditKind::ActivationFormSigned => "activation.form_signed",
            AuditKind::ActivationCodeIssued => "activation.code_issued",
            AuditKind::ActivationCodeMailed => "activation.code_mailed",
            AuditKind::ActivationCodeMailFailed => "activation.code_mail_failed",
            AuditKind::ActivationCodeReissued => "activation.code_reissued",
            AuditKind::ActivationRejected => "activation.rejected",
            AuditKind::ActivationCodeFailed => "activation.code_failed",
            AuditKind::PhoneCodeSent => "activation.phone_code_sent",
            AuditKind::PhoneCodeFailed => "activation.phone_code_failed",
            AuditKind::SmsPassActivated => "smspass.activated",
            AuditKind::SmsPassSuspended => "smspass.suspended",
            AuditKind::SmsPassResumed => "smspass.resumed",
            AuditKind::SmsPassRevoked => "smspass.revoked",
            AuditKind::SmsPassLapsed => "smspass.lapsed",
            AuditKind::SmsPassPhoneChanged => "smspass.phone_changed",
            AuditKind::SmsLimited => "sms.limited",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub kind: AuditKind,
    pub actor: Option<String>,
    pub citizen_id: Option<String>,
    pub sp_entity_id: Option<String>,
    pub client_addr: Option<String>,
    pub detail: Value,
}

impl AuditEvent {
    pub fn new(kind: AuditKind) -> Self {
        Self {
            kind,
            actor: None,
            citizen_id: None,
            sp_entity_id: None,
            client_addr: None,
            detail: Value::Object(Default::default()),
        }
    }
    pub fn actor(mut self, a: impl Into<String>) -> Self {
        self.actor = Some(clip(a.into(), MAX_FIELD_CHARS));
        self
    }
    pub fn citizen(mut self, c: impl Into<String>) -> Self {
        self.citizen_id = Some(clip(c.into(), MAX_FIELD_CHARS));
        self
    }
    pub fn sp(mut self, sp: impl Into<String>) -> Self {
        self.sp_entity_id = Some(clip(sp.into(), MAX_FIELD_CHARS));
        self
    }
    pub fn addr(mut self, a: Option<String>) -> Self {
        self.client_addr = a.map(|a| clip(a, MAX_FIELD_CHARS));
        self
    }
    pub fn detail(mut self, d: Value) -> Self {
        self.detail = clip_value(d, 0);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn over_long_values_are_clipped_not_dropped() {
        let huge = "a".repeat(150_000);
        let ev = AuditEvent::new(AuditKind::LoginPasswordFailed)
            .actor(huge.clone())
            .sp(huge.clone())
            .addr(Some(huge.clone()))
            .detail(json!({ "username": huge, "known": false, "list": [1, 2, 3] }));
        let actor = ev.actor.unwrap_or_default();
        assert!(actor.starts_with(&"a".repeat(MAX_FIELD_CHARS)));
        assert!(actor.ends_with(&format!("…[+{} characters]", 150_000 - MAX_FIELD_CHARS)));
        assert!(ev.sp_entity_id.unwrap_or_default().len() < 300);
        assert!(ev.client_addr.unwrap_or_default().len() < 300);
        assert!(ev.detail.to_string().len() < MAX_DETAIL_TEXT_CHARS + 100);
        assert_eq!(ev.detail["known"], json!(false));
        assert_eq!(ev.detail["list"], json!([1, 2, 3]));
    }

    #[test]
    fn short_values_and_multibyte_text_stay_as_they_are() {
        let ev = AuditEvent::new(AuditKind::CitizenCreated)
            .actor("čebulj")
            .detail(json!({ "via": "self-registration" }));
        assert_eq!(ev.actor.as_deref(), Some("čebulj"));
        assert_eq!(ev.detail, json!({ "via": "self-registration" }));
        let cut = clip("ž".repeat(MAX_FIELD_CHARS + 1), MAX_FIELD_CHARS);
        assert!(cut.starts_with(&"ž".repeat(MAX_FIELD_CHARS)) && cut.ends_with("[+1 characters]"));
        let deep = (0..20).fold(json!("x"), |v, _| json!([v]));
        assert!(clip_value(deep, 0).to_string().len() < 100);
    }
}
