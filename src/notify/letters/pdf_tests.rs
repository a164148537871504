#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use chrono::NaiveDate;

fn letter(name: &str, code: &str) -> Letter {
    Letter {
        reference: "B-7Q4K-2M9X".into(),
        name: name.into(),
        address_lines: vec!["Čopova ulica 14".into(), "1000 Ljubljana".into()],
        activation_code: code.into(),
        expires_on: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
        date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        lang: "sl".into(),
    }
}

fn tool(cmd: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("batch.pdf");
    std::fs::write(&f, pdf).unwrap();
    let out = std::process::Command::new(cmd)
        .args(args)
        .arg(&f)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("{cmd} not runnable (install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pdfinfo(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("batch.pdf");
    std::fs::write(&f, pdf).unwrap();
    let out = std::process::Command::new("pdfinfo")
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn batch_has_one_a4_page_per_letter_with_name_address_and_code() {
    let pdf = render_batch(&[
        letter("Žiga Šuštar", "K7M2-QX9P-4TRA"),
        letter("Ana Česnik", "ZZ99-AB12-CD34"),
    ])
    .unwrap();
    let info = pdfinfo(&pdf);
    assert!(info.contains("Pages:           2"), "{info}");
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
    let text = tool("pdftotext", &["-layout"], &pdf);
    for needle in [
        "Žiga Šuštar",
        "Ana Česnik",
        "Čopova ulica 14",
        "1000 Ljubljana",
        "K7M2-QX9P-4TRA",
        "ZZ99-AB12-CD34",
        "B-7Q4K-2M9X",
        "25. 12. 2026",
        "aktivacijska koda",
    ] {
        assert!(text.contains(needle), "{needle} missing in:\n{text}");
    }
    // Each code is on its own page.
    let pages: Vec<&str> = text.split('\u{c}').collect();
    assert!(pages[0].contains("K7M2-QX9P-4TRA") && !pages[0].contains("ZZ99-AB12-CD34"));
    assert!(pages[1].contains("ZZ99-AB12-CD34"));
}

/// Word boxes from `pdftotext -bbox`: (word, xMin, yMin, xMax, yMax) in points from the top-left.
fn words(pdf: &[u8]) -> Vec<(String, f32, f32, f32, f32)> {
    let html = tool("pdftotext", &["-bbox"], pdf);
    let re = |attr: &str, line: &str| -> f32 {
        let k = format!("{attr}=\"");
        let i = line.find(&k).unwrap() + k.len();
        line[i..].split('"').next().unwrap().parse().unwrap()
    };
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .map(|l| {
            let w = l
                .split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string();
            (
                w,
                re("xMin", l),
                re("yMin", l),
                re("xMax", l),
                re("yMax", l),
            )
        })
        .collect()
}

#[test]
fn recipient_address_sits_in_the_envelope_window() {
    let pdf = render_batch(&[letter("Žiga Šuštar", "K7M2-QX9P-4TRA")]).unwrap();
    let ws = words(&pdf);
    let mm = |p: f32| p * 25.4 / 72.0;
    let (wx, wy, ww, wh) = WINDOW;
    for needle in ["Žiga", "Šuštar", "Čopova", "Ljubljana"] {
        let (_, x0, y0, x1, y1) = ws
            .iter()
            .find(|w| w.0 == needle)
            .cloned()
            .unwrap_or_else(|| panic!("{needle} not found"));
        assert!(
            mm(x0) >= wx && mm(x1) <= wx + ww,
            "{needle} x {} - {}",
            mm(x0),
            mm(x1)
        );
        assert!(
            mm(y0) >= wy && mm(y1) <= wy + wh,
            "{needle} y {} - {}",
            mm(y0),
            mm(y1)
        );
    }
    // The code is not in the window (it must not show through the envelope).
    let (_, _, y0, _, _) = ws
        .iter()
        .find(|w| w.0 == "K7M2-QX9P-4TRA")
        .cloned()
        .unwrap();
    assert!(mm(y0) > wy + wh);
}

#[test]
fn bad_letters_are_refused_and_debug_hides_the_code() {
    assert!(matches!(render_batch(&[]), Err(LetterError::Empty)));
    let mut l = letter("Ana", "SECRET-CODE-1");
    assert!(!format!("{l:?}").contains("SECRET-CODE-1"));
    l.address_lines.clear();
    assert!(matches!(render_batch(&[l]), Err(LetterError::Invalid(..))));
    let mut l = letter("Ana", "X");
    l.address_lines = vec!["a\nb".into()];
    assert!(render_batch(&[l]).is_err());
}

#[test]
fn wrap_keeps_words_whole() {
    let lines = wrap("ena dva tri štiri pet", 9);
    assert_eq!(lines, vec!["ena dva", "tri štiri", "pet"]);
}
