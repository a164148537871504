//! Plain records handed out by storage.

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
