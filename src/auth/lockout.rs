//! Failure throttling policy: which counters a password attempt touches. Counting happens in the
//! database (shared by every node); unknown usernames are counted like known ones so a lock does not
//! reveal whether an account exists.

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
}
