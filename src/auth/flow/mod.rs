//! The authentication engine's model: every login — to an e-service, to the user pages, to the staff
//! area, or the proof that a citizen holds a phone — is one *flow* with a typed [`Purpose`] and, once
//! known, a [`Principal`]. A flow lives in the database (one row, found by the hash of its cookie token
//! or by its principal), so any node can serve any step. Its steps are small and chained per purpose
//! ([`Purpose::steps`]): password → SMS code → finish, where a purpose may skip the password (the
//! citizen is already known) or the code (the e-service asks for less).
//!
//! Guarantees (each has a negative test):
//! - one challenge policy ([`ChallengePolicy`]) decides for every purpose when a code may be sent
//!   again, whether a code may still be checked, and what a wrong code leaves (`challenge`);
//! - a purpose's payload is typed and round-trips through its stored JSON; an unknown kind is refused
//!   when read, never guessed (`purpose`);
//! - the principal kind of a flow is fixed by its purpose: a staff flow never carries a citizen and
//!   the other way round (`Purpose::principal_kind`).
mod challenge;
mod purpose;

pub use challenge::{AfterWrong, ChallengePolicy, ChallengeState, NotCheckable, ResendRefused};
pub use purpose::{
    AccountPages, PhoneProof, PhoneReason, Principal, PrincipalKind, Purpose, RequestedContext,
    SsoRequest, Step,
};
