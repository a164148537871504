//! The state codes of [`super::SmsPassState`] and the message keys built from them (a closed set).

/// Every code [`super::SmsPassState::code`] gives (one per state); keys are built from these only.
pub const STATE_CODES: [&str; 7] = [
    "not_requested",
    "requested",
    "identity_verified",
    "code_issued",
    "active",
    "suspended",
    "revoked",
];

/// What the citizen does next, beyond the per-state text: a letter is on its way; the code is dead.
pub const NEXT_EXTRA: [&str; 2] = ["letter", "code_dead"];

/// The message key describing a state (`code` from [`STATE_CODES`]).
pub fn state_key(code: &str) -> String {
    format!("smspass.state.{code}")
}

/// The message key saying what comes next (`what` from [`STATE_CODES`] or [`NEXT_EXTRA`]).
pub fn next_key(what: &str) -> String {
    format!("smspass.next.{what}")
}
