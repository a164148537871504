//! Bounds on everything a browser sends in a form or a query string.
//!
//! Guarantees (negative tests in tests/edge_input.rs and below): every form read through one of the
//! CSRF form guards ([`bounded_form`]) and every query read through [`BoundedQuery`] is refused
//! before the handler runs when a field is longer than its limit in [`FIELDS`] (names not listed
//! there: [`DEFAULT_MAX`] characters; multipart forms call [`check_field`] for each text field) — a 400 page that names the field and its limit, nothing
//! stored. A query string over [`MAX_QUERY_BYTES`] is refused the same way, and a form body over the
//! form size limit (`FormConfig`) with 413.
use super::error::WebError;
use actix_web::dev::Payload;
use actix_web::error::UrlencodedError;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// Characters allowed in a field not named in [`FIELDS`].
pub const DEFAULT_MAX: usize = 256;
/// Longest query string read at all (bytes, still encoded).
pub const MAX_QUERY_BYTES: usize = 8192;
const PATH_MAX: usize = crate::domain::local_path::LocalPath::MAX_LEN;

/// Form and query field names: most characters, and the message key of the field's label.
pub const FIELDS: &[(&str, usize, &str)] = &[
    ("csrf_token", 128, "field.form"),
    ("action", 64, "field.form"),
    ("username", 64, "field.username"),
    ("password", 1024, "field.password"),
    ("password_repeat", 1024, "field.password"),
    ("current_password", 1024, "field.password"),
    ("otp", 16, "field.otp"),
    ("given_name", 200, "field.given_name"),
    ("family_name", 200, "field.family_name"),
    ("email", 254, "field.email"),
    ("street", 200, "field.street"),
    ("postcode", 10, "field.postcode"),
    ("city", 100, "field.city"),
    ("who", 254, "field.who"),
    ("token", 128, "field.token"),
    ("activation_code", 64, "field.activation_code"),
    ("phone", 32, "field.phone"),
    ("document_type", 64, "field.document"),
    ("document_number", 64, "field.document"),
    ("document_expiry", 32, "field.document"),
    ("office", 200, "field.office"),
    ("reason", 500, "field.reason"),
    ("why", 500, "field.why"),
    ("entity", 1024, "field.entity"),
    // An e-service's metadata document: bounded by the form size limit alone (and checked by the
    // metadata parser).
    ("metadata", usize::MAX, "field.metadata"),
    ("policy", 65_536, "field.policy"),
    ("version", 16, "field.form"),
    ("enabled", 16, "field.form"),
    // Query parameters.
    ("q", 100, "field.search"),
    ("msg", 64, "field.form"),
    ("next", PATH_MAX, "field.form"),
    ("back", PATH_MAX, "field.form"),
    ("level", 16, "field.form"),
    ("done", 16, "field.form"),
    ("page", 20, "field.form"),
    ("from", 64, "field.time"),
    ("to", 64, "field.time"),
    ("actor", 256, "field.actor"),
    ("citizen", 256, "field.citizen"),
    ("sp", 1024, "field.entity"),
    ("kind", 64, "field.kind"),
];

/// The limit and label key for a field name.
pub fn limit_of(name: &str) -> (usize, &'static str) {
    FIELDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, max, label)| (*max, *label))
        .unwrap_or((DEFAULT_MAX, "field.form"))
}

/// Refuses a field that is longer than its limit.
pub fn check_field(name: &str, value: &str) -> Result<(), WebError> {
    let (max, label) = limit_of(name);
    // Bytes bound characters from above: count only when it can matter.
    if value.len() > max && value.chars().count() > max {
        return Err(WebError::TooLong { label, max });
    }
    Ok(())
}

/// Refuses the first field that is longer than its limit.
pub fn check_fields(pairs: &[(String, String)]) -> Result<(), WebError> {
    pairs
        .iter()
        .try_for_each(|(name, value)| check_field(name, value))
}

/// Reads an url-encoded form body into `T` after [`check_fields`]. A body that cannot be read as a
/// form is refused as a foreign form (403), as the CSRF guards always did.
pub fn bounded_form<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<T, WebError>> {
    let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
    Box::pin(async move {
        let pairs = match form.await {
            Ok(f) => f.into_inner(),
            Err(e) => {
                return Err(match e.as_error::<UrlencodedError>() {
                    Some(UrlencodedError::Overflow { limit, .. }) => WebError::BodyTooLarge(*limit),
                    _ => WebError::Csrf,
                })
            }
        };
        check_fields(&pairs)?;
        let encoded = serde_urlencoded::to_string(&pairs).map_err(|_| WebError::Csrf)?;
        serde_urlencoded::from_str::<T>(&encoded).map_err(|_| WebError::Csrf)
    })
}

/// Parses a query string into `T` after [`check_fields`].
pub fn bounded_query<T: DeserializeOwned>(query: &str) -> Result<T, WebError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(WebError::TooLong {
            label: "field.form",
            max: MAX_QUERY_BYTES,
        });
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| WebError::BadRequest(format!("query: {e}")))?;
    check_fields(&pairs)?;
    serde_urlencoded::from_str(query).map_err(|e| WebError::BadRequest(format!("query: {e}")))
}

/// A query string whose every parameter is within its limit (else 400 before the handler runs).
pub struct BoundedQuery<T>(pub T);

impl<T> BoundedQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for BoundedQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for BoundedQuery<T> {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(bounded_query(req.query_string()).map(BoundedQuery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Q {
        q: Option<String>,
        #[serde(default)]
        page: Option<u64>,
    }

    #[test]
    fn fields_over_their_limit_are_refused() {
        let ok: Result<Q, _> = bounded_query("q=%C4%8Cebulj&page=2");
        assert!(matches!(ok, Ok(Q { q: Some(ref s), page: Some(2) }) if s == "Čebulj"));
        let at_limit = format!("q={}", "ž".repeat(100));
        assert!(bounded_query::<Q>(&at_limit).is_ok());
        let over = format!("q={}", "a".repeat(101));
        assert!(matches!(
            bounded_query::<Q>(&over),
            Err(WebError::TooLong {
                label: "field.search",
                max: 100
            })
        ));
        // A name the table does not know still has a limit.
        let unknown = format!("q=x&zzz={}", "a".repeat(DEFAULT_MAX + 1));
        assert!(matches!(
            bounded_query::<Q>(&unknown),
            Err(WebError::TooLong { .. })
        ));
        let huge = format!("q={}", "a".repeat(150_000));
        assert!(matches!(
            bounded_query::<Q>(&huge),
            Err(WebError::TooLong { .. })
        ));
    }

    #[test]
    fn every_label_is_translated() {
        let Ok(m) = crate::i18n::Messages::load() else {
            panic!("messages")
        };
        for (name, _, label) in FIELDS {
            for lang in crate::i18n::LANGS {
                assert!(m.get(lang, label).is_some(), "{name}: {label} in {lang}");
            }
        }
    }
}
