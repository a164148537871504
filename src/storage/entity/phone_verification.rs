use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "phone_verifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub citizen_id: String,
    pub purpose: String,
    pub phone: String,
    pub otp_hash: String,
    pub code_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i32,
    pub sends: i32,
    pub last_sent_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
