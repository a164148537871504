use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_login_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub token_hash: String,
    pub staff_id: Option<String>,
    pub password_at: Option<i64>,
    pub next_path: String,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<i64>,
    pub attempts: i32,
    pub sends: i32,
    pub last_sent_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
