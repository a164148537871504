//! A search column on `citizens`: given name, family name and username in lower case, folded in Rust
//! (Unicode), because SQLite's lower() and LIKE fold only ASCII and PostgreSQL's LIKE folds nothing —
//! so "ČEBULJ" finds "Čebulj" on both. Filled on write by the storage layer with [`search_text`];
//! this migration backfills the rows that exist.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, TryGetable};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    Id,
    Username,
    GivenName,
    FamilyName,
    SearchName,
}

/// The stored search text of a citizen (also applied to what an officer types, word by word).
pub fn search_text(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn get<T: TryGetable>(
    row: &sea_orm_migration::sea_orm::QueryResult,
    col: &str,
) -> Result<T, DbErr> {
    row.try_get("", col)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Citizens::Table)
                    .add_column(ColumnDef::new(Citizens::SearchName).string_len(400).null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let select = Query::select()
            .columns([
                Citizens::Id,
                Citizens::Username,
                Citizens::GivenName,
                Citizens::FamilyName,
            ])
            .from(Citizens::Table)
            .to_owned();
        for row in db.query_all(backend.build(&select)).await? {
            let id: String = get(&row, "id")?;
            let text = search_text(&[
                &get::<String>(&row, "given_name")?,
                &get::<String>(&row, "family_name")?,
                &get::<String>(&row, "username")?,
            ]);
            let update = Query::update()
                .table(Citizens::Table)
                .value(Citizens::SearchName, text)
                .and_where(Expr::col(Citizens::Id).eq(id))
                .to_owned();
            db.execute(backend.build(&update)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Citizens::Table)
                    .drop_column(Citizens::SearchName)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::search_text;

    #[test]
    fn slovenian_capitals_fold_to_lower_case() {
        assert_eq!(
            search_text(&["  ŠPELA ", "Čebulj-Žnidar", "spela.c"]),
            "špela čebulj-žnidar spela.c"
        );
        assert_eq!(search_text(&["Ana", "", "ana"]), "ana ana");
    }
}
