//! Postal letters to citizens: the activation code of path B, printed as an A4 PDF batch for a
//! window envelope (address field after DIN 5008: 20 mm from the left edge, 45 mm from the top,
//! 85 × 45 mm — fits C5/C6 and DL window envelopes).
mod pdf;

pub use pdf::{render_batch, A4_HEIGHT_MM, A4_WIDTH_MM, WINDOW};

use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("no letters to render")]
    Empty,
    #[error("letter {0}: {1}")]
    Invalid(String, String),
    #[error("font: {0}")]
    Font(String),
    #[error("PDF: {0}")]
    Pdf(String),
}

/// One letter. The activation code is a secret: it is in the PDF and nowhere else, and `Debug`
/// does not show it.
#[derive(Clone)]
pub struct Letter {
    /// The activation request reference printed on the letter.
    pub reference: String,
    /// The recipient's full name (first line of the address).
    pub name: String,
    /// Street, postcode and town, … (at most 5 lines).
    pub address_lines: Vec<String>,
    pub activation_code: String,
    pub expires_on: NaiveDate,
    /// Date printed on the letter (the day of printing, from the app's clock).
    pub date: NaiveDate,
    /// `sl` (default) or `en`: the letter is in Slovenian; `en` adds an English summary.
    pub lang: String,
}

impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("reference", &self.reference)
            .field("name", &self.name)
            .field("address_lines", &self.address_lines.len())
            .field("activation_code", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// A Slovenian date as printed on letters: `25. 11. 2026`.
pub fn date_sl(d: NaiveDate) -> String {
    d.format("%-d. %-m. %Y").to_string()
}
