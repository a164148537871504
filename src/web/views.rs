//! Handlebars views (strict mode), embedded in the binary. In dev mode templates are re-read on every
//! render so edits show without a rebuild of the view registry.
use super::pages::{ErrorPage, Page, TooLong};
use crate::i18n::Messages;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::Value;

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

    /// Renders `page` (its template, [`Page::TEMPLATE`]) with its fields plus `lang` and `back`
    /// (the path for the language switch).
    pub fn render_page<P: Page>(
        &self,
        lang: &str,
        back: &str,
        page: &P,
    ) -> Result<String, ViewError> {
        let name = P::TEMPLATE;
        let mut data = serde_json::to_value(page)
            .map_err(|e| ViewError::Template(name.into(), e.to_string()))?;
        let Value::Object(m) = &mut data else {
            return Err(ViewError::Template(
                name.into(),
                "page is not a struct".into(),
            ));
        };
        m.insert("lang".into(), Value::from(lang));
        m.insert("back".into(), Value::from(back));
        if self.dev_reload {
            if let Ok(fresh) = registry() {
                if let Ok(mut g) = self.hb.write() {
                    *g = fresh;
                }
            }
        }
        let hb = match self.hb.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        hb.render(name, &data)
            .map_err(|e| ViewError::Template(name.into(), e.to_string()))
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
        // The heading says what failed: an entry, the service, or (the usual case) the login.
        let heading = match key {
            "error.too_long" => "error.heading.input",
            "error.unavailable" => "error.heading.unavailable",
            _ => "error.heading",
        };
        let page = ErrorPage {
            title: "Error",
            heading,
            message: key,
            reference,
            too_long: too_long.map(|(label, max)| TooLong { label, max }),
        };
        self.render_page(lang, "/", &page).unwrap_or_else(|e| {
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
    use crate::web::pages::Choose;

    #[test]
    fn error_page_names_the_field_and_its_limit() {
        let Ok(v) = Views::new(false) else {
            panic!("views")
        };
        for lang in crate::i18n::LANGS {
            let page = v.error_page(lang, "error.internal", "abc");
            assert!(page.contains("<code>abc</code>"), "{page}");
            let limit = ("field.username".to_string(), "64".to_string());
            let page = v.error_page_with(lang, "error.too_long", "abc", Some(&limit));
            assert!(
                page.contains("64") && !page.contains("field.username"),
                "{page}"
            );
        }
    }

    #[test]
    fn values_are_escaped() {
        let Ok(v) = Views::new(false) else {
            panic!("views")
        };
        let page = Choose {
            title: "x",
            sp_name: "<script>x</script>",
            csrf: "c".into(),
            step_up: false,
        };
        let r = v.render_page("sl", "/", &page).unwrap_or_default();
        assert!(!r.contains("<script>x"));
        assert!(r.contains("&lt;script&gt;"));
    }
}
