//! The desk's name search ignores diacritics: `search_text` now folds them ("cebulj" finds
//! "Čebulj"); this rewrites the search column of the citizens stored before.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::m0007_search_names::backfill(manager).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The folded text still finds every name the unfolded text found.
        Ok(())
    }
}
