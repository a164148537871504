//! The single mapping from errors to HTTP. Citizens see a translated page with a reference id; the
//! details go to the log only.
use super::extract::LocalPath;
use super::state::AppState;
use crate::service::login::LoginError;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpResponse, ResponseError};

const REF_HEADER: &str = "x-error-reference";
const KEY_HEADER: &str = "x-error-message";
/// For [`WebError::TooLong`]: the label key of the field and its limit (internal, like the two above).
const FIELD_HEADER: &str = "x-error-field";
const MAX_HEADER: &str = "x-error-max";

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unknown e-service: {0}")]
    UnknownSp(String),
    #[error("e-service disabled: {0}")]
    SpDisabled(String),
    #[error("ACS not in metadata: {0}")]
    Acs(String),
    #[error("no login transaction")]
    NoTransaction,
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("smsPASS not active")]
    SmsPassInactive,
    #[error("internal: {0}")]
    Internal(String),
    /// Not logged in as staff: redirect to the staff login, then back to this local path.
    #[error("staff login required")]
    StaffLogin(LocalPath),
    /// Logged in as staff, but without the role this page needs.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// Not logged in to the user pages (or not at the level the page needs): redirect to the citizen
    /// login, then back to this local path.
    #[error("citizen login required")]
    CitizenLogin { next: LocalPath, smspass: bool },
    /// A form field or query parameter is longer than its limit (`label`: its message key).
    #[error("field {label} longer than {max} characters")]
    TooLong { label: &'static str, max: usize },
    /// The form body is larger than the form size limit (bytes).
    #[error("form body over {0} bytes")]
    BodyTooLarge(usize),
    /// The database cannot be used right now: 503 with `Retry-After` and a "try again in a
    /// moment" page.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A client certificate was presented and refused.
    #[error("client certificate refused: {0}")]
    CertRefused(String),
    /// A bearer token is needed (and was missing or wrong): 401 with a `WWW-Authenticate`
    /// challenge for this realm.
    #[error("credentials required for {0}")]
    Unauthorized(&'static str),
}

impl From<crate::service::metrics_access::MetricsRefused> for WebError {
    fn from(e: crate::service::metrics_access::MetricsRefused) -> Self {
        use crate::service::metrics_access::MetricsRefused;
        match e {
            MetricsRefused::NotServed => WebError::NotFound(e.to_string()),
            MetricsRefused::Unauthorized => WebError::Unauthorized("metrics"),
        }
    }
}

impl From<crate::service::client_cert::ClientCertError> for WebError {
    fn from(e: crate::service::client_cert::ClientCertError) -> Self {
        use crate::service::client_cert::ClientCertError as E;
        match e {
            E::NoCertificate => WebError::BadRequest("no client certificate".into()),
            E::Refused(r) => WebError::CertRefused(r.to_string()),
            E::AlreadyRegistered => WebError::BadRequest("certificate already registered".into()),
            E::Activation(a) => WebError::from(a),
            E::Internal(s) => WebError::Internal(s),
        }
    }
}

impl From<crate::storage::StorageError> for WebError {
    fn from(e: crate::storage::StorageError) -> Self {
        use crate::storage::StorageError as E;
        match e {
            E::Unavailable(s) => WebError::Unavailable(s),
            E::Db(_) | E::Corrupt(_) | E::Conflict(_) | E::NotFound(_) | E::Replayed => {
                WebError::Internal(e.to_string())
            }
        }
    }
}

impl From<crate::service::letters::LettersError> for WebError {
    fn from(e: crate::service::letters::LettersError) -> Self {
        use crate::service::letters::LettersError as E;
        match e {
            E::Storage(s) => WebError::from(s),
            E::Render(_) | E::Write(..) | E::Invalid(_) => WebError::Internal(e.to_string()),
        }
    }
}

impl From<crate::auth::AuthError> for WebError {
    fn from(e: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError as E;
        match e {
            E::Hash(_) | E::PoolClosed | E::Crypto(_) => WebError::Internal(e.to_string()),
        }
    }
}

impl From<crate::service::account::AccountError> for WebError {
    fn from(e: crate::service::account::AccountError) -> Self {
        use crate::service::account::AccountError as E;
        match e {
            E::Storage(e) => WebError::from(e),
            E::Auth(e) => WebError::from(e),
        }
    }
}

impl From<crate::service::sp_admin::SpAdminError> for WebError {
    fn from(e: crate::service::sp_admin::SpAdminError) -> Self {
        use crate::service::sp_admin::SpAdminError as E;
        match e {
            E::NotFound(_) | E::NoSuchVersion(_) | E::Refused(_) | E::SharedFile { .. } => {
                WebError::BadRequest(e.to_string())
            }
            E::Io(s) => WebError::Internal(s),
            E::Storage(s) => WebError::from(s),
        }
    }
}

impl From<crate::service::demo::DemoError> for WebError {
    fn from(e: crate::service::demo::DemoError) -> Self {
        use crate::service::demo::DemoError as E;
        match e {
            E::Unknown(_) | E::NotDev | E::Failed(_) => WebError::BadRequest(e.to_string()),
        }
    }
}

/// A page that could not be rendered (a template or message missing): a bug, logged with its
/// reference.
impl From<super::views::ViewError> for WebError {
    fn from(e: super::views::ViewError) -> Self {
        WebError::Internal(e.to_string())
    }
}

/// A header (a cookie) that could not be set on a response.
impl From<actix_web::error::HttpError> for WebError {
    fn from(e: actix_web::error::HttpError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<crate::service::activation::ActivationError> for WebError {
    fn from(e: crate::service::activation::ActivationError) -> Self {
        use crate::service::activation::ActivationError;
        match e {
            ActivationError::Illegal(t) => WebError::BadRequest(t.to_string()),
            ActivationError::Invalid(s) | ActivationError::Conflict(s) => WebError::BadRequest(s),
            ActivationError::NotFound(s) => WebError::NotFound(s),
            ActivationError::Unavailable(s) => WebError::Unavailable(s),
            ActivationError::Internal(s) => WebError::Internal(s),
        }
    }
}

/// An activation step on a desk page: a refusal the page itself shows (wrong state, bad input), or
/// an error page (not found, storage unavailable, internal).
pub fn shown_in_page(
    e: crate::service::activation::ActivationError,
) -> Result<crate::service::activation::ActivationError, WebError> {
    use crate::service::activation::ActivationError as E;
    match e {
        E::Illegal(_) | E::Invalid(_) | E::Conflict(_) => Ok(e),
        E::NotFound(s) => Err(WebError::NotFound(s)),
        E::Unavailable(s) => Err(WebError::Unavailable(s)),
        E::Internal(s) => Err(WebError::Internal(s)),
    }
}

impl From<crate::service::staff::StaffError> for WebError {
    fn from(e: crate::service::staff::StaffError) -> Self {
        use crate::service::staff::StaffError;
        match e {
            StaffError::Invalid(s) | StaffError::NotFound(s) | StaffError::Taken(s) => {
                WebError::BadRequest(s)
            }
            StaffError::NoTransaction => {
                WebError::StaffLogin(super::extract_staff::staff_next(None))
            }
            StaffError::Unavailable(s) => WebError::Unavailable(s),
            StaffError::Internal(s) => WebError::Internal(s),
        }
    }
}

impl From<crate::service::audit_view::AuditViewError> for WebError {
    fn from(e: crate::service::audit_view::AuditViewError) -> Self {
        use crate::service::audit_view::AuditViewError;
        match e {
            AuditViewError::BadTime(s) => WebError::BadRequest(s),
            AuditViewError::Internal(s) => WebError::Internal(s),
        }
    }
}

impl From<LoginError> for WebError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::BadRequest(s) => WebError::BadRequest(s),
            LoginError::UnknownSp(s) => WebError::UnknownSp(s),
            LoginError::SpDisabled(s) => WebError::SpDisabled(s),
            LoginError::AcsNotInMetadata(s) => WebError::Acs(s),
            LoginError::NoTransaction => WebError::NoTransaction,
            LoginError::SmsPassInactive => WebError::SmsPassInactive,
            LoginError::Replayed => WebError::BadRequest("request ID already used".into()),
            LoginError::Unavailable(s) => WebError::Unavailable(s),
            LoginError::Internal(s) => WebError::Internal(s),
        }
    }
}

impl WebError {
    /// Every message key an error page may show (one sample of each variant).
    pub fn message_keys() -> impl Iterator<Item = &'static str> {
        let s = String::new;
        [
            WebError::BadRequest(s()),
            WebError::UnknownSp(s()),
            WebError::SpDisabled(s()),
            WebError::Acs(s()),
            WebError::NoTransaction,
            WebError::Csrf,
            WebError::SmsPassInactive,
            WebError::Internal(s()),
            WebError::StaffLogin(LocalPath::root()),
            WebError::Forbidden(s()),
            WebError::NotFound(s()),
            WebError::CitizenLogin {
                next: LocalPath::root(),
                smspass: false,
            },
            WebError::TooLong {
                label: "field.form",
                max: 1,
            },
            WebError::BodyTooLarge(1),
            WebError::Unavailable(s()),
            WebError::CertRefused(s()),
            WebError::Unauthorized("metrics"),
        ]
        .into_iter()
        .map(|e| e.message_key())
    }

    fn message_key(&self) -> &'static str {
        match self {
            WebError::BadRequest(_) => "error.bad_request",
            WebError::UnknownSp(_) => "error.unknown_sp",
            WebError::SpDisabled(_) => "error.sp_disabled",
            WebError::Acs(_) => "error.acs",
            WebError::NoTransaction => "error.no_transaction",
            WebError::Csrf => "error.csrf",
            WebError::SmsPassInactive => "password.smspass_inactive",
            WebError::Internal(_) => "error.internal",
            WebError::Unavailable(_) => "error.unavailable",
            WebError::StaffLogin(_) => "staff.login_required",
            WebError::Forbidden(_) => "error.forbidden",
            WebError::NotFound(_) => "error.not_found",
            WebError::CitizenLogin { .. } => "account.login_required",
            WebError::CertRefused(_) => "error.cert_refused",
            WebError::TooLong { .. } | WebError::BodyTooLarge(_) => "error.too_long",
            WebError::Unauthorized(_) => "error.forbidden",
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) | WebError::Acs(_) => StatusCode::BAD_REQUEST,
            WebError::UnknownSp(_) | WebError::SpDisabled(_) => StatusCode::FORBIDDEN,
            WebError::NoTransaction => StatusCode::BAD_REQUEST,
            WebError::Csrf | WebError::SmsPassInactive => StatusCode::FORBIDDEN,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::StaffLogin(_) => StatusCode::SEE_OTHER,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::CitizenLogin { .. } => StatusCode::SEE_OTHER,
            WebError::CertRefused(_) => StatusCode::FORBIDDEN,
            WebError::TooLong { .. } => StatusCode::BAD_REQUEST,
            WebError::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::StaffLogin(next) = self {
            let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/staff/login?{q}")))
                .finish();
        }
        if let WebError::CitizenLogin { next, smspass } = self {
            let mut q = vec![("next", next.as_str())];
            if *smspass {
                q.push(("level", "smspass"));
            }
            let q = serde_urlencoded::to_string(q).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/account/login?{q}")))
                .finish();
        }
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        match self {
            WebError::Internal(_) => tracing::error!(reference, error = %self, "request failed"),
            WebError::Unavailable(_) => {
                tracing::warn!(reference, error = %self, "request refused: storage unavailable")
            }
            _ => tracing::info!(reference, error = %self, "request refused"),
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((REF_HEADER, reference))
            .insert_header((KEY_HEADER, self.message_key()));
        if let WebError::TooLong { label, max } = self {
            resp.insert_header((FIELD_HEADER, *label))
                .insert_header((MAX_HEADER, max.to_string()));
        }
        if let WebError::Unauthorized(realm) = self {
            resp.insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"{realm}\""),
            ));
        }
        resp.finish()
    }
}

/// Renders every error response (from handlers, extractors or the router) as the translated page.
pub fn render_error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (req, res) = res.into_parts();
    let status = res.status();
    // A JSON answer (an API's own error, /healthz) is already what its client reads.
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json && !res.headers().contains_key(KEY_HEADER) {
        return Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, res).map_into_left_body(),
        ));
    }
    let reference = res
        .headers()
        .get(REF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_string());
    let internal = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let too_long = internal(FIELD_HEADER).zip(internal(MAX_HEADER));
    let key = internal(KEY_HEADER).unwrap_or_else(|| match status {
        StatusCode::NOT_FOUND => "error.not_found".into(),
        s if s.is_server_error() => "error.internal".into(),
        _ => "error.bad_request".into(),
    });
    if !res.headers().contains_key(REF_HEADER) {
        tracing::info!(reference, %status, path = req.path(), "error response");
    }
    let body = req
        .app_data::<web::Data<AppState>>()
        .map(|st| {
            let lang = super::extract::lang_of(&req, &st.cfg.default_language);
            st.views
                .error_page_with(lang, &key, &reference, too_long.as_ref())
        })
        .unwrap_or_else(|| format!("Error {status} ({reference})"));
    let mut new = HttpResponse::build(status);
    new.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    for (name, value) in res.headers() {
        if ![REF_HEADER, KEY_HEADER, FIELD_HEADER, MAX_HEADER].contains(&name.as_str())
            && name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
        {
            new.append_header((name.clone(), value.clone()));
        }
    }
    if status == StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(header::RETRY_AFTER)
    {
        let secs = req
            .app_data::<web::Data<AppState>>()
            .map(|st| st.cfg.storage.retry_after_secs)
            .unwrap_or(crate::config::StorageConfig::default().retry_after_secs);
        new.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    let new = new.body(body);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
