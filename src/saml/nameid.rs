//! NameID choice and derivation. Persistent identifiers are pairwise: an opaque, stable value per
//! citizen × e-service, derived with a server secret, so two e-services cannot correlate a citizen.
use super::types::nameid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameIdError {
    #[error("NameID format {0} is not available to this e-service")]
    FormatNotAllowed(String),
    #[error("NameID derivation failed")]
    Crypto,
}

/// Formats the IdP can issue.
pub const SUPPORTED: [&str; 4] = [
    nameid::PERSISTENT,
    nameid::TRANSIENT,
    nameid::UNSPECIFIED,
    nameid::EMAIL,
];

/// Picks the format: the requested one if allowed; otherwise the first format the SP's metadata lists
/// that is allowed; otherwise persistent if allowed; otherwise the first allowed format of the policy.
/// `policy_allowed` empty means persistent, transient and unspecified. `unspecified` in a request
/// means "IdP's choice". `has_email`: the citizen has a confirmed e-mail address, so an emailAddress
/// NameID can be issued (before the citizen is known, pass `true`; the choice is made again when the
/// Response is built).
pub fn choose_format(
    requested: Option<&str>,
    metadata_formats: &[String],
    policy_allowed: &[String],
    has_email: bool,
) -> Result<String, NameIdError> {
    let allowed = |f: &str| -> bool {
        let by_policy = if policy_allowed.is_empty() {
            [nameid::PERSISTENT, nameid::TRANSIENT, nameid::UNSPECIFIED].contains(&f)
        } else {
            policy_allowed.iter().any(|a| a == f) && SUPPORTED.contains(&f)
        };
        by_policy && (has_email || f != nameid::EMAIL)
    };
    let default = || -> Result<String, NameIdError> {
        metadata_formats
            .iter()
            .find(|f| f.as_str() != nameid::UNSPECIFIED && allowed(f))
            .cloned()
            .or_else(|| allowed(nameid::PERSISTENT).then(|| nameid::PERSISTENT.to_string()))
            .or_else(|| policy_allowed.iter().find(|f| allowed(f)).cloned())
            .ok_or_else(|| NameIdError::FormatNotAllowed(nameid::UNSPECIFIED.to_string()))
    };
    match requested {
        None => default(),
        Some(f) if f == nameid::UNSPECIFIED => default(),
        Some(f) if allowed(f) => Ok(f.to_string()),
        Some(f) => Err(NameIdError::FormatNotAllowed(f.to_string())),
    }
}

/// The pairwise persistent identifier of `citizen_id` at `sp_entity_id`.
pub fn pairwise(
    secret: &[u8],
    citizen_id: &str,
    sp_entity_id: &str,
) -> Result<String, NameIdError> {
    use hmac::Mac;
    // HMAC-SHA256 (RustCrypto; the same value OpenSSL's HMAC gives, see the test).
    let mut s =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).map_err(|_| NameIdError::Crypto)?;
    for part in [
        b"nameid".as_slice(),
        citizen_id.as_bytes(),
        sp_entity_id.as_bytes(),
    ] {
        s.update(&(part.len() as u64).to_be_bytes());
        s.update(part);
    }
    let mac = s.finalize().into_bytes();
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..24]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    /// Persistent NameIDs already given to e-services must never change: the value is the OpenSSL
    /// HMAC-SHA256 that earlier versions computed.
    #[test]
    fn pairwise_equals_openssl_hmac() {
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::sign::Signer;
        let key = PKey::hmac(b"secret").expect("key");
        let mut s = Signer::new(MessageDigest::sha256(), &key).expect("signer");
        for part in [b"nameid".as_slice(), b"c1", b"https://sp1"] {
            s.update(&(part.len() as u64).to_be_bytes())
                .expect("update");
            s.update(part).expect("update");
        }
        let mac = s.sign_to_vec().expect("sign");
        use base64::Engine;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..24]);
        assert_eq!(
            pairwise(b"secret", "c1", "https://sp1").ok(),
            Some(expected)
        );
    }

    #[test]
    fn pairwise_is_stable_per_sp_and_differs_across_sps() {
        let a1 = pairwise(b"secret", "c1", "https://sp1").ok();
        let a2 = pairwise(b"secret", "c1", "https://sp1").ok();
        let b = pairwise(b"secret", "c1", "https://sp2").ok();
        let c = pairwise(b"secret", "c2", "https://sp1").ok();
        let other_secret = pairwise(b"secret2", "c1", "https://sp1").ok();
        assert!(a1.is_some());
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
        assert_ne!(a1, other_secret);
        assert!(!a1.unwrap_or_default().contains("c1"));
    }

    #[test]
    fn format_choice() {
        let none: Vec<String> = vec![];
        assert_eq!(
            choose_format(None, &none, &none, true).as_deref(),
            Ok(nameid::PERSISTENT)
        );
        assert_eq!(
            choose_format(Some(nameid::TRANSIENT), &none, &none, true).as_deref(),
            Ok(nameid::TRANSIENT)
        );
        assert_eq!(
            choose_format(Some(nameid::EMAIL), &none, &none, true),
            Err(NameIdError::FormatNotAllowed(nameid::EMAIL.into()))
        );
        let md = vec![nameid::TRANSIENT.to_string()];
        assert_eq!(
            choose_format(None, &md, &none, true).as_deref(),
            Ok(nameid::TRANSIENT)
        );
        assert_eq!(
            choose_format(Some(nameid::UNSPECIFIED), &md, &none, true).as_deref(),
            Ok(nameid::TRANSIENT)
        );
        let only_email = vec![nameid::EMAIL.to_string()];
        assert_eq!(
            choose_format(Some(nameid::EMAIL), &none, &only_email, true).as_deref(),
            Ok(nameid::EMAIL)
        );
        assert_eq!(
            choose_format(Some(nameid::PERSISTENT), &none, &only_email, true),
            Err(NameIdError::FormatNotAllowed(nameid::PERSISTENT.into()))
        );
    }

    /// Without a confirmed e-mail address the emailAddress format is never chosen: asked for, it is
    /// refused; as the IdP's choice another allowed format is taken, or none is left.
    #[test]
    fn email_format_needs_a_confirmed_address() {
        let none: Vec<String> = vec![];
        let email_first = vec![nameid::EMAIL.to_string(), nameid::PERSISTENT.to_string()];
        let only_email = vec![nameid::EMAIL.to_string()];
        assert_eq!(
            choose_format(Some(nameid::EMAIL), &none, &email_first, false),
            Err(NameIdError::FormatNotAllowed(nameid::EMAIL.into()))
        );
        assert_eq!(
            choose_format(None, &email_first, &email_first, false).as_deref(),
            Ok(nameid::PERSISTENT)
        );
        assert_eq!(
            choose_format(None, &email_first, &email_first, true).as_deref(),
            Ok(nameid::EMAIL)
        );
        assert!(choose_format(None, &none, &only_email, false).is_err());
        assert!(choose_format(Some(nameid::UNSPECIFIED), &none, &only_email, false).is_err());
        assert_eq!(
            choose_format(None, &none, &only_email, true).as_deref(),
            Ok(nameid::EMAIL)
        );
        // A policy naming only formats the IdP cannot issue leaves nothing to choose.
        let bogus = vec!["urn:example:kerberos".to_string()];
        assert!(choose_format(None, &none, &bogus, true).is_err());
    }
}
