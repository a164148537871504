use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activation_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub reference: String,
    pub citizen_id: String,
    pub path: String,
    pub status: String,
    pub lang: String,
    pub created_at: i64,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub document_expiry: Option<String>,
    pub office: Option<String>,
    pub officer: Option<String>,
    pub checked_at: Option<i64>,
    pub citizen_signed_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
