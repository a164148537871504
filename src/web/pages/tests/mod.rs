//! Every template renders from its view model, in every language, with samples that take the
//! optional branches both ways; and no template is left without a model and samples.
mod account;
mod staff;

use super::*;
use crate::i18n::{Messages, LANGS};
use crate::web::views::{Templates, Views};
use std::collections::BTreeSet;

/// Renders samples and records which templates they covered.
pub(super) struct Renderer {
    views: Views,
    /// Every catalog key with a dot (a bare word like `cancel` also occurs in markup).
    keys: Vec<String>,
    covered: BTreeSet<&'static str>,
}

impl Renderer {
    fn new() -> Renderer {
        let Ok(views) = Views::new(false) else {
            panic!("views")
        };
        let Ok(m) = Messages::load() else {
            panic!("catalogs")
        };
        let keys = m
            .keys("sl")
            .into_iter()
            .filter(|k| k.contains('.'))
            .collect();
        Renderer {
            views,
            keys,
            covered: BTreeSet::new(),
        }
    }

    pub(super) fn page<P: Page>(&mut self, page: &P) {
        self.page_showing(page, &[]);
    }

    /// Renders `page` in every language; each of `shows` must appear in the output.
    ///
    /// A render that succeeds already proves much: the `t` helper fails on a key missing in that
    /// language (sample keys included), and strict mode fails on a field the template reads that
    /// the model does not have. What is checked on top: the language of the page, no message key
    /// written as text (`{{key}}` where `{{t key}}` was meant), the values escaped (samples put
    /// `<b>` into text fields; no template writes that tag), and the values that must show.
    pub(super) fn page_showing<P: Page>(&mut self, page: &P, shows: &[&str]) {
        let name = P::TEMPLATE;
        assert!(!PARTIALS.contains(&name), "{name} is a partial");
        for lang in LANGS {
            let out = match self.views.render_page(lang, "/back", page) {
                Ok(out) => out,
                Err(e) => panic!("{name}/{lang}: {e}"),
            };
            assert!(
                out.contains(&format!("<html lang=\"{lang}\">")),
                "{name}/{lang}: no <html lang>"
            );
            if let Some(k) = self.keys.iter().find(|k| out.contains(k.as_str())) {
                panic!("{name}/{lang} shows the message key {k} as text:\n{out}");
            }
            assert!(
                !out.contains("<b>"),
                "{name}/{lang}: a value unescaped:\n{out}"
            );
            for s in shows {
                assert!(out.contains(s), "{name}/{lang}: {s:?} missing:\n{out}");
            }
        }
        self.covered.insert(name);
    }
}

#[test]
fn every_template_renders_from_its_view_model_in_both_languages() {
    let mut r = Renderer::new();
    public_pages(&mut r);
    account::pages(&mut r);
    staff::pages(&mut r);
    let templates: BTreeSet<String> = Templates::iter()
        .filter_map(|n| n.strip_suffix(".hbs").map(str::to_string))
        .collect();
    for p in PARTIALS {
        assert!(templates.contains(p), "partial {p} is not a template");
    }
    let pages: BTreeSet<&str> = templates
        .iter()
        .map(String::as_str)
        .filter(|n| !PARTIALS.contains(n))
        .collect();
    let missing: Vec<_> = pages.difference(&r.covered).collect();
    assert!(
        missing.is_empty(),
        "templates without a view model and samples here: {missing:?}"
    );
    let extra: Vec<_> = r.covered.difference(&pages).collect();
    assert!(
        extra.is_empty(),
        "view models without a template: {extra:?}"
    );
}

/// The public and login pages.
fn public_pages(r: &mut Renderer) {
    r.page(&Home { title: "pass-idp" });
    for step_up in [true, false] {
        r.page_showing(
            &Choose {
                title: "<b>S",
                sp_name: "<b>S",
                csrf: "c".into(),
                step_up,
            },
            &["&lt;b&gt;S"],
        );
    }
    for (message, extra) in [(None, ""), (Some("password.throttled"), "5 min.")] {
        r.page_showing(
            &PasswordPage {
                title: "S",
                sp_name: "S",
                csrf: "c".into(),
                username: "<b>u",
                message,
                message_extra: extra,
            },
            &[extra],
        );
    }
    for (phone, message, extra) in [
        (None, None, ""),
        (Some("+386•••456"), Some("otp.wrong"), "2"),
        (Some("+386•••456"), Some("otp.resend_wait"), "30 s"),
    ] {
        r.page_showing(
            &OtpPage {
                title: "S",
                sp_name: "S",
                csrf: "c".into(),
                phone: phone.map(str::to_string),
                message,
                message_extra: extra,
            },
            &[phone.unwrap_or(""), extra],
        );
    }
    for relay_state in [None, Some("<b>r")] {
        r.page_showing(
            &PostPage {
                title: "S",
                acs_url: "https://sp.example/acs",
                saml_response: "PHNhbWxwOlJlc3BvbnNlLz4+/w==",
                relay_state,
            },
            &["value=\"PHNhbWxwOlJlc3BvbnNlLz4+/w==\""],
        );
    }
    for (heading, message, too_long) in [
        ("error.heading", "error.internal", None),
        (
            "error.heading.input",
            "error.too_long",
            Some(TooLong {
                label: "field.username",
                max: "64",
            }),
        ),
    ] {
        r.page_showing(
            &ErrorPage {
                title: "Error",
                heading,
                message,
                reference: "<b>ref",
                too_long,
            },
            &["&lt;b&gt;ref"],
        );
    }
    for name in crate::service::demo::NAMES {
        let result = crate::saml::demo_sp::DemoLogin {
            name_id: "<b>n".into(),
            authn_context: "urn:x".into(),
            attributes: vec![("givenName".into(), "<b>J".into())],
        };
        for (result, error) in [(None, None), (None, Some("<b>bad")), (Some(result), None)] {
            r.page(&DemoPage {
                title: name,
                name,
                name_key: crate::web::message_keys::demo_name_key(name),
                result,
                error: error.map(str::to_string),
            });
        }
    }
    let entry = |logo: bool, login| crate::service::catalog::CatalogEntry {
        entity_id: "https://sp.example".into(),
        name: "<b>eUprava".into(),
        description: logo.then(|| "<b>d".into()),
        information_url: logo.then(|| "https://sp.example/info".into()),
        logo_url: logo.then(|| "https://sp.example/logo.png".into()),
        login,
    };
    for entries in [
        vec![],
        vec![entry(true, "password"), entry(false, "smspass")],
    ] {
        r.page(&CatalogPage {
            title: "catalog",
            action: "/services",
            q: "<b>q".into(),
            services: &entries,
            empty: entries.is_empty(),
        });
    }
    for cert in [None, Some(cert())] {
        r.page(&CertificateCheck {
            title: "smsPASS",
            cert,
        });
    }
}

/// A sample certificate.
pub(super) fn cert() -> CertView<'static> {
    CertView {
        subject: "CN=<b>Janez",
        issuer: "CN=CA",
        serial: "0A1B",
        not_after: "2030-01-01 00:00".into(),
    }
}
