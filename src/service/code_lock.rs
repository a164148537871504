//! The one limit on wrong SMS codes per account, shared by every place that sends or checks a code
//! (citizen SSO and account-page logins, staff login, phone proof). Counted in the `throttles` table
//! under `auth::lockout::code_key`, so it holds across logins, codes, purposes and cluster nodes:
//! `[otp] account_max_failures` wrong codes within `failure_window_secs` lock the account's codes for
//! `lock_secs` — meanwhile no code is sent and even the right code is refused. A right code clears the
//! count. A guess is counted before the code is compared, so parallel guesses cannot overshoot.
use super::Authn;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::lockout::{code_key, CodeHolder, CodeLimit};
use crate::storage::{StorageError, ThrottleTake};

/// What the account's counter says about one guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Guess {
    /// Compare the code, then report it with [`CodeLock::right`] or [`CodeLock::wrong`].
    Allowed(Taken),
    /// The account's codes are locked until then: do not compare, say so.
    Locked { until_ms: i64 },
}

/// Whether a code went out (every place that sends codes answers with this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Sent {
    Yes,
    /// The account's codes are locked until then (ms); nothing was sent.
    Locked {
        until_ms: i64,
    },
    /// An SMS limit (or the number's country) refused it; nothing was sent.
    Limited(crate::auth::sms_limit::SmsLimited),
}

/// A guess that was counted; `locks_until` is set when it was the last one the limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Taken {
    locks_until: Option<i64>,
}

/// The code counter of one account, for one purpose (named in the audit records).
pub(crate) struct CodeLock<'a> {
    s: &'a Authn,
    key: String,
    purpose: &'static str,
}

impl Authn {
    pub(crate) fn code_limit(&self) -> CodeLimit {
        let o = &self.cfg.otp;
        CodeLimit {
            max_failures: o.account_max_failures,
            window_ms: o.failure_window_secs * 1000,
            lock_ms: o.lock_secs * 1000,
        }
    }

    /// The code counter of `holder`; `purpose` is what the code is for (login, staff_login, …).
    pub(crate) fn code_lock(&self, holder: CodeHolder<'_>, purpose: &'static str) -> CodeLock<'_> {
        CodeLock {
            s: self,
            key: code_key(holder),
            purpose,
        }
    }
}

impl CodeLock<'_> {
    /// Before a code is sent or checked: the end of a lock in force, if any (audited as a refusal,
    /// `base` names who and from where). Nothing may be sent or compared while it is `Some`.
    pub(crate) async fn refused_until(
        &self,
        base: &AuditEvent,
    ) -> Result<Option<i64>, StorageError> {
        let now = self.s.now_ms();
        let until = self
            .s
            .store
            .throttle_locked_until(std::slice::from_ref(&self.key), now)
            .await?;
        if let Some(until_ms) = until {
            self.refusal(until_ms, base).await?;
        }
        Ok(until)
    }

    /// Counts one guess before the code is compared.
    pub(crate) async fn take_guess(&self, base: &AuditEvent) -> Result<Guess, StorageError> {
        let l = self.s.code_limit();
        let now = self.s.now_ms();
        match self
            .s
            .store
            .throttle_take(&self.key, l.max_failures, l.window_ms, l.lock_ms, now)
            .await?
        {
            ThrottleTake::Taken { locks_until } => Ok(Guess::Allowed(Taken { locks_until })),
            ThrottleTake::Locked { until_ms } => {
                self.refusal(until_ms, base).await?;
                Ok(Guess::Locked { until_ms })
            }
        }
    }

    /// The code was right: the account's count starts again.
    pub(crate) async fn right(&self, _guess: Taken) -> Result<(), StorageError> {
        self.s.store.throttle_clear(&self.key).await
    }

    /// The code was wrong. Returns the lock end when this guess used up the limit (audited).
    pub(crate) async fn wrong(
        &self,
        guess: Taken,
        base: &AuditEvent,
    ) -> Result<Option<i64>, StorageError> {
        let Some(until_ms) = guess.locks_until else {
            return Ok(None);
        };
        let l = self.s.code_limit();
        let ev = AuditEvent {
            kind: AuditKind::OtpAccountLocked,
            ..base.clone()
        }
        .detail(serde_json::json!({
            "purpose": self.purpose,
            "failures": l.max_failures,
            "window_secs": l.window_ms / 1000,
            "locked_until": until_ms,
        }));
        self.s.store.audit(&ev, self.s.now_ms()).await?;
        Ok(Some(until_ms))
    }

    async fn refusal(&self, until_ms: i64, base: &AuditEvent) -> Result<(), StorageError> {
        let ev = AuditEvent {
            kind: AuditKind::OtpLockRefused,
            ..base.clone()
        }
        .detail(serde_json::json!({ "purpose": self.purpose, "locked_until": until_ms }));
        self.s.store.audit(&ev, self.s.now_ms()).await
    }
}
