//! One migration set for SQLite and PostgreSQL. Timestamps are stored as Unix milliseconds (BIGINT) so
//! comparisons behave the same on both databases.
pub use sea_orm_migration::prelude::*;

mod m0001_core;
mod m0002_staff;
mod m0003_citizen_profile;
mod m0004_email_tokens;
mod m0005_activation;
mod m0006_certs_letters;
mod m0007_search_names;
mod m0008_search_fold;
mod m0009_storage_probe;
mod m0010_auth_flows;
mod m0011_sms_sends;

pub use m0007_search_names::search_text;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_core::Migration),
            Box::new(m0002_staff::Migration),
            Box::new(m0003_citizen_profile::Migration),
            Box::new(m0004_email_tokens::Migration),
            Box::new(m0005_activation::Migration),
            Box::new(m0006_certs_letters::Migration),
            Box::new(m0007_search_names::Migration),
            Box::new(m0008_search_fold::Migration),
            Box::new(m0009_storage_probe::Migration),
            Box::new(m0010_auth_flows::Migration),
            Box::new(m0011_sms_sends::Migration),
        ]
    }
}
