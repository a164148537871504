//! One-time codes for smsPASS: random digits from the CSPRNG, stored only as a keyed hash bound to the
//! login transaction, compared in constant time.
use super::tokens::{ct_eq, Csprng, Keyed};
use super::{AuthError, Secret};

/// A fresh code of `digits` decimal digits (leading zeros kept), uniformly distributed.
pub fn generate(rng: &Csprng, digits: u32) -> Secret {
    let bound = 10u64.pow(digits);
    let n = rng.below(bound);
    Secret::new(format!("{n:0width$}", width = digits as usize))
}

/// The stored form of a code: HMAC over the transaction id and the code.
pub fn hash(keyed: &Keyed, tx_id: &str, code: &Secret) -> Result<String, AuthError> {
    keyed.mac_hex("otp", &[tx_id.as_bytes(), code.expose().as_bytes()])
}

/// Normalises what the citizen typed (spaces and dashes dropped) and compares in constant time.
pub fn matches(
    keyed: &Keyed,
    tx_id: &str,
    typed: &str,
    stored_hash: &str,
) -> Result<bool, AuthError> {
    let cleaned: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if cleaned.is_empty() || cleaned.len() > 12 || !cleaned.chars().all(|c| c.is_ascii_digit()) {
        return Ok(false);
    }
    let h = hash(keyed, tx_id, &Secret::new(cleaned))?;
    Ok(ct_eq(&h, stored_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed() -> Keyed {
        match Keyed::new("test-secret-0123456789abcdef0123456789") {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn codes_have_requested_digits_and_vary() {
        let r = Csprng::from_os();
        let codes: Vec<String> = (0..50)
            .map(|_| generate(&r, 6).expose().to_string())
            .collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.chars().all(|d| d.is_ascii_digit())));
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() > 40);
    }

    #[test]
    fn right_code_matches_wrong_does_not() -> Result<(), AuthError> {
        let k = keyed();
        let code = Secret::new("012345");
        let h = hash(&k, "tx1", &code)?;
        assert!(matches(&k, "tx1", "012 345", &h)?);
        assert!(!matches(&k, "tx1", "012346", &h)?);
        assert!(!matches(&k, "tx1", "12345", &h)?);
        assert!(!matches(&k, "tx1", "", &h)?);
        assert!(!matches(&k, "tx1", "abcdef", &h)?);
        Ok(())
    }

    #[test]
    fn code_bound_to_transaction() -> Result<(), AuthError> {
        let k = keyed();
        let h = hash(&k, "tx1", &Secret::new("111111"))?;
        assert!(!matches(&k, "tx2", "111111", &h)?);
        Ok(())
    }

    #[test]
    fn stored_hash_does_not_contain_code() -> Result<(), AuthError> {
        let h = hash(&keyed(), "tx1", &Secret::new("987654"))?;
        assert!(!h.contains("987654"));
        Ok(())
    }
}
