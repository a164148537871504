//! Plain records handed out by storage.

#[derive(Debug, Clone)]
pub struct LoginTx {
    pub id: String,
    pub token_hash: String,
    pub sp_entity_id: String,
    /// The pending request, serialized by the login service.
    pub request_json: String,
    pub citizen_id: Option<String>,
    pub password_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed: bool,
}

#[derive(Debug, Clone)]
pub struct OtpRecord {
    pub id: String,
    pub login_transaction_id: String,
    pub code_hash: String,
    pub phone: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i32,
    pub sends: i32,
    pub last_sent_at: i64,
    pub spent: bool,
}

/// An AuthnRequest ID for the replay cache, written in the same transaction as its use.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub sp_entity_id: String,
    pub request_id: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub token_hash: String,
    pub citizen_id: String,
    pub level: i32,
    pub authn_instant: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct Participant {
    pub sp_entity_id: String,
    pub name_id: String,
    pub name_id_format: String,
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub citizen_id: Option<String>,
    pub sp_entity_id: Option<String>,
    pub detail: String,
}
