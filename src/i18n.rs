//! Languages and message catalogs (Slovenian default, English). Catalogs are embedded in the binary.
use std::collections::HashMap;

pub const LANGS: [&str; 2] = ["sl", "en"];

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/i18n"]
struct Catalogs;

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("message catalog {0} is missing")]
    Missing(String),
    #[error("message catalog {0}: {1}")]
    Parse(String, serde_json::Error),
}

#[derive(Debug, Clone, Default)]
pub struct Messages {
    by_lang: HashMap<String, HashMap<String, String>>,
}

impl Messages {
    pub fn load() -> Result<Messages, I18nError> {
        let mut by_lang = HashMap::new();
        for lang in LANGS {
            let name = format!("{lang}.json");
            let file = Catalogs::get(&name).ok_or_else(|| I18nError::Missing(name.clone()))?;
            let map: HashMap<String, String> =
                serde_json::from_slice(&file.data).map_err(|e| I18nError::Parse(name, e))?;
            by_lang.insert(lang.to_string(), map);
        }
        Ok(Messages { by_lang })
    }
    pub fn get(&self, lang: &str, key: &str) -> Option<&str> {
        self.by_lang
            .get(lang)
            .and_then(|m| m.get(key))
            .map(String::as_str)
    }
    pub fn keys(&self, lang: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .by_lang
            .get(lang)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// Picks a supported language: explicit choice, else the first supported in Accept-Language, else default.
pub fn negotiate(
    explicit: Option<&str>,
    accept_language: Option<&str>,
    default: &str,
) -> &'static str {
    let pick = |s: &str| LANGS.iter().copied().find(|l| *l == s);
    if let Some(l) = explicit.and_then(pick) {
        return l;
    }
    if let Some(al) = accept_language {
        for part in al.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim().to_lowercase();
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = pick(primary) {
                return l;
            }
        }
    }
    pick(default).unwrap_or("sl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_every_language() {
        let m = Messages::load();
        assert!(m.is_ok(), "{m:?}");
        let Ok(m) = m else { return };
        let sl = m.keys("sl");
        let en = m.keys("en");
        assert!(!sl.is_empty());
        assert_eq!(sl, en, "sl and en catalogs must have the same keys");
    }

    #[test]
    fn every_t_key_used_in_templates_exists() {
        let Ok(m) = Messages::load() else {
            panic!("catalogs")
        };
        let re = regex::Regex::new(r#"\{\{t "([a-z_.]+)"\}\}"#).ok();
        let Some(re) = re else { panic!("regex") };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|x| x == "hbs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for cap in re.captures_iter(&text) {
                    for lang in LANGS {
                        assert!(
                            m.get(lang, &cap[1]).is_some(),
                            "{} missing in {lang} ({})",
                            &cap[1],
                            p.display()
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 20);
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(Some("en"), None, "sl"), "en");
        assert_eq!(negotiate(Some("de"), Some("de-DE,en;q=0.8"), "sl"), "en");
        assert_eq!(negotiate(None, Some("fr"), "sl"), "sl");
        assert_eq!(negotiate(None, None, "en"), "en");
    }
}
