//! View models of the staff pages: login, home, audit viewer, registration office, operator area.
use super::Page;
use crate::service::office::{OfficeCitizen, OfficeRequest};
use crate::service::sp_admin::{ChangePreview, SkippedFile, SpSummary, VersionInfo};
use serde::Serialize;

/// `staff_login`: username and password of a staff member.
#[derive(Serialize)]
pub struct StaffLogin<'a> {
    pub title: &'static str,
    pub csrf: String,
    pub username: &'a str,
    pub message: Option<&'static str>,
    pub message_extra: &'a str,
}

/// `staff_otp`: the SMS code step of a staff login.
#[derive(Serialize)]
pub struct StaffOtp<'a> {
    pub title: &'static str,
    pub csrf: String,
    pub message: Option<&'static str>,
    pub message_extra: &'a str,
}

/// `staff_home`: who is logged in and the areas their roles open.
#[derive(Serialize)]
pub struct StaffHome<'a> {
    pub title: &'static str,
    pub display_name: &'a str,
    pub username: &'a str,
    /// Message keys of the roles.
    pub roles: Vec<&'static str>,
    pub areas: Vec<StaffArea>,
    pub csrf: String,
}

/// A link to a staff area and its message key.
#[derive(Serialize)]
pub struct StaffArea {
    pub href: &'static str,
    pub key: &'static str,
}

/// `audit`: one page of audit events with the filter and paging links.
#[derive(Serialize)]
pub struct AuditViewer<'a> {
    pub title: &'static str,
    pub q: AuditFilter<'a>,
    pub rows: Vec<AuditLine<'a>>,
    pub page: u64,
    /// Query strings of the previous and next page, and of the CSV export.
    pub prev: Option<String>,
    pub next: Option<String>,
    pub csv: String,
}

/// The filter as typed (shown again in the form).
#[derive(Serialize)]
pub struct AuditFilter<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub actor: &'a str,
    pub citizen: &'a str,
    pub sp: &'a str,
    pub kind: &'a str,
}

/// One audit event; absent values are empty.
#[derive(Serialize)]
pub struct AuditLine<'a> {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    pub kind: &'a str,
    pub actor: &'a str,
    pub citizen: &'a str,
    pub sp: &'a str,
    /// The detail JSON as stored.
    pub detail: &'a str,
}

/// `office_home`: the desk's search and what it found.
#[derive(Serialize)]
pub struct OfficeHome<'a> {
    pub title: &'static str,
    pub q: &'a str,
    pub searched: bool,
    pub rows: Vec<OfficeRequest>,
    pub citizens: Vec<OfficeCitizen>,
    /// The officer's display name.
    pub who: &'a str,
}

/// `office_request`: one activation request and the steps the desk can take.
#[derive(Serialize)]
pub struct OfficeRequestPage {
    pub title: &'static str,
    pub r: OfficeRequest,
    /// Message key of the outcome of the last action.
    pub msg: Option<&'static str>,
    pub refused: bool,
    pub csrf: String,
    pub doc_types: Vec<DocType>,
}

/// An identity document type: the form value and its message key.
#[derive(Serialize)]
pub struct DocType {
    pub value: &'static str,
    pub key: String,
}

/// `office_citizen`: a citizen's smsPASS at the desk.
#[derive(Serialize)]
pub struct OfficeCitizenPage {
    pub title: &'static str,
    pub c: OfficeCitizen,
    /// Message key of the outcome of the last action.
    pub msg: Option<&'static str>,
    pub refused: bool,
    pub csrf: String,
}

/// `operator_list`: the connected e-services and the files that could not be loaded.
#[derive(Serialize)]
pub struct OperatorList<'a> {
    pub title: &'static str,
    /// The operator's display name.
    pub staff: &'a str,
    pub csrf: String,
    pub sps: Vec<SpSummary>,
    pub broken: Vec<SkippedFile>,
    /// What was saved, or why a change was refused.
    pub message: Option<String>,
    pub problem: Option<String>,
}

/// `operator_edit`: the metadata and policy of an e-service (or a new one) to change.
#[derive(Serialize)]
pub struct OperatorEdit<'a> {
    pub title: &'static str,
    pub csrf: String,
    /// The entityID; none for a new e-service.
    pub entity: Option<&'a str>,
    pub metadata: String,
    pub policy: String,
}

/// `operator_preview`: the checks and diffs of a change, with the form that saves it.
#[derive(Serialize)]
pub struct OperatorPreview {
    pub title: &'static str,
    pub csrf: String,
    pub entity: Option<String>,
    pub metadata: String,
    pub policy: String,
    pub preview: ChangePreview,
}

/// `operator_history`: the saved versions of an e-service, newest first.
#[derive(Serialize)]
pub struct OperatorHistory {
    pub title: &'static str,
    pub csrf: String,
    pub entity: String,
    pub versions: Vec<VersionInfo>,
}

/// `operator_letters`: the postal letter queue.
#[derive(Serialize)]
pub struct OperatorLetters<'a> {
    pub title: &'static str,
    /// The operator's display name.
    pub staff: &'a str,
    pub pending: u64,
    pub dispatched: u64,
    pub letters: Vec<LetterLine<'a>>,
}

/// One letter of the queue.
#[derive(Serialize)]
pub struct LetterLine<'a> {
    pub request_ref: &'a str,
    /// Message key of the status.
    pub status: &'static str,
    pub created_at: String,
    pub dispatched_at: Option<String>,
    pub batch: Option<&'a str>,
}

impl Page for StaffLogin<'_> {
    const TEMPLATE: &'static str = "staff_login";
}
impl Page for StaffOtp<'_> {
    const TEMPLATE: &'static str = "staff_otp";
}
impl Page for StaffHome<'_> {
    const TEMPLATE: &'static str = "staff_home";
}
impl Page for AuditViewer<'_> {
    const TEMPLATE: &'static str = "audit";
}
impl Page for OfficeHome<'_> {
    const TEMPLATE: &'static str = "office_home";
}
impl Page for OfficeRequestPage {
    const TEMPLATE: &'static str = "office_request";
}
impl Page for OfficeCitizenPage {
    const TEMPLATE: &'static str = "office_citizen";
}
impl Page for OperatorList<'_> {
    const TEMPLATE: &'static str = "operator_list";
}
impl Page for OperatorEdit<'_> {
    const TEMPLATE: &'static str = "operator_edit";
}
impl Page for OperatorPreview {
    const TEMPLATE: &'static str = "operator_preview";
}
impl Page for OperatorHistory {
    const TEMPLATE: &'static str = "operator_history";
}
impl Page for OperatorLetters<'_> {
    const TEMPLATE: &'static str = "operator_letters";
}
