//! Samples of the staff pages.
use super::Renderer;
use crate::domain::smspass::state_key;
use crate::domain::staff::Role;
use crate::saml::metadata_check::{CertStatus, Finding, Severity};
use crate::service::office::{OfficeCitizen, OfficeRequest, DOCUMENT_TYPES};
use crate::service::sp_admin::{CertInfo, ChangePreview, SkippedFile, SpSummary, VersionInfo};
use crate::storage::LetterStatus;
use crate::web::message_keys::{document_type_key, OfficeMsg};
use crate::web::pages::*;

/// An activation request at the desk; `all` sets every flag and optional value.
fn request(all: bool) -> OfficeRequest {
    let text = |s: &str| all.then(|| s.to_string());
    OfficeRequest {
        id: "1".into(),
        reference: "A-7K3M-9Q2P".into(),
        path: "A",
        status: "open".into(),
        created: "2026-01-01 10:00".into(),
        citizen_id: "c".into(),
        username: "<b>janez".into(),
        given_name: "<b>Janez".into(),
        family_name: "Novak".into(),
        email: text("janez@example.si"),
        smspass_state: "requested",
        smspass_state_key: state_key("requested"),
        document_type: text("id_card"),
        document_number: text("<b>X1"),
        document_expiry: text("2030-01-01"),
        office: text("<b>UE Ljubljana"),
        checked: text("2026-01-02 10:00"),
        signed: text("2026-01-02 10:05"),
        decided: text("2026-01-02 10:10"),
        reason: text("<b>reason"),
        can_check: all,
        can_sign: all,
        can_approve: all,
        can_reject: all,
        can_suspend: all,
        can_resume: all,
        can_revoke: all,
        can_reissue: all,
    }
}

/// A citizen at the desk; `all` sets every flag and optional value.
fn citizen(all: bool) -> OfficeCitizen {
    let text = |s: &str| all.then(|| s.to_string());
    OfficeCitizen {
        id: "c".into(),
        username: "<b>janez".into(),
        given_name: "<b>Janez".into(),
        family_name: "Novak".into(),
        email: text("janez@example.si"),
        smspass_state: "active",
        smspass_state_key: state_key("active"),
        phone_masked: text("+386•••456"),
        latest_reference: text("A-7K3M-9Q2P"),
        can_suspend: all,
        can_resume: all,
        can_revoke: all,
    }
}

fn version(n: u32) -> VersionInfo {
    VersionInfo {
        version: n,
        entity_id: "https://sp.example".into(),
        file: "sp.xml".into(),
        has_policy: true,
        who: "<b>op".into(),
        at: chrono::DateTime::default(),
        why: "<b>why".into(),
        action: "save".into(),
        metadata_sha256: "00".into(),
        policy_sha256: None,
    }
}

pub(super) fn pages(r: &mut Renderer) {
    login_pages(r);
    office_pages(r);
    operator_pages(r);
}

fn login_pages(r: &mut Renderer) {
    for (message, extra) in [(None, ""), (Some("otp.locked"), "3 min.")] {
        r.page_showing(
            &StaffLogin {
                title: "pass-idp",
                csrf: "c".into(),
                username: "<b>ana",
                message,
                message_extra: extra,
            },
            &[extra],
        );
        r.page_showing(
            &StaffOtp {
                title: "pass-idp",
                csrf: "c".into(),
                message,
                message_extra: extra,
            },
            &[extra],
        );
    }
    for roles in [&Role::ALL[..], &[]] {
        r.page_showing(
            &StaffHome {
                title: "pass-idp",
                display_name: "<b>Ana",
                username: "ana",
                roles: roles.iter().map(|r| r.message_key()).collect(),
                areas: roles
                    .iter()
                    .map(|_| StaffArea {
                        href: "/audit",
                        key: "staff.area.auditor",
                    })
                    .collect(),
                csrf: "c".into(),
            },
            &["(ana)"],
        );
    }
    for (rows, prev, next) in [
        (vec![], None, None),
        (
            vec![AuditLine {
                id: 1,
                at: "2026-01-01T10:00:00.000Z".into(),
                kind: "login.ok",
                actor: "<b>a",
                citizen: "",
                sp: "https://sp.example",
                detail: "{\"x\":1}",
            }],
            Some("page=1".to_string()),
            Some("page=3".to_string()),
        ),
    ] {
        r.page(&AuditViewer {
            title: "pass-idp",
            q: AuditFilter {
                from: "2026-01-01T00:00",
                to: "",
                actor: "<b>a",
                citizen: "",
                sp: "",
                kind: "",
            },
            rows,
            page: 2,
            prev,
            next,
            csv: "from=2026".into(),
        });
    }
}

fn office_pages(r: &mut Renderer) {
    for (q, searched, found) in [
        ("", false, false),
        ("novak", true, false),
        ("novak", true, true),
    ] {
        r.page(&OfficeHome {
            title: "pass-idp",
            q,
            searched,
            rows: if found {
                vec![request(true), request(false)]
            } else {
                vec![]
            },
            citizens: if found { vec![citizen(true)] } else { vec![] },
            who: "<b>Ana",
        });
    }
    let msgs = OfficeMsg::ALL.into_iter().map(Some).chain([None]);
    for msg in msgs {
        for all in [true, false] {
            let doc_types = DOCUMENT_TYPES
                .iter()
                .map(|t| DocType {
                    value: t,
                    key: document_type_key(t),
                })
                .collect();
            r.page_showing(
                &OfficeRequestPage {
                    title: "pass-idp",
                    r: request(all),
                    msg: msg.map(OfficeMsg::key),
                    refused: msg.is_some_and(OfficeMsg::is_failure),
                    csrf: "c".into(),
                    doc_types,
                },
                &["A-7K3M-9Q2P"],
            );
            r.page(&OfficeCitizenPage {
                title: "pass-idp",
                c: citizen(all),
                msg: msg.map(OfficeMsg::key),
                refused: msg == Some(OfficeMsg::Refused),
                csrf: "c".into(),
            });
        }
    }
}

fn operator_pages(r: &mut Renderer) {
    let sp = |enabled: bool| SpSummary {
        entity_id: "https://sp.example".into(),
        name_sl: "<b>eUprava".into(),
        name_en: "eGov".into(),
        file: "sp.xml".into(),
        acs: vec!["https://sp.example/acs".into()],
        certificates: vec![CertInfo {
            not_after: chrono::DateTime::default(),
            status: CertStatus::ExpiresSoon,
        }],
        cert_status: CertStatus::ExpiresSoon,
        enabled,
        policy_summary: "smspass".into(),
        last_change: enabled.then(|| version(2)),
    };
    for all in [true, false] {
        let text = |s: &str| all.then(|| s.to_string());
        r.page(&OperatorList {
            title: "Operator",
            staff: "<b>Ana",
            csrf: "c".into(),
            sps: if all {
                vec![sp(true), sp(false)]
            } else {
                vec![]
            },
            broken: if all {
                vec![SkippedFile {
                    file: "bad.xml".into(),
                    problem: "<b>unreadable".into(),
                }]
            } else {
                vec![]
            },
            message: text("https://sp.example v3"),
            problem: text("<b>metadata.invalid: x"),
        });
        r.page(&OperatorEdit {
            title: "Operator",
            csrf: "c".into(),
            entity: all.then_some("https://sp.example"),
            metadata: "<b>xml".into(),
            policy: String::new(),
        });
        r.page(&OperatorPreview {
            title: "Operator",
            csrf: "c".into(),
            entity: text("https://sp.example"),
            metadata: "<b>xml".into(),
            policy: "<b>policy".into(),
            preview: ChangePreview {
                file: "sp.xml".into(),
                is_new: !all,
                entity_id: text("https://sp.example"),
                ok: all,
                findings: if all {
                    vec![]
                } else {
                    vec![Finding {
                        severity: Severity::Error,
                        code: "metadata.invalid",
                        message: "<b>bad".into(),
                    }]
                },
                metadata_diff: if all { "+<b>x".into() } else { String::new() },
                policy_diff: if all { "-<b>y".into() } else { String::new() },
            },
        });
        r.page(&OperatorHistory {
            title: "Operator",
            csrf: "c".into(),
            entity: "https://sp.example".into(),
            versions: if all {
                vec![version(2), version(1)]
            } else {
                vec![]
            },
        });
        let letters = LetterStatus::ALL
            .iter()
            .map(|s| LetterLine {
                request_ref: "B-7K3M-9Q2P",
                status: s.message_key(),
                created_at: "2026-01-01 10:00".into(),
                dispatched_at: all.then(|| "2026-01-02 10:00".into()),
                batch: all.then_some("<b>batch"),
            })
            .collect();
        r.page(&OperatorLetters {
            title: "Operator",
            staff: "<b>Ana",
            pending: 3,
            dispatched: 7,
            letters: if all { letters } else { vec![] },
        });
    }
}
