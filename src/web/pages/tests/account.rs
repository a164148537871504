//! Samples of the user pages.
use super::{cert, Renderer};
use crate::auth::password_policy::PolicyRefusal;
use crate::domain::smspass::{next_key, state_key, STATE_CODES};
use crate::service::activation::{RequestForm, SmsPassView};
use crate::web::pages::*;

/// The smsPASS part of a user page in `state`; `all` sets every flag and optional value.
pub(super) fn smspass(state: &'static str, all: bool) -> SmsPassView {
    let text = |s: &str| all.then(|| s.to_string());
    SmsPassView {
        state,
        state_key: state_key(state),
        next_key: next_key(state),
        reference: text("A-7K3M-9Q2P"),
        path: all.then_some("A"),
        phone: text("+386•••456"),
        rejected_reason: text("<b>r"),
        reason: text("<b>r"),
        can_start: all,
        can_print_form: all,
        can_enter_code: all,
        awaiting_sms: all,
        can_suspend: all,
        can_resume: all,
        can_change_phone: all,
    }
}

fn citizen(all: bool) -> CitizenView<'static> {
    CitizenView {
        username: "<b>janez",
        given_name: "<b>Janez",
        family_name: "Novak",
        email: all.then_some("janez@example.si"),
        email_verified: all,
        address: all.then(|| vec!["<b>Ulica 1".into(), "1000 Ljubljana".into()]),
        level: "smspass",
        smspass_level: all,
    }
}

pub(super) fn pages(r: &mut Renderer) {
    for state in STATE_CODES {
        for all in [true, false] {
            r.page_showing(
                &AccountHome {
                    title: "smsPASS",
                    citizen: citizen(all),
                    smspass: smspass(state, all),
                    csrf: "c".into(),
                },
                &[&format!("data-state=\"{state}\"")],
            );
            // Whether the e-mail address is verified, with and without an address.
            let mut c = citizen(true);
            c.email_verified = !all;
            c.address = None;
            r.page(&AccountHome {
                title: "smsPASS",
                citizen: c,
                smspass: smspass(state, all),
                csrf: "c".into(),
            });
            for (message, extra, sms_phone) in [
                (None, "", None),
                (Some("activation.code_wrong"), "2", Some("+386•••789")),
            ] {
                let sms_phone = sms_phone.map(str::to_string);
                r.page_showing(
                    &AccountActivation {
                        title: "smsPASS",
                        smspass: smspass(state, all),
                        sms_phone: sms_phone.clone(),
                        csrf: "c".into(),
                        message,
                        message_extra: extra.into(),
                        ok: all,
                    },
                    &[extra],
                );
                r.page_showing(
                    &AccountPhone {
                        title: "smsPASS",
                        smspass: smspass(state, all),
                        sms_phone,
                        csrf: "c".into(),
                        message,
                        message_extra: extra.into(),
                        ok: all,
                    },
                    &[extra],
                );
            }
        }
    }
    let on = MessageExtra {
        email: Some("janez@example.si".into()),
        resend_hint: true,
        reset_again: true,
        login: true,
        home: true,
    };
    for (ok, extra) in [(true, on), (false, MessageExtra::default())] {
        r.page(&AccountMessage {
            title: "smsPASS",
            heading: "account.reset.heading",
            message: "account.link.used",
            ok,
            extra,
        });
    }
    let refusals: Vec<&'static str> = PolicyRefusal::ALL
        .iter()
        .map(|p| p.message_key())
        .chain(["account.err.username", "account.err.email"])
        .collect();
    for messages in [&[][..], &refusals[..]] {
        let v = RegisterValues {
            username: "<b>janez".into(),
            given_name: "<b>Janez".into(),
            ..RegisterValues::default()
        };
        r.page_showing(
            &AccountRegister {
                title: "smsPASS",
                csrf: "c",
                v,
                messages,
                min_length: 12,
            },
            &["minlength=\"12\""],
        );
    }
    r.page(&AccountVerifyConfirm {
        title: "smsPASS",
        csrf: "c",
        token: "<b>t",
    });
    r.page(&AccountReset {
        title: "smsPASS",
        csrf: "c",
    });
    for message in [None, Some("account.password.wrong_current")] {
        r.page(&AccountPassword {
            title: "smsPASS",
            csrf: "c".into(),
            username: "<b>janez",
            message,
            min_length: 12,
        });
    }
    for message in [None, Some(PolicyRefusal::ALL[0].message_key())] {
        r.page(&AccountResetConfirm {
            title: "smsPASS",
            csrf: "c",
            token: "<b>t",
            message,
            min_length: 12,
        });
    }
    for email in [None, Some("janez@example.si".to_string())] {
        r.page_showing(
            &AccountActivationForm {
                title: "smsPASS",
                form: RequestForm {
                    given_name: "<b>Janez".into(),
                    family_name: "Novak".into(),
                    username: "janez".into(),
                    address_lines: vec!["Ulica 1".into(), "1000 Ljubljana".into()],
                    email,
                    reference: "A-7K3M-9Q2P".into(),
                    date: "01. 01. 2026".into(),
                },
            },
            &["A-7K3M-9Q2P", "1000 Ljubljana"],
        );
    }
    certificate_pages(r);
}

fn certificate_pages(r: &mut Renderer) {
    for all in [true, false] {
        let rows = || {
            vec![CertRow {
                subject: "CN=<b>Janez",
                issuer: "CN=CA",
                serial: "0A1B",
                not_after: "2030-01-01 00:00".into(),
                registered_at: "2026-01-01 00:00".into(),
            }]
        };
        for presented in [
            None,
            Some(PresentedCertView {
                cert: cert(),
                registered: true,
            }),
            Some(PresentedCertView {
                cert: cert(),
                registered: false,
            }),
        ] {
            r.page(&AccountCertificate {
                title: "smsPASS",
                citizen: citizen(all),
                registered: if all { rows() } else { vec![] },
                presented,
                done: all,
                can_start_activation: all,
                no_address: !all,
                csrf: "c".into(),
            });
        }
    }
}
