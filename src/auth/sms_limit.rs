//! Limits on SMS codes against SMS pumping (`[sms.limits]`): how many codes go to one number, from
//! one client address and to one foreign country in a window. Pure decisions; storage counts the
//! sent codes in the database (shared by every node) and the authentication engine refuses.
use crate::config::SmsConfig;
use crate::domain::ids::PhoneNumber;

/// Which limit refused a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsLimit {
    PhoneHour,
    PhoneDay,
    AddressHour,
    CountryDay,
    /// The number's country is not in `sms.allowed_country_codes` (no window: never sent).
    Country,
}

/// A code that was not sent, and from when one may be (`None`: never, to this number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLimited {
    pub limit: SmsLimit,
    pub until_ms: Option<i64>,
}

/// What is counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsScope {
    Phone,
    Address,
    CountryCode,
}

/// One limit: at most `max` codes per `window_ms` in a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsRule {
    pub limit: SmsLimit,
    pub scope: SmsScope,
    pub window_ms: i64,
    pub max: i64,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

impl SmsLimit {
    pub const ALL: [SmsLimit; 5] = [
        SmsLimit::PhoneHour,
        SmsLimit::PhoneDay,
        SmsLimit::AddressHour,
        SmsLimit::CountryDay,
        SmsLimit::Country,
    ];

    /// As in the audit record and the metric's `limit` label.
    pub fn as_str(self) -> &'static str {
        match self {
            SmsLimit::PhoneHour => "phone_hour",
            SmsLimit::PhoneDay => "phone_day",
            SmsLimit::AddressHour => "address_hour",
            SmsLimit::CountryDay => "country_day",
            SmsLimit::Country => "country",
        }
    }

    /// The message shown where the code would have been sent.
    pub fn message_key(self) -> &'static str {
        match self {
            SmsLimit::PhoneHour | SmsLimit::PhoneDay => "sms.limited.phone",
            SmsLimit::AddressHour => "sms.limited.address",
            SmsLimit::CountryDay => "sms.limited.country_day",
            SmsLimit::Country => "sms.limited.country",
        }
    }
}

/// The limits that apply to a code to `phone` (the foreign-country one only outside the home
/// country `sms.default_country_code`), or the refusal when its country is not allowed.
pub fn rules_for(cfg: &SmsConfig, phone: &PhoneNumber) -> Result<Vec<SmsRule>, SmsLimited> {
    let cc = phone.country_code();
    if !cfg.allowed_country_codes.iter().any(|c| c == cc) {
        return Err(SmsLimited {
            limit: SmsLimit::Country,
            until_ms: None,
        });
    }
    let l = &cfg.limits;
    let mut rules = vec![
        SmsRule {
            limit: SmsLimit::PhoneHour,
            scope: SmsScope::Phone,
            window_ms: HOUR_MS,
            max: l.phone_per_hour,
        },
        SmsRule {
            limit: SmsLimit::PhoneDay,
            scope: SmsScope::Phone,
            window_ms: DAY_MS,
            max: l.phone_per_day,
        },
        SmsRule {
            limit: SmsLimit::AddressHour,
            scope: SmsScope::Address,
            window_ms: HOUR_MS,
            max: l.address_per_hour,
        },
    ];
    if cc != cfg.default_country_code {
        rules.push(SmsRule {
            limit: SmsLimit::CountryDay,
            scope: SmsScope::CountryCode,
            window_ms: DAY_MS,
            max: l.country_per_day,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw, "386").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn home_numbers_have_no_country_limit_and_other_countries_need_allowing() {
        let cfg = SmsConfig::default();
        let home = rules_for(&cfg, &phone("+38641123456")).unwrap_or_default();
        assert_eq!(home.len(), 3);
        assert!(home.iter().all(|r| r.scope != SmsScope::CountryCode));
        assert_eq!(
            rules_for(&cfg, &phone("+4915112345678")),
            Err(SmsLimited {
                limit: SmsLimit::Country,
                until_ms: None
            })
        );
        let cfg = SmsConfig {
            allowed_country_codes: vec!["386".into(), "49".into()],
            ..SmsConfig::default()
        };
        let de = rules_for(&cfg, &phone("+4915112345678")).unwrap_or_default();
        assert_eq!(de.len(), 4);
        assert!(de
            .iter()
            .any(|r| r.limit == SmsLimit::CountryDay && r.max == 200));
    }
}
