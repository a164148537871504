//! The smsPASS state machine of one account.
//!
//! ```text
//! NotRequested ─request─▶ Requested ─verify_identity─▶ IdentityVerified ─issue_code─▶ CodeIssued
//!      ▲   ▲                  │ reject                      │ reject                 │ activate(VerifiedPhone)
//!      │   └──────────────────┴─────────────────────────────┘                        ▼
//!      └───────────── lapse (the code expired or was used up) ◀── CodeIssued     Active{phone} ◀─┐
//!                                                     (reissue_code: a new code, same request) ⟲
//!                                                                                 │ suspend  │ change_phone
//!                                                                                 ▼          │ (VerifiedPhone)
//!                                                                              Suspended ─resume─▶ Active
//! Requested | IdentityVerified | CodeIssued | Active | Suspended ─revoke─▶ Revoked ─request─▶ Requested
//! ```
//!
//! Each state is its own type, and its methods are the only transitions out of it, so an illegal
//! transition does not compile. [`SmsPassState`] is the stored union of the states; [`SmsPassState::apply`]
//! dispatches an [`Action`] to the typed transitions and refuses every pair that has none.
use super::ids::PhoneNumber;
use serde::{Deserialize, Serialize};
use std::fmt;

mod keys;
pub use keys::{next_key, state_key, NEXT_EXTRA, STATE_CODES};

/// How the citizen's identity is checked: at a registration office (A) or by a qualified certificate (B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActivationPath {
    A,
    B,
}

impl ActivationPath {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivationPath::A => "A",
            ActivationPath::B => "B",
        }
    }
    pub fn parse(raw: &str) -> Option<ActivationPath> {
        match raw {
            "A" => Some(ActivationPath::A),
            "B" => Some(ActivationPath::B),
            _ => None,
        }
    }
}

/// The activation request a state belongs to (its id and path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRef {
    pub id: String,
    pub path: ActivationPath,
}

/// A phone number whose owner has proved possession (typed back a code sent to it). Only the
/// phone-verification use case creates these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPhone(PhoneNumber);

impl VerifiedPhone {
    /// Call only after the citizen typed back the code sent to `phone`.
    pub fn after_proof_of_possession(phone: PhoneNumber) -> VerifiedPhone {
        VerifiedPhone(phone)
    }
    pub fn phone(&self) -> &PhoneNumber {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotRequested;
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    pub request: RequestRef,
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityVerified {
    pub request: RequestRef,
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeIssued {
    pub request: RequestRef,
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    pub phone: PhoneNumber,
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspended {
    pub phone: PhoneNumber,
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked;

impl NotRequested {
    pub fn request(self, request: RequestRef) -> Requested {
        Requested { request }
    }
}

impl Requested {
    pub fn verify_identity(self) -> IdentityVerified {
        IdentityVerified {
            request: self.request,
        }
    }
    pub fn reject(self) -> NotRequested {
        NotRequested
    }
}

impl IdentityVerified {
    pub fn issue_code(self) -> CodeIssued {
        CodeIssued {
            request: self.request,
        }
    }
    pub fn reject(self) -> NotRequested {
        NotRequested
    }
}

impl CodeIssued {
    pub fn activate(self, phone: VerifiedPhone) -> Active {
        Active { phone: phone.0 }
    }
    /// The unused code is voided and a new one issued for the same request (the e-mail did not
    /// arrive, the code expired, or the citizen lost it).
    pub fn reissue_code(self) -> CodeIssued {
        self
    }
    /// The code expired or its attempts are used up: the citizen may ask again.
    pub fn lapse(self) -> NotRequested {
        NotRequested
    }
}

impl Active {
    pub fn suspend(self) -> Suspended {
        Suspended { phone: self.phone }
    }
    pub fn change_phone(self, phone: VerifiedPhone) -> Active {
        Active { phone: phone.0 }
    }
}

impl Suspended {
    pub fn resume(self) -> Active {
        Active { phone: self.phone }
    }
}

impl Revoked {
    /// Re-activation: a new request.
    pub fn request(self, request: RequestRef) -> Requested {
        Requested { request }
    }
}

/// States from which smsPASS may be revoked (every state after a request).
pub trait Revocable {
    fn revoke(self) -> Revoked;
}
macro_rules! revocable {
    ($($t:ty),*) => {$(
        impl Revocable for $t {
            fn revoke(self) -> Revoked {
                Revoked
            }
        }
    )*};
}
revocable!(Requested, IdentityVerified, CodeIssued, Active, Suspended);

/// smsPASS state of an account. Only `Active` carries a phone that may receive login codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsPassState {
    NotRequested(NotRequested),
    Requested(Requested),
    IdentityVerified(IdentityVerified),
    CodeIssued(CodeIssued),
    Active(Active),
    Suspended(Suspended),
    Revoked(Revoked),
}

/// What somebody asks of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Request(RequestRef),
    VerifyIdentity,
    Reject,
    IssueCode,
    ReissueCode,
    Activate(VerifiedPhone),
    Lapse,
    Suspend,
    Resume,
    ChangePhone(VerifiedPhone),
    Revoke,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Request(_) => "request",
            Action::VerifyIdentity => "verify_identity",
            Action::Reject => "reject",
            Action::IssueCode => "issue_code",
            Action::ReissueCode => "reissue_code",
            Action::Activate(_) => "activate",
            Action::Lapse => "lapse",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::ChangePhone(_) => "change_phone",
            Action::Revoke => "revoke",
        }
    }
}

/// An action that has no transition from the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("smsPASS: {action} is not possible in state {from}")]
pub struct IllegalTransition {
    pub from: &'static str,
    pub action: &'static str,
}

impl SmsPassState {
    pub fn not_requested() -> SmsPassState {
        SmsPassState::NotRequested(NotRequested)
    }

    pub fn code(&self) -> &'static str {
        match self {
            SmsPassState::NotRequested(_) => "not_requested",
            SmsPassState::Requested(_) => "requested",
            SmsPassState::IdentityVerified(_) => "identity_verified",
            SmsPassState::CodeIssued(_) => "code_issued",
            SmsPassState::Active(_) => "active",
            SmsPassState::Suspended(_) => "suspended",
            SmsPassState::Revoked(_) => "revoked",
        }
    }

    /// The phone that may receive login codes: only while active.
    pub fn login_phone(&self) -> Option<&PhoneNumber> {
        match self {
            SmsPassState::Active(a) => Some(&a.phone),
            _ => None,
        }
    }

    /// The registered phone (active or suspended).
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            SmsPassState::Active(Active { phone })
            | SmsPassState::Suspended(Suspended { phone }) => Some(phone),
            _ => None,
        }
    }

    /// The open activation request, if the state belongs to one.
    pub fn request(&self) -> Option<&RequestRef> {
        match self {
            SmsPassState::Requested(Requested { request })
            | SmsPassState::IdentityVerified(IdentityVerified { request })
            | SmsPassState::CodeIssued(CodeIssued { request }) => Some(request),
            _ => None,
        }
    }

    /// The next state, or the refusal when `action` has no transition from this state.
    pub fn apply(self, action: Action) -> Result<SmsPassState, IllegalTransition> {
        use Action as A;
        use SmsPassState as S;
        let from = self.code();
        let name = action.name();
        Ok(match (self, action) {
            (S::NotRequested(s), A::Request(r)) => S::Requested(s.request(r)),
            (S::Revoked(s), A::Request(r)) => S::Requested(s.request(r)),
            (S::Requested(s), A::VerifyIdentity) => S::IdentityVerified(s.verify_identity()),
            (S::Requested(s), A::Reject) => S::NotRequested(s.reject()),
            (S::IdentityVerified(s), A::Reject) => S::NotRequested(s.reject()),
            (S::IdentityVerified(s), A::IssueCode) => S::CodeIssued(s.issue_code()),
            (S::CodeIssued(s), A::ReissueCode) => S::CodeIssued(s.reissue_code()),
            (S::CodeIssued(s), A::Activate(p)) => S::Active(s.activate(p)),
            (S::CodeIssued(s), A::Lapse) => S::NotRequested(s.lapse()),
            (S::Active(s), A::Suspend) => S::Suspended(s.suspend()),
            (S::Active(s), A::ChangePhone(p)) => S::Active(s.change_phone(p)),
            (S::Suspended(s), A::Resume) => S::Active(s.resume()),
            (S::Requested(s), A::Revoke) => S::Revoked(s.revoke()),
            (S::IdentityVerified(s), A::Revoke) => S::Revoked(s.revoke()),
            (S::CodeIssued(s), A::Revoke) => S::Revoked(s.revoke()),
            (S::Active(s), A::Revoke) => S::Revoked(s.revoke()),
            (S::Suspended(s), A::Revoke) => S::Revoked(s.revoke()),
            _ => {
                return Err(IllegalTransition { from, action: name });
            }
        })
    }
}

impl fmt::Display for SmsPassState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(n: &str) -> PhoneNumber {
        PhoneNumber::parse(n, "386").unwrap_or_else(|e| panic!("{e}"))
    }
    fn req() -> RequestRef {
        RequestRef {
            id: "r1".into(),
            path: ActivationPath::A,
        }
    }
    fn verified(n: &str) -> VerifiedPhone {
        VerifiedPhone::after_proof_of_possession(phone(n))
    }

    fn all_states() -> Vec<SmsPassState> {
        let r = req();
        vec![
            SmsPassState::not_requested(),
            SmsPassState::Requested(Requested { request: r.clone() }),
            SmsPassState::IdentityVerified(IdentityVerified { request: r.clone() }),
            SmsPassState::CodeIssued(CodeIssued { request: r }),
            SmsPassState::Active(Active {
                phone: phone("041111111"),
            }),
            SmsPassState::Suspended(Suspended {
                phone: phone("041111111"),
            }),
            SmsPassState::Revoked(Revoked),
        ]
    }

    #[test]
    fn every_state_code_is_listed_once() {
        let codes: Vec<&str> = all_states().iter().map(SmsPassState::code).collect();
        assert_eq!(codes, STATE_CODES.to_vec());
    }

    fn all_actions() -> Vec<Action> {
        vec![
            Action::Request(req()),
            Action::VerifyIdentity,
            Action::Reject,
            Action::IssueCode,
            Action::ReissueCode,
            Action::Activate(verified("041222222")),
            Action::Lapse,
            Action::Suspend,
            Action::Resume,
            Action::ChangePhone(verified("041333333")),
            Action::Revoke,
        ]
    }

    /// The complete table of legal (state, action) pairs and where they lead.
    fn expected(state: &str, action: &str) -> Option<&'static str> {
        Some(match (state, action) {
            ("not_requested", "request") | ("revoked", "request") => "requested",
            ("requested", "verify_identity") => "identity_verified",
            ("requested", "reject") | ("identity_verified", "reject") => "not_requested",
            ("identity_verified", "issue_code") | ("code_issued", "reissue_code") => "code_issued",
            ("code_issued", "activate") => "active",
            ("code_issued", "lapse") => "not_requested",
            ("active", "suspend") => "suspended",
            ("active", "change_phone") | ("suspended", "resume") => "active",
            (
                "requested" | "identity_verified" | "code_issued" | "active" | "suspended",
                "revoke",
            ) => "revoked",
            _ => return None,
        })
    }

    #[test]
    fn every_pair_is_legal_exactly_as_the_table_says() {
        let mut legal = 0;
        let mut refused = 0;
        for s in all_states() {
            for a in all_actions() {
                let (from, name) = (s.code(), a.name());
                match (s.clone().apply(a), expected(from, name)) {
                    (Ok(next), Some(to)) => {
                        assert_eq!(next.code(), to, "{from} --{name}-->");
                        legal += 1;
                    }
                    (Err(e), None) => {
                        assert_eq!(e, IllegalTransition { from, action: name });
                        refused += 1;
                    }
                    (got, want) => panic!("{from} --{name}--> {got:?}, expected {want:?}"),
                }
            }
        }
        assert_eq!(legal, 17);
        assert_eq!(refused, 7 * 11 - 17);
    }

    #[test]
    fn only_active_receives_login_codes() {
        for s in all_states() {
            let gets = s.login_phone().is_some();
            assert_eq!(gets, s.code() == "active", "{s}");
        }
    }

    #[test]
    fn suspension_keeps_the_phone_and_resume_restores_it() {
        let a = Active {
            phone: phone("041111111"),
        };
        let back = a.clone().suspend().resume();
        assert_eq!(back, a);
    }

    #[test]
    fn activation_and_change_use_the_verified_phone() {
        let s = SmsPassState::CodeIssued(CodeIssued { request: req() });
        let s = s.apply(Action::Activate(verified("041222222")));
        assert_eq!(
            s.as_ref().ok().and_then(|s| s.login_phone()),
            Some(&phone("041222222"))
        );
        let s = s.and_then(|s| s.apply(Action::ChangePhone(verified("041333333"))));
        assert_eq!(
            s.as_ref().ok().and_then(|s| s.login_phone()),
            Some(&phone("041333333"))
        );
    }

    #[test]
    fn reactivation_after_revocation_is_a_new_request() {
        let s = SmsPassState::Active(Active {
            phone: phone("041111111"),
        })
        .apply(Action::Revoke);
        assert_eq!(s.as_ref().map(|s| s.code()), Ok("revoked"));
        assert!(s.as_ref().ok().and_then(|s| s.phone()).is_none());
        let r2 = RequestRef {
            id: "r2".into(),
            path: ActivationPath::B,
        };
        let s = s.and_then(|s| s.apply(Action::Request(r2.clone())));
        assert_eq!(s.as_ref().ok().and_then(|s| s.request()), Some(&r2));
    }

    #[test]
    fn a_new_code_only_for_an_issued_code_and_for_the_same_request() {
        let s = SmsPassState::CodeIssued(CodeIssued { request: req() });
        let next = s.clone().apply(Action::ReissueCode);
        assert_eq!(next, Ok(s));
        for s in all_states()
            .into_iter()
            .filter(|s| s.code() != "code_issued")
        {
            let from = s.code();
            assert_eq!(
                s.apply(Action::ReissueCode),
                Err(IllegalTransition {
                    from,
                    action: "reissue_code"
                })
            );
        }
    }

    #[test]
    fn path_round_trips() {
        for p in [ActivationPath::A, ActivationPath::B] {
            assert_eq!(ActivationPath::parse(p.as_str()), Some(p));
        }
        assert_eq!(ActivationPath::parse("C"), None);
    }
}
