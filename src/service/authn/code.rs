//! The one runner for SMS-code challenges, used by every purpose: it asks the account-wide code lock
//! first (`service::code_lock`), applies the flow's [`ChallengePolicy`], counts each attempt in the
//! database before the code is compared, and spends a right code once.
use super::purposes::code_audit;
use super::{AuthnError, Flow};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::{AfterWrong, ChallengePolicy, ChallengeState, NotCheckable};
use crate::auth::lockout::CodeHolder;
use crate::auth::otp;
use crate::auth::sms_limit::{self, SmsLimited, SmsScope};
use crate::domain::ids::PhoneNumber;
use crate::service::code_lock::{Guess, Sent};
use crate::service::Authn;
use crate::storage::{ChallengeRecord, SmsCounted, SmsQuota, SmsSendRecord};

/// Whose code, for which flow, to which phone. `audit` names who and from where (its kind is set
/// per record).
pub(crate) struct CodeTo<'a> {
    pub flow: &'a Flow,
    pub holder: CodeHolder<'a>,
    pub phone: &'a PhoneNumber,
    pub audit: AuditEvent,
}

/// The answer to "send a new code".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeResend {
    Sent,
    /// None left (`None`) or asked too soon (seconds to wait).
    Refused {
        wait_secs: Option<i64>,
    },
    /// The account's codes are locked until then (ms).
    Locked {
        until_ms: i64,
    },
    /// An SMS limit refused it.
    Limited(SmsLimited),
}

/// The answer to a typed code.
#[derive(Debug, Clone)]
pub(crate) enum CodeCheck {
    /// Right: the code is spent (once) and the account's count of wrong codes starts again.
    Right,
    Wrong {
        attempts_left: i32,
    },
    Expired,
    /// No usable code; a new one may be asked for when `can_resend`.
    Voided {
        can_resend: bool,
    },
    /// Too many wrong codes for this account (over all its flows): not compared, until then (ms).
    Locked {
        until_ms: i64,
    },
}

fn state(c: &ChallengeRecord) -> ChallengeState {
    ChallengeState {
        attempts: c.attempts,
        sends: c.sends,
        last_sent_at: c.last_sent_at,
        expires_at: c.expires_at,
        spent: c.spent,
    }
}

fn with_kind(base: &AuditEvent, kind: crate::audit::AuditKind) -> AuditEvent {
    AuditEvent {
        kind,
        ..base.clone()
    }
}

impl Authn {
    pub(crate) fn challenge_policy(&self) -> ChallengePolicy {
        ChallengePolicy::from_config(&self.cfg.otp)
    }

    /// Sends code number `send_no` of the flow (earlier codes of the flow become void), unless the
    /// account's codes are locked: then nothing is sent.
    pub(crate) async fn send_flow_code(
        &self,
        to: &CodeTo<'_>,
        send_no: i32,
        lang: &str,
    ) -> Result<Sent, AuthnError> {
        let purpose = &to.flow.purpose;
        let lock = self.code_lock(to.holder, purpose.code_lock_name());
        if let Some(until_ms) = lock.refused_until(&to.audit).await? {
            return Ok(Sent::Locked { until_ms });
        }
        let policy = self.challenge_policy();
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        if let Some(limited) = self.sms_limited(to, now_ms).await? {
            return Ok(Sent::Limited(limited));
        }
        let code = otp::generate(&self.rng, policy.digits);
        let rec = ChallengeRecord {
            id: uuid::Uuid::new_v4().to_string(),
            flow_id: to.flow.id.clone(),
            destination: to.phone.as_str().to_string(),
            code_hash: otp::hash(&self.keyed, &to.flow.id, &code)?,
            created_at: now_ms,
            expires_at: policy.expires_at(now_ms),
            attempts: 0,
            sends: send_no,
            last_sent_at: now_ms,
            spent: false,
        };
        let ev = with_kind(&to.audit, code_audit(purpose).sent).detail(serde_json::json!({
            "to": to.phone.masked(), "send": send_no, "purpose": purpose.kind() }));
        self.store.create_challenge(&rec, now_ms, &ev).await?;
        let text = self.code_text(purpose, lang, code.expose(), policy.ttl_minutes());
        self.sms
            .send(
                to.phone,
                &text,
                &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .await
            .map_err(|e| AuthnError::Sms(e.to_string()))?;
        self.metrics.sms_sent.inc();
        Ok(Sent::Yes)
    }

    /// "Send a new code" (or the first code of a flow that has none): while the account's codes are
    /// locked that is the answer; otherwise the policy's limits on number and spacing.
    pub(crate) async fn resend_flow_code(
        &self,
        to: &CodeTo<'_>,
        lang: &str,
    ) -> Result<CodeResend, AuthnError> {
        let lock = self.code_lock(to.holder, to.flow.purpose.code_lock_name());
        if let Some(until_ms) = lock.refused_until(&to.audit).await? {
            return Ok(CodeResend::Locked { until_ms });
        }
        let latest = self.store.latest_challenge(&to.flow.id).await?;
        let send_no = match self
            .challenge_policy()
            .next_send(latest.as_ref().map(state).as_ref(), self.now_ms())
        {
            Ok(n) => n,
            Err(r) => {
                return Ok(CodeResend::Refused {
                    wait_secs: r.wait_secs,
                })
            }
        };
        Ok(match self.send_flow_code(to, send_no, lang).await? {
            Sent::Yes => CodeResend::Sent,
            Sent::Locked { until_ms } => CodeResend::Locked { until_ms },
            Sent::Limited(l) => CodeResend::Limited(l),
        })
    }

    /// Counts the code in the SMS limits (`[sms.limits]`), or refuses it with an audit record and
    /// the `passidp_sms_limited_total` counter.
    async fn sms_limited(
        &self,
        to: &CodeTo<'_>,
        now_ms: i64,
    ) -> Result<Option<SmsLimited>, AuthnError> {
        let refused = match sms_limit::rules_for(&self.cfg.sms, to.phone) {
            Err(l) => l,
            Ok(rules) => {
                let quotas: Vec<SmsQuota> = rules
                    .iter()
                    .map(|r| SmsQuota {
                        counted: match r.scope {
                            SmsScope::Phone => SmsCounted::Phone,
                            SmsScope::Address => SmsCounted::Address,
                            SmsScope::CountryCode => SmsCounted::CountryCode,
                        },
                        window_ms: r.window_ms,
                        max: r.max,
                    })
                    .collect();
                let rec = SmsSendRecord {
                    id: uuid::Uuid::new_v4().to_string(),
                    phone: to.phone.as_str().to_string(),
                    country_code: to.phone.country_code().to_string(),
                    client_addr: to.audit.client_addr.clone(),
                    sent_at: now_ms,
                };
                let full = match self.store.sms_send_take(&rec, &quotas).await? {
                    Ok(()) => return Ok(None),
                    Err(full) => full,
                };
                let Some(rule) = rules.get(full.index) else {
                    return Err(AuthnError::Corrupt(to.flow.id.clone(), "sms quota".into()));
                };
                SmsLimited {
                    limit: rule.limit,
                    until_ms: Some(full.until_ms),
                }
            }
        };
        self.metrics
            .sms_limited
            .with_label_values(&[refused.limit.as_str()])
            .inc();
        let ev = with_kind(&to.audit, AuditKind::SmsLimited).detail(serde_json::json!({
            "limit": refused.limit.as_str(), "to": to.phone.masked(),
            "purpose": to.flow.purpose.kind(), "until": refused.until_ms }));
        self.store.audit(&ev, now_ms).await?;
        Ok(Some(refused))
    }

    /// The phone the flow's newest code went to.
    pub(crate) async fn code_destination(
        &self,
        flow: &Flow,
    ) -> Result<Option<PhoneNumber>, AuthnError> {
        Ok(self
            .store
            .latest_challenge(&flow.id)
            .await?
            .and_then(|c| PhoneNumber::parse(&c.destination, "386").ok()))
    }

    /// Checks a typed code against the flow's newest code. The account's lock is asked first; the
    /// attempt is counted on the code and on the account before comparing.
    pub(crate) async fn check_flow_code(
        &self,
        to: &CodeTo<'_>,
        typed: &str,
    ) -> Result<CodeCheck, AuthnError> {
        let purpose = &to.flow.purpose;
        let kinds = code_audit(purpose);
        let lock = self.code_lock(to.holder, purpose.code_lock_name());
        if let Some(until_ms) = lock.refused_until(&to.audit).await? {
            return Ok(CodeCheck::Locked { until_ms });
        }
        let policy = self.challenge_policy();
        let now = self.now_ms();
        let latest = self.store.latest_challenge(&to.flow.id).await?;
        let st = latest.as_ref().map(state);
        if let Err(why) = policy.checkable(st.as_ref(), now) {
            return Ok(match why {
                NotCheckable::Voided { can_resend } => CodeCheck::Voided { can_resend },
                NotCheckable::Expired => CodeCheck::Expired,
            });
        }
        let (Some(rec), Some(st)) = (latest, st) else {
            return Ok(CodeCheck::Voided { can_resend: true });
        };
        let can_resend = policy.can_resend(Some(&st));
        if !self
            .store
            .challenge_take_attempt(&rec.id, policy.max_attempts)
            .await?
        {
            return Ok(CodeCheck::Voided { can_resend });
        }
        let guess = match lock.take_guess(&to.audit).await? {
            Guess::Allowed(g) => g,
            Guess::Locked { until_ms } => return Ok(CodeCheck::Locked { until_ms }),
        };
        if otp::matches(&self.keyed, &to.flow.id, typed, &rec.code_hash)? {
            lock.right(guess).await?;
            let ok = kinds.ok.map(|k| with_kind(&to.audit, k));
            if !self
                .store
                .challenge_spend(&rec.id, now, ok.as_ref())
                .await?
            {
                return Ok(CodeCheck::Voided { can_resend });
            }
            return Ok(CodeCheck::Right);
        }
        let used = st.attempts + 1;
        let detail = serde_json::json!({ "attempts": used, "purpose": purpose.kind() });
        let locked = lock.wrong(guess, &to.audit).await?;
        let after = policy.after_wrong(&st);
        if locked.is_some() || matches!(after, AfterWrong::Voided { .. }) {
            let ev = with_kind(&to.audit, kinds.voided).detail(detail);
            self.store.challenge_void(&rec.id, now, &ev).await?;
        } else {
            let ev = with_kind(&to.audit, kinds.failed).detail(detail);
            self.store.audit(&ev, now).await?;
        }
        Ok(match (locked, after) {
            (Some(until_ms), _) => CodeCheck::Locked { until_ms },
            (None, AfterWrong::Voided { can_resend }) => CodeCheck::Voided { can_resend },
            (None, AfterWrong::Wrong { attempts_left }) => CodeCheck::Wrong { attempts_left },
        })
    }
}
