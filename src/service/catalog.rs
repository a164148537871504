//! The public list of connected e-services (`/storitve`, `/services`): enabled e-services of the
//! registry in force, so a new e-service appears as soon as the registry reloads.
use super::Catalog;
use crate::domain::loa::Level;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CatalogEntry {
    pub entity_id: String,
    pub name: String,
    pub description: Option<String>,
    /// mdui:InformationURL, only if it is an https URL.
    pub information_url: Option<String>,
    /// mdui:Logo, only if it is an https URL (the catalog page allows https images for it).
    pub logo_url: Option<String>,
    /// "password" or "smspass".
    pub login: &'static str,
}

/// Lower case without diacritics (č→c, š→s, ž→z, ć→c, đ→d, and common Latin accents).
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'č' | 'ć' | 'ç' => 'c',
            'š' | 'ś' => 's',
            'ž' | 'ź' | 'ż' => 'z',
            'đ' => 'd',
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ě' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ő' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'ű' => 'u',
            'ñ' | 'ň' => 'n',
            'ř' => 'r',
            'ý' => 'y',
            other => other,
        })
        .collect()
}

fn https_only(u: Option<&String>) -> Option<String> {
    u.filter(|u| url::Url::parse(u).is_ok_and(|p| p.scheme() == "https"))
        .cloned()
}

impl Catalog {
    /// Enabled e-services matching `q` (all words, case- and diacritics-insensitive, in name,
    /// description or entityID), sorted by name.
    pub fn entries(&self, lang: &str, q: Option<&str>) -> Vec<CatalogEntry> {
        catalog(self, lang, q)
    }
}

fn catalog(svc: &Catalog, lang: &str, q: Option<&str>) -> Vec<CatalogEntry> {
    let words: Vec<String> = q
        .map(fold)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let reg = svc.registry.snapshot();
    let mut out: Vec<CatalogEntry> = reg
        .all()
        .filter(|sp| sp.policy.enabled)
        .map(|sp| {
            let description = match lang {
                "en" => sp.policy.description_en.clone(),
                _ => sp.policy.description_sl.clone(),
            }
            .or_else(|| sp.metadata.description(lang));
            CatalogEntry {
                entity_id: sp.metadata.entity_id.clone(),
                name: sp.display_name(lang),
                description,
                information_url: https_only(sp.metadata.information_url.as_ref()),
                logo_url: https_only(sp.metadata.logo_url.as_ref()),
                login: match sp.policy.level() {
                    Level::Password => "password",
                    _ => "smspass",
                },
            }
        })
        .filter(|e| {
            let hay = fold(&format!(
                "{} {} {}",
                e.name,
                e.description.as_deref().unwrap_or(""),
                e.entity_id
            ));
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect();
    out.sort_by_key(|e| fold(&e.name));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn fold_removes_slovene_diacritics() {
        assert_eq!(super::fold("Čas ŠOLE žiri ĐAK ć"), "cas sole ziri dak c");
    }
}
