//! Handlebars views (strict mode), embedded in the binary. In dev mode templates are re-read on every
//! render so edits show without a rebuild of the view registry.
use crate::i18n::Messages;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::{json, Value};

#[derive(rust_embed::RustEmbed)]
#[folder = "templates"]
pub struct Templates;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("template {0}: {1}")]
    Template(String, String),
    #[error("messages: {0}")]
    Messages(#[from] crate::i18n::I18nError),
}

struct T(Messages);

impl HelperDef for T {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        let lang = ctx
            .data()
            .get("lang")
            .and_then(Value::as_str)
            .unwrap_or("sl");
        let text = self
            .0
            .get(lang, key)
            .ok_or_else(|| RenderErrorReason::Other(format!("message {key} missing in {lang}")))?;
        out.write(&handlebars::html_escape(text))?;
        Ok(())
    }
}

pub struct Views {
    hb: std::sync::RwLock<Handlebars<'static>>,
    dev_reload: bool,
}

fn registry() -> Result<Handlebars<'static>, ViewError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_helper("t", Box::new(T(Messages::load()?)));
    for name in Templates::iter() {
        if let Some(stem) = name.strip_suffix(".hbs") {
            let file = Templates::get(&name)
                .ok_or_else(|| ViewError::Template(name.to_string(), "missing".into()))?;
            let text = String::from_utf8_lossy(&file.data).to_string();
            hb.register_template_string(stem, text)
                .map_err(|e| ViewError::Template(name.to_string(), e.to_string()))?;
        }
    }
    Ok(hb)
}

impl Views {
    pub fn new(dev_reload: bool) -> Result<Views, ViewError> {
        Ok(Views {
            hb: std::sync::RwLock::new(registry()?),
            dev_reload,
        })
    }

    /// Renders `page` with `data` plus `lang` and `back` (the path for the language switch).
    pub fn render(
        &self,
        page: &str,
        lang: &str,
        back: &str,
        mut data: Value,
    ) -> Result<String, ViewError> {
        if self.dev_reload {
            if let Ok(fresh) = registry() {
                if let Ok(mut g) = self.hb.write() {
                    *g = fresh;
                }
            }
        }
        if let Value::Object(m) = &mut data {
            m.insert("lang".into(), json!(lang));
            m.insert("back".into(), json!(back));
        }
        let hb = match self.hb.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        hb.render(page, &data)
            .map_err(|e| ViewError::Template(page.into(), e.to_string()))
    }

    pub fn error_page(&self, lang: &str, key: &str, reference: &str) -> String {
        self.error_page_with(lang, key, reference, None)
    }

    /// The error page; `too_long` names the field (its label key) and the limit of an over-long entry.
    pub fn error_page_with(
        &self,
        lang: &str,
        key: &str,
        reference: &str,
        too_long: Option<&(String, String)>,
    ) -> String {
        let too_long = too_long.map(|(label, max)| json!({ "label": label, "max": max }));
        // The heading says what failed: an entry, the service, or (the usual case) the login.
        let heading = match key {
            "error.too_long" => "error.heading.input",
            "error.unavailable" => "error.heading.unavailable",
            _ => "error.heading",
        };
        self.render(
            "error",
            lang,
            "/",
            json!({ "title": "Error", "heading": heading, "message": key, "reference": reference,
                "too_long": too_long }),
        )
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page could not be rendered");
            format!(
                "<!doctype html><title>Error</title><p>Error reference {}</p>",
                handlebars::html_escape(reference)
            )
        })
    }

    pub fn static_file(name: &str) -> Option<(Vec<u8>, &'static str)> {
        let f = Templates::get(&format!("static/{name}"))?;
        let mime = if name.ends_with(".css") {
            "text/css; charset=utf-8"
        } else if name.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "application/octet-stream"
        };
        Some((f.data.to_vec(), mime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_in_both_languages() {
        let v = Views::new(false);
        assert!(v.is_ok(), "{:?}", v.err());
        let Ok(v) = v else { return };
        for lang in crate::i18n::LANGS {
            let page = v.error_page(lang, "error.internal", "abc");
            assert!(page.contains("abc"));
            let limit = ("field.username".to_string(), "64".to_string());
            let page = v.error_page_with(lang, "error.too_long", "abc", Some(&limit));
            assert!(
                page.contains("64") && !page.contains("field.username"),
                "{page}"
            );
            for (name, data) in [
                ("home", json!({"title": "x"})),
                (
                    "choose",
                    json!({"title": "x", "sp_name": "S", "csrf": "c", "step_up": false}),
                ),
                (
                    "password",
                    json!({"title": "x", "sp_name": "S", "csrf": "c", "username": "", "message": null, "message_extra": ""}),
                ),
                (
                    "otp",
                    json!({"title": "x", "sp_name": "S", "csrf": "c", "phone": "+386•••1", "message": null, "message_extra": ""}),
                ),
                (
                    "post",
                    json!({"title": "x", "acs_url": "https://sp/acs", "saml_response": "PHg+", "relay_state": "r"}),
                ),
                (
                    "staff_login",
                    json!({"title": "x", "csrf": "c", "username": "", "message": "password.invalid", "message_extra": ""}),
                ),
                (
                    "staff_otp",
                    json!({"title": "x", "csrf": "c", "message": null, "message_extra": ""}),
                ),
                (
                    "staff_home",
                    json!({"title": "x", "display_name": "A", "username": "a", "csrf": "c",
                        "roles": ["staff.role.officer", "staff.role.operator", "staff.role.auditor"],
                        "areas": [{"href": "/audit", "key": "staff.area.auditor"}]}),
                ),
                (
                    "audit",
                    json!({"title": "x", "q": {"from": "", "to": "", "actor": "", "citizen": "", "sp": "", "kind": ""},
                        "rows": [{"at": "t", "kind": "k", "actor": "a", "citizen": "", "sp": "", "detail": "{}"}],
                        "page": 1, "prev": null, "next": "page=2", "csv": ""}),
                ),
            ] {
                let r = v.render(name, lang, "/", data);
                assert!(r.is_ok(), "{name}/{lang}: {r:?}");
            }
        }
    }

    #[test]
    fn values_are_escaped() {
        let Ok(v) = Views::new(false) else {
            panic!("views")
        };
        let r = v
            .render("choose", "sl", "/", json!({"title": "x", "sp_name": "<script>x</script>", "csrf": "c", "step_up": false}))
            .unwrap_or_default();
        assert!(!r.contains("<script>x"));
        assert!(r.contains("&lt;script&gt;"));
    }
}
