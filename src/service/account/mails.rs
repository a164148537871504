//! The texts of the mails sent to citizens about their account, in Slovenian and English.
use crate::notify::mail::Mail;

fn hours_or_minutes(secs: i64, lang: &str) -> String {
    match (lang, secs >= 3600 && secs % 3600 == 0) {
        ("en", true) => format!("{} h", secs / 3600),
        (_, true) => format!("{} ur", secs / 3600),
        _ => format!("{} min", (secs + 59) / 60),
    }
}

pub fn verify_mail(lang: &str, to: &str, given_name: &str, link: &str, ttl_secs: i64) -> Mail {
    let valid = hours_or_minutes(ttl_secs, lang);
    let (subject, text) = match lang {
        "en" => (
            "Confirm your e-mail address".to_string(),
            format!(
                "Hello {given_name},\n\nplease confirm the e-mail address of your account by opening this link:\n\n{link}\n\nThe link is valid for {valid} and can be used once.\nIf you did not create an account, ignore this message.\n"
            ),
        ),
        _ => (
            "Potrdite svoj e-naslov".to_string(),
            format!(
                "Pozdravljeni, {given_name},\n\npotrdite e-naslov svojega uporabniškega računa tako, da odprete to povezavo:\n\n{link}\n\nPovezava velja {valid} in jo lahko uporabite enkrat.\nČe računa niste odprli vi, sporočilo prezrite.\n"
            ),
        ),
    };
    Mail {
        to: to.to_string(),
        subject,
        text,
    }
}

/// To the address given in a registration whose username is taken: no account was opened.
pub fn taken_mail(lang: &str, to: &str, username: &str, base_url: &str) -> Mail {
    let (subject, text) = match lang {
        "en" => (
            "Your registration".to_string(),
            format!(
                "Hello,\n\nsomeone (perhaps you) tried to open an account with the username {username} and this e-mail address. That username is already taken, so no account was opened.\n\nIf the account is yours, log in at {base_url}/account/login; if you have forgotten its password, you can reset it at {base_url}/account/reset.\nOtherwise register again with another username at {base_url}/account/register.\nIf it was not you, ignore this message.\n"
            ),
        ),
        _ => (
            "Vaša registracija".to_string(),
            format!(
                "Pozdravljeni,\n\nnekdo (morda vi) je poskušal odpreti uporabniški račun z uporabniškim imenom {username} in tem e-naslovom. To uporabniško ime je že zasedeno, zato račun ni bil odprt.\n\nČe je račun vaš, se prijavite na {base_url}/account/login; če ste pozabili geslo, ga lahko ponastavite na {base_url}/account/reset.\nSicer se znova registrirajte z drugim uporabniškim imenom na {base_url}/account/register.\nČe to niste bili vi, sporočilo prezrite.\n"
            ),
        ),
    };
    Mail {
        to: to.to_string(),
        subject,
        text,
    }
}

pub fn reset_mail(lang: &str, to: &str, username: &str, link: &str, ttl_secs: i64) -> Mail {
    let valid = hours_or_minutes(ttl_secs, lang);
    let (subject, text) = match lang {
        "en" => (
            "Resetting your password".to_string(),
            format!(
                "Hello,\n\nsomeone asked to reset the password of the account {username}. To choose a new password, open this link:\n\n{link}\n\nThe link is valid for {valid} and can be used once. Setting a new password logs the account out everywhere.\nIf it was not you, ignore this message: your password stays as it is.\n"
            ),
        ),
        _ => (
            "Ponastavitev gesla".to_string(),
            format!(
                "Pozdravljeni,\n\nnekdo je zahteval ponastavitev gesla za uporabniški račun {username}. Novo geslo izberete na tej povezavi:\n\n{link}\n\nPovezava velja {valid} in jo lahko uporabite enkrat. Z novim geslom se račun povsod odjavi.\nČe tega niste zahtevali vi, sporočilo prezrite: geslo ostane nespremenjeno.\n"
            ),
        ),
    };
    Mail {
        to: to.to_string(),
        subject,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_in_both_languages_carry_the_link() {
        let m = verify_mail(
            "sl",
            "a@b.si",
            "Žiga",
            "https://x/account/verify?token=t",
            86_400,
        );
        assert!(m.text.contains("https://x/account/verify?token=t"));
        assert!(m.text.contains("24 ur"));
        assert_eq!(m.subject, "Potrdite svoj e-naslov");
        let m = reset_mail("en", "a@b.si", "ziga", "https://x/r?token=t", 1800);
        assert!(m.text.contains("30 min") && m.text.contains("ziga"));
        assert_eq!(m.subject, "Resetting your password");
        let m = taken_mail("sl", "a@b.si", "ziga", "https://x");
        assert!(m.text.contains("ziga") && m.text.contains("https://x/account/reset"));
        assert_eq!(m.subject, "Vaša registracija");
    }
}
