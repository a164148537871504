use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seen_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sp_entity_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
