//! IdP SSO sessions and the e-services each session has logged in to.
use super::entity::{citizen, session_participant as part, sso_session as sess};
use super::{audit, citizens, Participant, SessionRecord, StorageError, Store};
use crate::audit::AuditEvent;
use crate::domain::citizen::Citizen;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait, Set, Statement, TransactionTrait, Value,
};

fn from(m: sess::Model) -> SessionRecord {
    SessionRecord {
        id: m.id,
        token_hash: m.token_hash,
        citizen_id: m.citizen_id,
        level: m.level,
        authn_instant: m.authn_instant,
        created_at: m.created_at,
        last_seen_at: m.last_seen_at,
        expires_at: m.expires_at,
        revoked: m.revoked,
    }
}

impl Store {
    /// Stores a new session; `replaces` (the session the browser had, if any) is revoked in the same
    /// transaction, so a login always rotates the session token.
    pub async fn create_session(
        &self,
        s: &SessionRecord,
        replaces: Option<&str>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        if let Some(old) = replaces {
            sess::Entity::update_many()
                .col_expr(sess::Column::Revoked, Expr::value(true))
                .filter(sess::Column::Id.eq(old))
                .exec(&t)
                .await?;
        }
        sess::Entity::insert(sess::ActiveModel {
            id: Set(s.id.clone()),
            token_hash: Set(s.token_hash.clone()),
            citizen_id: Set(s.citizen_id.clone()),
            level: Set(s.level),
            authn_instant: Set(s.authn_instant),
            created_at: Set(s.created_at),
            last_seen_at: Set(s.last_seen_at),
            expires_at: Set(s.expires_at),
            revoked: Set(false),
        })
        .exec_without_returning(&t)
        .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    pub async fn find_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, StorageError> {
        Ok(sess::Entity::find()
            .filter(sess::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(from))
    }

    /// The session with this token hash and its citizen, in one query. The statement is built once
    /// per backend (it is asked on every SSO) and only the token hash is bound anew.
    pub async fn find_session_with_citizen(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRecord, Option<Citizen>)>, StorageError> {
        const MARK: &str = "\u{0}token-hash";
        static TEMPLATES: std::sync::OnceLock<std::sync::Mutex<Vec<Statement>>> =
            std::sync::OnceLock::new();
        let backend = self.db.get_database_backend();
        let templates = TEMPLATES.get_or_init(Default::default);
        let cached = match templates.lock() {
            Ok(t) => t.iter().find(|st| st.db_backend == backend).cloned(),
            Err(p) => p
                .into_inner()
                .iter()
                .find(|st| st.db_backend == backend)
                .cloned(),
        };
        let template = match cached {
            Some(t) => t,
            None => {
                let t = sess::Entity::find()
                    .filter(sess::Column::TokenHash.eq(MARK))
                    .find_also_related(citizen::Entity)
                    .limit(1)
                    .build(backend);
                if let Ok(mut all) = templates.lock() {
                    all.push(t.clone());
                }
                t
            }
        };
        let mut stmt = template;
        let slot = stmt.values.as_mut().and_then(|v| {
            v.0.iter_mut()
                .find(|x| matches!(x, Value::String(Some(m)) if m.as_str() == MARK))
        });
        let Some(slot) = slot else {
            return Err(StorageError::Corrupt(
                "session query without its parameter".into(),
            ));
        };
        *slot = Value::from(token_hash);
        let Some(row) = self.db.query_one(stmt).await? else {
            return Ok(None);
        };
        // The column prefixes sea-orm gives the two sides of `find_also_related`.
        let s = sess::Model::from_query_result(&row, "A_")?;
        let c = citizen::Model::from_query_result_optional(&row, "B_")?;
        Ok(Some((from(s), c.map(citizens::to_domain).transpose()?)))
    }

    pub async fn touch_session(&self, id: &str, now_ms: i64) -> Result<(), StorageError> {
        sess::Entity::update_many()
            .col_expr(sess::Column::LastSeenAt, Expr::value(now_ms))
            .filter(sess::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn revoke_session(&self, id: &str) -> Result<(), StorageError> {
        sess::Entity::update_many()
            .col_expr(sess::Column::Revoked, Expr::value(true))
            .filter(sess::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn participants(&self, session_id: &str) -> Result<Vec<Participant>, StorageError> {
        Ok(part::Entity::find()
            .filter(part::Column::SessionId.eq(session_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| Participant {
                sp_entity_id: m.sp_entity_id,
                name_id: m.name_id,
                name_id_format: m.name_id_format,
            })
            .collect())
    }

    pub(super) async fn purge_sessions(&self, now_ms: i64) -> Result<u64, StorageError> {
        Ok(sess::Entity::delete_many()
            .filter(sess::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
