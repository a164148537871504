//! Request references ("A-7K3M-9Q2P") and activation codes ("K7M3-9Q2P-X4TZ"): random characters from
//! Crockford's base-32 alphabet (no I, L, O, U, so nothing is misread on paper). Codes are stored only
//! as keyed hashes bound to the citizen and compared in constant time.
use crate::auth::tokens::{ct_eq, Csprng, Keyed};
use crate::auth::{AuthError, Secret};
use crate::domain::smspass::ActivationPath;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of an activation code (12 × 5 = 60 random bits).
pub const CODE_LEN: usize = 12;

fn random_chars(rng: &Csprng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(ALPHABET[rng.below(32) as usize]))
        .collect()
}

fn groups(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join("-")
}

/// Upper case without separators; the letters people confuse with digits read as those digits.
fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn well_formed(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// A new request reference: the path letter and eight random characters.
pub fn new_reference(rng: &Csprng, path: ActivationPath) -> String {
    format!("{}-{}", path.as_str(), groups(&random_chars(rng, 8)))
}

/// What someone typed as a reference, in the stored form, if it can be one.
pub fn parse_reference(typed: &str) -> Option<String> {
    let t = typed.trim().to_ascii_uppercase();
    let (path, rest) = t.split_once('-')?;
    ActivationPath::parse(path)?;
    let body = normalise(rest);
    well_formed(&body, 8).then(|| format!("{path}-{}", groups(&body)))
}

/// A new activation code, grouped for reading.
pub fn new_code(rng: &Csprng) -> Secret {
    Secret::new(groups(&random_chars(rng, CODE_LEN)))
}

pub fn hash(keyed: &Keyed, citizen_id: &str, code: &Secret) -> Result<String, AuthError> {
    keyed.mac_hex(
        "activation-code",
        &[citizen_id.as_bytes(), normalise(code.expose()).as_bytes()],
    )
}

/// Whether `typed` is the code whose hash is stored (constant-time compare).
pub fn matches(
    keyed: &Keyed,
    citizen_id: &str,
    typed: &str,
    stored: &str,
) -> Result<bool, AuthError> {
    let n = normalise(typed);
    if !well_formed(&n, CODE_LEN) {
        return Ok(false);
    }
    Ok(ct_eq(&hash(keyed, citizen_id, &Secret::new(n))?, stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed() -> Keyed {
        Keyed::new("test-secret-0123456789abcdef0123456789").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn references_have_the_documented_shape_and_parse_back() {
        let rng = Csprng::from_os();
        let r = new_reference(&rng, ActivationPath::A);
        assert_eq!(r.len(), 11);
        assert!(r.starts_with("A-") && r.as_bytes()[6] == b'-');
        assert_eq!(parse_reference(&r.to_lowercase()), Some(r.clone()));
        assert_eq!(parse_reference("A-7K3M9Q2P"), Some("A-7K3M-9Q2P".into()));
        assert_eq!(parse_reference("A-7K3M-9Q2O"), Some("A-7K3M-9Q20".into()));
        for bad in [
            "",
            "A",
            "C-7K3M-9Q2P",
            "A-7K3M-9Q2",
            "A-7K3M-9Q2PX",
            "A-7K3M-9Q2U",
            "Novak",
        ] {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_match_loosely_typed_but_only_for_their_citizen() -> Result<(), AuthError> {
        let k = keyed();
        let rng = Csprng::from_os();
        let code = new_code(&rng);
        assert_eq!(code.expose().len(), 14);
        let h = hash(&k, "c1", &code)?;
        assert!(!h.contains(&code.expose().replace('-', "")));
        assert!(matches(&k, "c1", code.expose(), &h)?);
        let sloppy = code.expose().to_lowercase().replace('-', " ");
        assert!(matches(&k, "c1", &sloppy, &h)?);
        assert!(!matches(&k, "c2", code.expose(), &h)?);
        assert!(!matches(&k, "c1", "", &h)?);
        assert!(!matches(&k, "c1", "0000-0000-0000", &h)?);
        assert!(!matches(&k, "c1", &code.expose()[..10], &h)?);
        Ok(())
    }

    #[test]
    fn codes_vary() {
        let rng = Csprng::from_os();
        let set: std::collections::HashSet<String> = (0..100)
            .map(|_| new_code(&rng).expose().to_string())
            .collect();
        assert_eq!(set.len(), 100);
    }
}
