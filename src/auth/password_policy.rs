//! The one password policy, for every new password: citizens registering, changing or resetting
//! theirs on the user pages, citizens and staff members added from the command line. A minimum
//! length (`[account] password_min_length`), at most [`MAX_LENGTH`], not the username, not built
//! from the person's own details, and a zxcvbn strength score of at least `[account]
//! password_min_score` (the person's own details are fed to zxcvbn as user inputs, so a password
//! built from one's name, username or e-mail scores low).
use crate::config::AccountConfig;

/// Why a new password is refused; each has a message key the page shows, and a text for the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error("the password is too short")]
    TooShort,
    #[error("the password is too long (at most {MAX_LENGTH} characters)")]
    TooLong,
    #[error("the password must not be the username")]
    SameAsUsername,
    #[error("the password is too easy to guess (use a longer one or several unrelated words, not the person's own name, username, e-mail or address)")]
    TooWeak,
    #[error("the two passwords are not the same")]
    Mismatch,
}

impl PolicyRefusal {
    pub const ALL: [PolicyRefusal; 5] = [
        PolicyRefusal::TooShort,
        PolicyRefusal::TooLong,
        PolicyRefusal::SameAsUsername,
        PolicyRefusal::TooWeak,
        PolicyRefusal::Mismatch,
    ];

    pub fn message_key(self) -> &'static str {
        match self {
            PolicyRefusal::TooShort => "account.pw.too_short",
            PolicyRefusal::TooLong => "account.pw.too_long",
            PolicyRefusal::SameAsUsername => "account.pw.username",
            PolicyRefusal::TooWeak => "account.pw.weak",
            PolicyRefusal::Mismatch => "account.pw.mismatch",
        }
    }
}

/// Longest accepted password (argon2 input stays bounded).
pub const MAX_LENGTH: usize = 1024;

/// Checks a new password and its repetition. `user_inputs` are the person's own details (names,
/// e-mail, address, phone) that must not make up the password.
pub fn check(
    cfg: &AccountConfig,
    password: &str,
    repeat: &str,
    username: &str,
    user_inputs: &[&str],
) -> Result<(), PolicyRefusal> {
    if password != repeat {
        return Err(PolicyRefusal::Mismatch);
    }
    let len = password.chars().count();
    if len < cfg.password_min_length {
        return Err(PolicyRefusal::TooShort);
    }
    if len > MAX_LENGTH {
        return Err(PolicyRefusal::TooLong);
    }
    if password.trim().to_lowercase() == username.trim().to_lowercase() {
        return Err(PolicyRefusal::SameAsUsername);
    }
    // zxcvbn's cost grows with length; beyond 100 characters only the first 100 are scored.
    let scored: String = password.chars().take(100).collect();
    // zxcvbn matches user inputs in lower case; each detail also counts word by word.
    let mut owned: Vec<String> = vec![username.trim().to_lowercase()];
    for s in user_inputs {
        let s = s.trim().to_lowercase();
        if s.is_empty() {
            continue;
        }
        owned.extend(
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3)
                .map(str::to_string),
        );
        owned.push(s);
    }
    if built_from(password, &owned) {
        return Err(PolicyRefusal::TooWeak);
    }
    let inputs: Vec<&str> = owned.iter().map(String::as_str).collect();
    let score: u8 = zxcvbn::zxcvbn(&scored, &inputs).score().into();
    if score < cfg.password_min_score {
        return Err(PolicyRefusal::TooWeak);
    }
    Ok(())
}

/// True when, without the citizen's own details, digits and punctuation, fewer than four letters
/// remain (e.g. "Mojca-Kranjc-1000"): zxcvbn alone still scores such joins as fairly strong.
fn built_from(password: &str, details: &[String]) -> bool {
    let mut rest = password.to_lowercase();
    let mut words: Vec<&String> = details.iter().filter(|w| w.chars().count() >= 3).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    for w in words {
        rest = rest.replace(w.as_str(), "");
    }
    rest.chars().filter(|c| c.is_alphabetic()).count() < 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AccountConfig {
        AccountConfig::default()
    }

    #[test]
    fn strong_password_accepted() {
        let pw = "Kozolec-v-megli-7-jabolk";
        assert_eq!(check(&cfg(), pw, pw, "janez", &["Janez", "Novak"]), Ok(()));
    }

    #[test]
    fn refusals_say_why() {
        let c = cfg();
        assert_eq!(
            check(&c, "Abc-12", "Abc-12", "janez", &[]),
            Err(PolicyRefusal::TooShort)
        );
        assert_eq!(
            check(&c, "password123", "password123", "janez", &[]),
            Err(PolicyRefusal::TooWeak)
        );
        assert_eq!(
            check(&c, "aaaaaaaaaaaa", "aaaaaaaaaaaa", "janez", &[]),
            Err(PolicyRefusal::TooWeak)
        );
        assert_eq!(
            check(&c, "Janez.Novak77", "Janez.Novak77", "janez.novak77", &[]),
            Err(PolicyRefusal::SameAsUsername)
        );
        assert_eq!(
            check(&c, "Kozolec-v-megli-7", "Kozolec-v-megli-8", "janez", &[]),
            Err(PolicyRefusal::Mismatch)
        );
        let long = "x".repeat(MAX_LENGTH + 1);
        assert_eq!(
            check(&c, &long, &long, "janez", &[]),
            Err(PolicyRefusal::TooLong)
        );
    }

    #[test]
    fn own_details_weaken_the_score() {
        // Scores well on its own, but is made of the citizen's own details.
        let pw = "Zgornjihrastovec42";
        let c = cfg();
        assert_eq!(check(&c, pw, pw, "someone", &[]), Ok(()));
        assert_eq!(
            check(&c, pw, pw, "someone", &["Zgornjihrastovec 12"]),
            Err(PolicyRefusal::TooWeak)
        );
        assert_eq!(
            check(&c, pw, pw, "zgornjihrastovec", &[]),
            Err(PolicyRefusal::TooWeak)
        );
        // Name, surname and postcode joined: refused though zxcvbn alone would pass it.
        let pw = "Mojca-Kranjc-1000";
        assert_eq!(
            check(&c, pw, pw, "mk", &["Mojca", "Kranjc", "1000"]),
            Err(PolicyRefusal::TooWeak)
        );
        let pw = "Mojca-ima-rada-kozolce-77";
        assert_eq!(check(&c, pw, pw, "mk", &["Mojca", "Kranjc"]), Ok(()));
    }

    #[test]
    fn the_documented_demo_password_passes() {
        // README and Makefile: `make demo-user` adds it with `user add`, which uses this policy.
        let pw = "Geslo-za-prijavo-2026";
        let details = ["Janez", "Novak", "janez.novak@example.si"];
        assert_eq!(check(&cfg(), pw, pw, "demo", &details), Ok(()));
    }

    #[test]
    fn minimum_length_is_configurable() {
        let c = AccountConfig {
            password_min_length: 30,
            ..cfg()
        };
        let pw = "Kozolec-v-megli-7-jabolk";
        assert_eq!(
            check(&c, pw, pw, "janez", &[]),
            Err(PolicyRefusal::TooShort)
        );
    }
}
