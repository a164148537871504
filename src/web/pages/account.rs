//! View models of the citizen's user pages (`account_*`).
use super::{CertView, Page};
use crate::service::activation::{RequestForm, SmsPassView};
use serde::Serialize;

/// What every user page shows of the logged-in citizen.
#[derive(Serialize)]
pub struct CitizenView<'a> {
    pub username: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    /// The address as lines (street; postcode and city).
    pub address: Option<Vec<String>>,
    /// The login level of the session (its name).
    pub level: &'static str,
    pub smspass_level: bool,
}

/// `account_home`: the user home page.
#[derive(Serialize)]
pub struct AccountHome<'a> {
    pub title: &'static str,
    pub citizen: CitizenView<'a>,
    pub smspass: SmsPassView,
    pub csrf: String,
}

/// `account_message`: a one-message page; `ok` decides the look.
#[derive(Serialize)]
pub struct AccountMessage {
    pub title: &'static str,
    pub heading: &'static str,
    pub message: &'static str,
    pub ok: bool,
    pub extra: MessageExtra,
}

/// What an `account_message` page shows below its message.
#[derive(Serialize, Default)]
pub struct MessageExtra {
    /// The address the message is about (shown after it).
    pub email: Option<String>,
    pub resend_hint: bool,
    pub reset_again: bool,
    pub login: bool,
    pub home: bool,
}

/// `account_register`: the registration form.
#[derive(Serialize)]
pub struct AccountRegister<'a> {
    pub title: &'static str,
    pub csrf: &'a str,
    pub v: RegisterValues,
    /// Message keys of what to correct.
    pub messages: &'a [&'static str],
    pub min_length: usize,
}

/// What was typed into the registration form (never the passwords).
#[derive(Serialize, Default)]
pub struct RegisterValues {
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
}

/// `account_verify_confirm`: the button that confirms an e-mail address.
#[derive(Serialize)]
pub struct AccountVerifyConfirm<'a> {
    pub title: &'static str,
    pub csrf: &'a str,
    pub token: &'a str,
}

/// `account_password`: the password change form.
#[derive(Serialize)]
pub struct AccountPassword<'a> {
    pub title: &'static str,
    pub csrf: String,
    pub username: &'a str,
    pub message: Option<&'static str>,
    pub min_length: usize,
}

/// `account_reset`: asks for the username or e-mail address to mail a reset link to.
#[derive(Serialize)]
pub struct AccountReset<'a> {
    pub title: &'static str,
    pub csrf: &'a str,
}

/// `account_reset_confirm`: the new password of a reset link.
#[derive(Serialize)]
pub struct AccountResetConfirm<'a> {
    pub title: &'static str,
    pub csrf: &'a str,
    pub token: &'a str,
    pub message: Option<&'static str>,
    pub min_length: usize,
}

/// `account_certificate`: the registered client certificates and the presented one.
#[derive(Serialize)]
pub struct AccountCertificate<'a> {
    pub title: &'static str,
    pub citizen: CitizenView<'a>,
    pub registered: Vec<CertRow<'a>>,
    pub presented: Option<PresentedCertView<'a>>,
    /// Just registered (the redirect after the POST).
    pub done: bool,
    pub can_start_activation: bool,
    pub no_address: bool,
    pub csrf: String,
}

/// A registered certificate.
#[derive(Serialize)]
pub struct CertRow<'a> {
    pub subject: &'a str,
    pub issuer: &'a str,
    pub serial: &'a str,
    pub not_after: String,
    pub registered_at: String,
}

/// The certificate of this connection, and whether it is registered already.
#[derive(Serialize)]
pub struct PresentedCertView<'a> {
    #[serde(flatten)]
    pub cert: CertView<'a>,
    pub registered: bool,
}

/// `account_activation`: smsPASS activation (code, phone, SMS confirmation), suspend and resume.
#[derive(Serialize)]
pub struct AccountActivation {
    pub title: &'static str,
    pub smspass: SmsPassView,
    /// The masked number a confirmation code went to.
    pub sms_phone: Option<String>,
    pub csrf: String,
    pub message: Option<&'static str>,
    pub message_extra: String,
    pub ok: bool,
}

/// `account_phone`: change of the smsPASS phone number.
#[derive(Serialize)]
pub struct AccountPhone {
    pub title: &'static str,
    pub smspass: SmsPassView,
    /// The masked new number a confirmation code went to.
    pub sms_phone: Option<String>,
    pub csrf: String,
    pub message: Option<&'static str>,
    pub message_extra: String,
    pub ok: bool,
}

/// `account_activation_form`: the request form to print (no layout).
#[derive(Serialize)]
pub struct AccountActivationForm {
    pub title: &'static str,
    pub form: RequestForm,
}

impl Page for AccountHome<'_> {
    const TEMPLATE: &'static str = "account_home";
}
impl Page for AccountMessage {
    const TEMPLATE: &'static str = "account_message";
}
impl Page for AccountRegister<'_> {
    const TEMPLATE: &'static str = "account_register";
}
impl Page for AccountVerifyConfirm<'_> {
    const TEMPLATE: &'static str = "account_verify_confirm";
}
impl Page for AccountPassword<'_> {
    const TEMPLATE: &'static str = "account_password";
}
impl Page for AccountReset<'_> {
    const TEMPLATE: &'static str = "account_reset";
}
impl Page for AccountResetConfirm<'_> {
    const TEMPLATE: &'static str = "account_reset_confirm";
}
impl Page for AccountCertificate<'_> {
    const TEMPLATE: &'static str = "account_certificate";
}
impl Page for AccountActivation {
    const TEMPLATE: &'static str = "account_activation";
}
impl Page for AccountPhone {
    const TEMPLATE: &'static str = "account_phone";
}
impl Page for AccountActivationForm {
    const TEMPLATE: &'static str = "account_activation_form";
}
