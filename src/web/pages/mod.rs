//! View models: one serde struct per template, tied to it by [`Page`]. A field a template reads is
//! a field of its struct, so a handler cannot forget it (strict mode would only find out at run
//! time). The public and login pages are here; the user pages in `account`, the staff areas in
//! `staff`.
mod account;
mod staff;
#[cfg(test)]
mod tests;

pub use account::*;
pub use staff::*;

use crate::saml::demo_sp::DemoLogin;
use crate::service::catalog::CatalogEntry;
use serde::Serialize;

/// The data of one template; `TEMPLATE` is its name (the file stem under `templates/`).
pub trait Page: Serialize {
    const TEMPLATE: &'static str;
}

/// Templates that are no page of their own: the layout and the partials pages include.
pub const PARTIALS: [&str; 2] = ["layout", "account_smspass"];

/// `home`: the start page.
#[derive(Serialize)]
pub struct Home {
    pub title: &'static str,
}

/// `choose`: the login method, or the step-up offer to send a code.
#[derive(Serialize)]
pub struct Choose<'a> {
    pub title: &'a str,
    pub sp_name: &'a str,
    pub csrf: String,
    pub step_up: bool,
}

/// `password`: the password step of a login to an e-service.
#[derive(Serialize)]
pub struct PasswordPage<'a> {
    pub title: &'a str,
    pub sp_name: &'a str,
    pub csrf: String,
    pub username: &'a str,
    pub message: Option<&'static str>,
    pub message_extra: &'a str,
}

/// `otp`: the SMS code step of a login to an e-service.
#[derive(Serialize)]
pub struct OtpPage<'a> {
    pub title: &'a str,
    pub sp_name: &'a str,
    pub csrf: String,
    /// The masked number the code went to.
    pub phone: Option<String>,
    pub message: Option<&'static str>,
    pub message_extra: &'a str,
}

/// `post`: the auto-submitting form to the e-service's ACS.
#[derive(Serialize)]
pub struct PostPage<'a> {
    pub title: &'a str,
    pub acs_url: &'a str,
    /// Written unescaped by the template: only base64 text may go here.
    pub saml_response: &'a str,
    pub relay_state: Option<&'a str>,
}

/// `error`: the translated error page.
#[derive(Serialize)]
pub struct ErrorPage<'a> {
    pub title: &'static str,
    pub heading: &'static str,
    /// Message key (from the error mapping).
    pub message: &'a str,
    pub reference: &'a str,
    pub too_long: Option<TooLong<'a>>,
}

/// An over-long entry: the label key of the field and its limit.
#[derive(Serialize)]
pub struct TooLong<'a> {
    pub label: &'a str,
    pub max: &'a str,
}

/// `demo`: a dev-mode demo e-service, before the login or with what it received.
#[derive(Serialize)]
pub struct DemoPage<'a> {
    pub title: &'a str,
    pub name: &'a str,
    pub name_key: String,
    pub result: Option<DemoLogin>,
    pub error: Option<String>,
}

/// `catalog`: the public list of connected e-services.
#[derive(Serialize)]
pub struct CatalogPage<'a> {
    pub title: &'static str,
    /// The page's own path (the search form posts to it).
    pub action: &'a str,
    pub q: String,
    pub services: &'a [CatalogEntry],
    pub empty: bool,
}

/// `certificate_check`: which certificate this connection presents.
#[derive(Serialize)]
pub struct CertificateCheck<'a> {
    pub title: &'static str,
    pub cert: Option<CertView<'a>>,
}

/// The display fields of a certificate.
#[derive(Serialize)]
pub struct CertView<'a> {
    pub subject: &'a str,
    pub issuer: &'a str,
    pub serial: &'a str,
    pub not_after: String,
}

impl Page for Home {
    const TEMPLATE: &'static str = "home";
}
impl Page for Choose<'_> {
    const TEMPLATE: &'static str = "choose";
}
impl Page for PasswordPage<'_> {
    const TEMPLATE: &'static str = "password";
}
impl Page for OtpPage<'_> {
    const TEMPLATE: &'static str = "otp";
}
impl Page for PostPage<'_> {
    const TEMPLATE: &'static str = "post";
}
impl Page for ErrorPage<'_> {
    const TEMPLATE: &'static str = "error";
}
impl Page for DemoPage<'_> {
    const TEMPLATE: &'static str = "demo";
}
impl Page for CatalogPage<'_> {
    const TEMPLATE: &'static str = "catalog";
}
impl Page for CertificateCheck<'_> {
    const TEMPLATE: &'static str = "certificate_check";
}
