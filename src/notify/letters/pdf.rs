//! The PDF of a letter batch: one A4 page per letter, DejaVu Sans embedded (subset) so č, š, ž print.
use super::{date_sl, Letter, LetterError};
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::Document;

const FONT: &[u8] = include_bytes!("../../../templates/fonts/DejaVuSans.ttf");

pub const A4_WIDTH_MM: f32 = 210.0;
pub const A4_HEIGHT_MM: f32 = 297.0;

/// The envelope window (left, top, width, height in mm from the page's top-left corner).
pub const WINDOW: (f32, f32, f32, f32) = (20.0, 45.0, 85.0, 45.0);

const LEFT_MM: f32 = 20.0;
const TEXT_WIDTH_MM: f32 = 170.0;
const MAX_ADDRESS_LINES: usize = 5;
const MAX_LINE_CHARS: usize = 60;

const SENDER: [&str; 3] = [
    "smsPASS",
    "Služba za prijavna sredstva",
    "Izdajatelj e-identitete",
];

fn pt(mm: f32) -> f32 {
    mm * 72.0 / 25.4
}

struct Pen<'a, 'b> {
    surface: &'a mut krilla::surface::Surface<'b>,
    font: Font,
}

impl Pen<'_, '_> {
    /// Text with its baseline `y_mm` from the top, starting `x_mm` from the left.
    fn text(&mut self, x_mm: f32, y_mm: f32, size: f32, s: &str) {
        self.surface.draw_text(
            Point::from_xy(pt(x_mm), pt(y_mm)),
            self.font.clone(),
            size,
            s,
            false,
            TextDirection::Auto,
        );
    }

    /// A paragraph wrapped at word boundaries; returns the baseline after it.
    fn paragraph(&mut self, y_mm: f32, size: f32, s: &str) -> f32 {
        // DejaVu Sans averages about 0.55 em per character; stay a little below the width.
        let per_line = ((pt(TEXT_WIDTH_MM) / (size * 0.58)) as usize).max(20);
        let line_mm = size * 1.45 * 25.4 / 72.0;
        let mut y = y_mm;
        for line in wrap(s, per_line) {
            self.text(LEFT_MM, y, size, &line);
            y += line_mm;
        }
        y + line_mm * 0.5
    }
}

/// Greedy word wrap to at most `width` characters per line (longer words stand alone).
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in s.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn check(l: &Letter) -> Result<(), LetterError> {
    let bad = |why: &str| Err(LetterError::Invalid(l.reference.clone(), why.into()));
    if l.name.trim().is_empty() {
        return bad("no name");
    }
    if l.address_lines.is_empty() || l.address_lines.len() + 1 > MAX_ADDRESS_LINES {
        return bad("the address needs 1-4 lines besides the name");
    }
    if std::iter::once(&l.name)
        .chain(&l.address_lines)
        .any(|a| a.chars().count() > MAX_LINE_CHARS || a.chars().any(char::is_control))
    {
        return bad("an address line is too long or holds control characters");
    }
    if l.activation_code.trim().is_empty() {
        return bad("no activation code");
    }
    Ok(())
}

fn body_sl(l: &Letter) -> [String; 4] {
    [
        "Spoštovani,".to_string(),
        format!(
            "zahtevali ste aktivacijo smsPASS s kvalificiranim digitalnim potrdilom (zahteva {}). \
             Za zaključek aktivacije potrebujete spodnjo aktivacijsko kodo.",
            l.reference
        ),
        "Kako zaključite aktivacijo: prijavite se v svoj uporabniški račun z uporabniškim imenom \
         in geslom, izberite »Nadaljuj aktivacijo smsPASS«, vpišite aktivacijsko kodo in številko \
         mobilnega telefona. Na telefon boste prejeli potrditveno kodo SMS; ko jo vpišete, je \
         smsPASS aktiven."
            .to_string(),
        format!(
            "Koda velja do vključno {}. Kode ne posredujte nikomur: naši uslužbenci je nikoli ne \
             bodo zahtevali. Če aktivacije niste zahtevali, nas čim prej obvestite in pismo uničite.",
            date_sl(l.expires_on)
        ),
    ]
}

fn body_en(l: &Letter) -> String {
    format!(
        "In English: this letter holds the activation code for smsPASS (request {}). Log in to your \
         account with your username and password, choose \"Continue smsPASS activation\", enter the \
         code and your mobile number, then confirm with the SMS code you receive. The code is valid \
         until {}. Never share it with anyone.",
        l.reference,
        l.expires_on.format("%Y-%m-%d")
    )
}

fn draw_page(pen: &mut Pen<'_, '_>, l: &Letter) {
    // Sender block, top right.
    for (i, s) in SENDER.iter().enumerate() {
        pen.text(
            125.0,
            20.0 + 5.0 * i as f32,
            if i == 0 { 13.0 } else { 9.0 },
            s,
        );
    }
    // Return address line at the top of the window, then the recipient.
    let (wx, wy, _, _) = WINDOW;
    pen.text(wx, wy + 3.5, 6.5, &format!("{}, {}", SENDER[0], SENDER[1]));
    let mut y = wy + 12.0;
    for line in std::iter::once(&l.name).chain(&l.address_lines) {
        pen.text(wx, y, 10.5, line);
        y += 4.8;
    }
    // Date and reference, right of the window.
    pen.text(125.0, 80.0, 9.5, &format!("Datum: {}", date_sl(l.date)));
    pen.text(125.0, 85.0, 9.5, &format!("Sklic: {}", l.reference));
    // Subject, text, code.
    pen.text(LEFT_MM, 105.0, 13.0, "Aktivacijska koda za smsPASS");
    let mut y = 117.0;
    let body = body_sl(l);
    for p in &body[..3] {
        y = pen.paragraph(y, 10.5, p);
    }
    y += 4.0;
    pen.text(LEFT_MM, y, 10.5, "Vaša aktivacijska koda:");
    pen.text(LEFT_MM + 50.0, y + 1.0, 18.0, &l.activation_code);
    y += 14.0;
    y = pen.paragraph(y, 10.5, &body[3]);
    if l.lang == "en" {
        y = pen.paragraph(y + 4.0, 9.0, &body_en(l));
    }
    let _ = y;
    pen.text(
        LEFT_MM,
        282.0,
        7.5,
        "To pismo je izdelano samodejno in je veljavno brez podpisa.",
    );
}

/// Renders the letters as one PDF, one A4 page each, in the given order.
pub fn render_batch(letters: &[Letter]) -> Result<Vec<u8>, LetterError> {
    if letters.is_empty() {
        return Err(LetterError::Empty);
    }
    for l in letters {
        check(l)?;
    }
    let font = Font::new(FONT.into(), 0).ok_or_else(|| LetterError::Font("DejaVu Sans".into()))?;
    let settings = || {
        PageSettings::from_wh(pt(A4_WIDTH_MM), pt(A4_HEIGHT_MM))
            .ok_or_else(|| LetterError::Pdf("page size".into()))
    };
    let mut doc = Document::new();
    for l in letters {
        let mut page = doc.start_page_with(settings()?);
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            font: font.clone(),
        };
        draw_page(&mut pen, l);
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| LetterError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
#[path = "pdf_tests.rs"]
mod tests;
