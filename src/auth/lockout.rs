//! Failure throttling policy: which counters a password attempt or an SMS code touches. Counting happens
//! in the database (shared by every node); unknown usernames are counted like known ones so a lock does
//! not reveal whether an account exists.
//!
//! Guarantees for SMS codes: wrong codes are counted per ACCOUNT under one key for every code purpose
//! (SSO and account-page logins, staff login, phone proof), so a new login, a new code or another
//! purpose does not start the count again; citizens and staff members never share a counter.

/// Counter key for a username as typed (normalised).
pub fn account_key(username_normalised: &str) -> String {
    format!("acct:{username_normalised}")
}

/// Counter key for a client address (IPv6 grouped by /64 so one host cannot rotate addresses).
pub fn address_key(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V4(v4)) => format!("addr:{v4}"),
        Err(_) => format!("addr:{addr}"),
    }
}

/// Whose SMS codes a counter limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeHolder<'a> {
    /// A citizen, by account id (not the username, which may be renamed).
    Citizen(&'a str),
    /// A staff member, by account id.
    Staff(&'a str),
}

/// Counter key for the wrong SMS codes of one account, whatever the code was for.
pub fn code_key(holder: CodeHolder<'_>) -> String {
    match holder {
        CodeHolder::Citizen(id) => format!("otp:citizen:{id}"),
        CodeHolder::Staff(id) => format!("otp:staff:{id}"),
    }
}

/// The limit on wrong codes per account: `max_failures` within `window_ms` lock the account's codes
/// for `lock_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLimit {
    pub max_failures: i32,
    pub window_ms: i64,
    pub lock_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_hosts_in_one_64_share_a_counter() {
        assert_eq!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:2::ffff")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("10.0.0.1"), "addr:10.0.0.1");
    }

    #[test]
    fn code_keys_are_per_account_and_never_shared_between_citizens_and_staff() {
        assert_eq!(code_key(CodeHolder::Citizen("c1")), "otp:citizen:c1");
        assert_eq!(code_key(CodeHolder::Staff("c1")), "otp:staff:c1");
        assert_ne!(
            code_key(CodeHolder::Citizen("c1")),
            code_key(CodeHolder::Citizen("c2"))
        );
        assert_ne!(code_key(CodeHolder::Citizen("x")), account_key("x"));
    }
}
