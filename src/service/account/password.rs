//! Changing a password (logged in) and resetting a forgotten one by a mailed link.
use super::{mails, AccountError, LinkOutcome};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::lockout::account_key;
use crate::auth::password_policy as policy;
use crate::auth::Secret;
use crate::domain::citizen::Citizen;
use crate::domain::ids::Username;
use crate::service::Account;
use crate::storage::{TokenEffect, TokenPurpose, TokenState};

pub enum ChangeOutcome {
    /// Changed; this many other sessions were ended.
    Changed { sessions_ended: u64 },
    /// The current password is wrong (counted like a failed login).
    WrongPassword,
    /// Too many wrong attempts: try again later.
    Throttled,
    /// The new password does not meet the policy (message key).
    Refused(&'static str),
}

pub enum ResetOutcome {
    Done,
    /// The new password does not meet the policy (message key); the link stays usable.
    Refused(&'static str),
    /// The link cannot be used.
    Link(LinkOutcome),
}

const HOUR_MS: i64 = 3_600_000;

/// Counter of the reset mails sent to one account (a `throttles` row).
fn reset_mail_key(citizen_id: &str) -> String {
    format!("reset-mail:{citizen_id}")
}

fn details(c: &Citizen) -> Vec<String> {
    let mut v = vec![c.given_name.clone(), c.family_name.clone()];
    v.extend(c.email.clone());
    if let Some(a) = &c.address {
        v.push(a.street.clone());
        v.push(a.postcode.clone());
        v.push(a.city.clone());
    }
    v
}

fn check_policy(
    s: &Account,
    c: &Citizen,
    new: &Secret,
    repeat: &Secret,
) -> Result<(), &'static str> {
    let d = details(c);
    let refs: Vec<&str> = d.iter().map(String::as_str).collect();
    policy::check(
        &s.cfg.account,
        new.expose(),
        repeat.expose(),
        c.username.as_str(),
        &refs,
    )
    .map_err(|r| r.message_key())
}

impl Account {
    /// Changes the password of the logged-in citizen after checking the current one; every other
    /// session of the citizen ends (`keep_session` stays logged in).
    pub async fn change_password(
        &self,
        c: &Citizen,
        keep_session: &str,
        current: &Secret,
        new: &Secret,
        repeat: &Secret,
        client_addr: Option<String>,
    ) -> Result<ChangeOutcome, AccountError> {
        let key = account_key(c.username.as_str());
        let now = self.now_ms();
        if self
            .store
            .throttle_locked_until(std::slice::from_ref(&key), now)
            .await?
            .is_some()
        {
            return Ok(ChangeOutcome::Throttled);
        }
        let stored = self.store.password_hash(&c.id.0).await?;
        if !self.hasher.verify(current, stored.as_deref()).await? {
            let l = &self.cfg.lockout;
            self.store
                .throttle_fail(
                    &key,
                    l.account_max_failures,
                    l.window_secs * 1000,
                    l.lock_secs * 1000,
                    now,
                )
                .await?;
            return Ok(ChangeOutcome::WrongPassword);
        }
        if let Err(k) = check_policy(self, c, new, repeat) {
            return Ok(ChangeOutcome::Refused(k));
        }
        let hash = self.hasher.hash(new).await?;
        let ev = AuditEvent::new(AuditKind::PasswordChanged)
            .actor(c.username.as_str())
            .citizen(&c.id.0)
            .addr(client_addr);
        let ended = self
            .store
            .change_password(&c.id.0, &hash, Some(keep_session), self.now_ms(), &ev)
            .await?;
        Ok(ChangeOutcome::Changed {
            sessions_ended: ended,
        })
    }

    /// Starts a password reset for a username or e-mail address and returns at once: the lookup and
    /// the mail happen in the background, so the answer (always the same page) takes the same time
    /// whether or not an account exists. The link goes only to a verified address, and an account
    /// gets at most `[account] reset_mails_per_hour` of them (counted in the database). At most
    /// `reset_max_pending` requests wait in the background; beyond that a request is dropped.
    pub fn request_password_reset(&self, who: &str, lang: &'static str, addr: Option<String>) {
        let Ok(permit) = self.reset_tasks.clone().try_acquire_owned() else {
            tracing::warn!("password reset dropped: too many reset requests in progress");
            return;
        };
        let who: String = who.trim().chars().take(320).collect();
        let s = self.clone();
        tokio::spawn(async move {
            if let Err(e) = s.reset_mails(&who, lang, addr).await {
                tracing::warn!(error = %e, "password reset could not be prepared");
            }
            drop(permit);
        });
    }

    /// How many password-reset requests are still being handled in the background.
    pub fn resets_in_progress(&self) -> usize {
        self.cfg
            .account
            .reset_max_pending
            .saturating_sub(self.reset_tasks.available_permits())
    }

    async fn reset_mails(
        &self,
        who: &str,
        lang: &str,
        addr: Option<String>,
    ) -> Result<(), AccountError> {
        let mut found: Vec<Citizen> = Vec::new();
        if let Ok(u) = Username::parse(who) {
            found.extend(self.store.find_citizen(&u).await?);
        }
        if who.contains('@') {
            for id in self.store.citizen_ids_by_email(who).await? {
                if !found.iter().any(|c| c.id.0 == id) {
                    found.extend(self.store.get_citizen(&id).await?);
                }
            }
        }
        let ttl = self.cfg.account.reset_ttl_secs;
        for c in found {
            let Some(email) = c.email.clone().filter(|_| c.email_verified && !c.locked) else {
                continue;
            };
            let limit = self.cfg.account.reset_mails_per_hour;
            if !self
                .store
                .rate_take(&reset_mail_key(&c.id.0), limit, HOUR_MS, self.now_ms())
                .await?
            {
                tracing::info!(citizen = %c.id.0, "password reset mail limit reached");
                continue;
            }
            let link = self
                .issue_link(
                    &c,
                    TokenPurpose::Reset,
                    "/account/reset/confirm",
                    ttl,
                    AuditKind::PasswordResetSent,
                    addr.clone(),
                )
                .await?;
            let mail = mails::reset_mail(lang, &email, c.username.as_str(), &link, ttl);
            self.send_mail(&mail, "password reset").await;
        }
        Ok(())
    }

    /// Whether a reset link can still be used (the page asks for the new password only then).
    pub async fn reset_link_state(&self, token: &str) -> Result<LinkOutcome, AccountError> {
        Ok(self.link_state(TokenPurpose::Reset, token).await?.0)
    }

    /// Sets a new password from a reset link: the link is used up, every SSO session of the citizen
    /// ends and the failed-login counter of the account is cleared — all in one transaction.
    pub async fn reset_password(
        &self,
        token: &str,
        new: &Secret,
        repeat: &Secret,
        client_addr: Option<String>,
    ) -> Result<ResetOutcome, AccountError> {
        let (state, citizen_id) = self.link_state(TokenPurpose::Reset, token).await?;
        let Some(citizen_id) = citizen_id.filter(|_| state == LinkOutcome::Ok) else {
            return Ok(ResetOutcome::Link(state));
        };
        let Some(c) = self.store.get_citizen(&citizen_id).await? else {
            return Ok(ResetOutcome::Link(LinkOutcome::Invalid));
        };
        if let Err(k) = check_policy(self, &c, new, repeat) {
            return Ok(ResetOutcome::Refused(k));
        }
        let hash = self.hasher.hash(new).await?;
        let token_hash = self.link_token_hash(token)?;
        let key = account_key(c.username.as_str());
        let ev = AuditEvent::new(AuditKind::PasswordReset)
            .actor(c.username.as_str())
            .addr(client_addr);
        let used = self
            .store
            .use_email_token(
                TokenPurpose::Reset,
                &token_hash,
                TokenEffect::ResetPassword {
                    password_hash: &hash,
                    throttle_key: &key,
                },
                self.now_ms(),
                ev,
            )
            .await?;
        Ok(match used {
            TokenState::Valid { .. } => ResetOutcome::Done,
            other => ResetOutcome::Link((&other).into()),
        })
    }
}
