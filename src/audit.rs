//! Typed audit events. They are written by `storage` in the same database transaction as the change
//! they record, so an audited change and its record stand or fall together.
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    CitizenCreated,
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
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::CitizenCreated => "citizen.created",
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
        self.actor = Some(a.into());
        self
    }
    pub fn citizen(mut self, c: impl Into<String>) -> Self {
        self.citizen_id = Some(c.into());
        self
    }
    pub fn sp(mut self, sp: impl Into<String>) -> Self {
        self.sp_entity_id = Some(sp.into());
        self
    }
    pub fn addr(mut self, a: Option<String>) -> Self {
        self.client_addr = a;
        self
    }
    pub fn detail(mut self, d: Value) -> Self {
        self.detail = d;
        self
    }
}
