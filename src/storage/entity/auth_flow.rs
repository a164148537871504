use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub token_hash: String,
    pub kind: String,
    pub principal_kind: Option<String>,
    pub principal_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub purpose_json: String,
    pub password_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
