//! The one policy for one-time codes, used by every purpose: how long a code lives, how many wrong
//! entries it takes, how many codes a flow may send and how far apart. Pure decisions; the engine
//! in `service::authn` counts in the database and sends.
use crate::config::OtpConfig;

/// The limits of the codes of one flow (`[otp]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengePolicy {
    pub digits: u32,
    pub ttl_secs: i64,
    pub max_attempts: i32,
    pub max_sends: i32,
    pub resend_interval_secs: i64,
}

/// What the policy needs to know of the newest code of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeState {
    /// Wrong (or right) entries counted so far.
    pub attempts: i32,
    /// Which send this code was (1 = the first code of the flow).
    pub sends: i32,
    pub last_sent_at: i64,
    pub expires_at: i64,
    pub spent: bool,
}

/// No new code now: none left (`None`) or asked too soon (seconds to wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendRefused {
    pub wait_secs: Option<i64>,
}

/// Why a typed code is not compared at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCheckable {
    /// No usable code (none sent, used, or out of attempts); a new one may be asked for if sends remain.
    Voided {
        can_resend: bool,
    },
    Expired,
}

/// What a wrong entry leaves of the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrong {
    Wrong {
        attempts_left: i32,
    },
    /// Out of attempts: the code is void.
    Voided {
        can_resend: bool,
    },
}

impl ChallengePolicy {
    pub fn from_config(c: &OtpConfig) -> Self {
        ChallengePolicy {
            digits: c.digits,
            ttl_secs: c.ttl_secs,
            max_attempts: c.max_attempts,
            max_sends: c.max_sends,
            resend_interval_secs: c.resend_interval_secs,
        }
    }

    /// When a code sent at `now_ms` expires.
    pub fn expires_at(&self, now_ms: i64) -> i64 {
        now_ms + self.ttl_secs * 1000
    }

    /// The code's lifetime in whole minutes, rounded up (for the SMS text).
    pub fn ttl_minutes(&self) -> i64 {
        (self.ttl_secs + 59) / 60
    }

    /// Which send a new code would be (1 = the first), or why none may be sent now.
    pub fn next_send(
        &self,
        latest: Option<&ChallengeState>,
        now_ms: i64,
    ) -> Result<i32, ResendRefused> {
        let Some(prev) = latest else { return Ok(1) };
        if prev.sends >= self.max_sends {
            return Err(ResendRefused { wait_secs: None });
        }
        let next_at = prev.last_sent_at + self.resend_interval_secs * 1000;
        if now_ms < next_at {
            return Err(ResendRefused {
                wait_secs: Some((next_at - now_ms + 999) / 1000),
            });
        }
        Ok(prev.sends + 1)
    }

    pub fn can_resend(&self, c: Option<&ChallengeState>) -> bool {
        c.is_none_or(|c| c.sends < self.max_sends)
    }

    /// Whether a typed code may be compared with `c` at all (before an attempt is counted).
    pub fn checkable(&self, c: Option<&ChallengeState>, now_ms: i64) -> Result<(), NotCheckable> {
        let can_resend = self.can_resend(c);
        match c {
            None => Err(NotCheckable::Voided { can_resend }),
            Some(c) if c.spent || c.attempts >= self.max_attempts => {
                Err(NotCheckable::Voided { can_resend })
            }
            Some(c) if c.expires_at <= now_ms => Err(NotCheckable::Expired),
            Some(_) => Ok(()),
        }
    }

    /// What a wrong entry leaves, given the code as it was before this entry was counted.
    pub fn after_wrong(&self, before: &ChallengeState) -> AfterWrong {
        let used = before.attempts + 1;
        if used >= self.max_attempts {
            AfterWrong::Voided {
                can_resend: self.can_resend(Some(before)),
            }
        } else {
            AfterWrong::Wrong {
                attempts_left: self.max_attempts - used,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ChallengePolicy = ChallengePolicy {
        digits: 6,
        ttl_secs: 300,
        max_attempts: 3,
        max_sends: 3,
        resend_interval_secs: 30,
    };

    fn code(attempts: i32, sends: i32) -> ChallengeState {
        ChallengeState {
            attempts,
            sends,
            last_sent_at: 1_000,
            expires_at: 301_000,
            spent: false,
        }
    }

    #[test]
    fn first_code_then_spaced_and_limited_resends() {
        assert_eq!(P.next_send(None, 0), Ok(1));
        assert_eq!(
            P.next_send(Some(&code(0, 1)), 1_000),
            Err(ResendRefused {
                wait_secs: Some(30)
            })
        );
        assert_eq!(
            P.next_send(Some(&code(0, 1)), 30_001),
            Err(ResendRefused { wait_secs: Some(1) })
        );
        assert_eq!(P.next_send(Some(&code(0, 1)), 31_000), Ok(2));
        assert_eq!(
            P.next_send(Some(&code(0, 3)), 1_000_000),
            Err(ResendRefused { wait_secs: None })
        );
    }

    #[test]
    fn used_spent_exhausted_or_expired_codes_are_not_compared() {
        assert_eq!(
            P.checkable(None, 0),
            Err(NotCheckable::Voided { can_resend: true })
        );
        let spent = ChallengeState {
            spent: true,
            ..code(0, 3)
        };
        assert_eq!(
            P.checkable(Some(&spent), 0),
            Err(NotCheckable::Voided { can_resend: false })
        );
        assert_eq!(
            P.checkable(Some(&code(3, 1)), 0),
            Err(NotCheckable::Voided { can_resend: true })
        );
        assert_eq!(
            P.checkable(Some(&code(0, 1)), 301_000),
            Err(NotCheckable::Expired)
        );
        assert_eq!(P.checkable(Some(&code(2, 1)), 300_999), Ok(()));
    }

    #[test]
    fn the_last_wrong_entry_voids_the_code() {
        assert_eq!(
            P.after_wrong(&code(0, 1)),
            AfterWrong::Wrong { attempts_left: 2 }
        );
        assert_eq!(
            P.after_wrong(&code(1, 1)),
            AfterWrong::Wrong { attempts_left: 1 }
        );
        assert_eq!(
            P.after_wrong(&code(2, 1)),
            AfterWrong::Voided { can_resend: true }
        );
        assert_eq!(
            P.after_wrong(&code(2, 3)),
            AfterWrong::Voided { can_resend: false }
        );
    }
}
