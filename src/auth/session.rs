//! SSO session validity rules.
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct SessionTimes {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked: bool,
}

/// Valid while not revoked, used within `idle`, and younger than `absolute`.
pub fn is_valid(s: &SessionTimes, now: DateTime<Utc>, idle: Duration, absolute: Duration) -> bool {
    !s.revoked
        && now < s.last_seen_at + idle
        && now < s.created_at + absolute
        && now >= s.created_at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn idle_and_absolute_limits() {
        let s = SessionTimes {
            created_at: t0(),
            last_seen_at: t0(),
            revoked: false,
        };
        let idle = Duration::minutes(30);
        let abs = Duration::hours(8);
        assert!(is_valid(&s, t0() + Duration::minutes(29), idle, abs));
        assert!(!is_valid(&s, t0() + Duration::minutes(30), idle, abs));
        let busy = SessionTimes {
            last_seen_at: t0() + Duration::hours(8),
            ..s
        };
        assert!(!is_valid(
            &busy,
            t0() + Duration::hours(8) + Duration::seconds(1),
            idle,
            abs
        ));
        let revoked = SessionTimes { revoked: true, ..s };
        assert!(!is_valid(&revoked, t0(), idle, abs));
    }
}
