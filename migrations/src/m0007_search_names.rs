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

/// The stored search text of a citizen (also applied to what an officer types, word by word): lower
/// case and without diacritics (canonical decomposition, combining marks dropped; đ, ł, ø, which do
/// not decompose, mapped by hand), so "cebulj" finds "Čebulj" and "ČEBULJ" finds it too. Migration
/// m0008 rewrote the rows stored before the diacritics were folded.
pub fn search_text(parts: &[&str]) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    parts
        .iter()
        .map(|p| {
            p.trim()
                .to_lowercase()
                .nfd()
                .filter(|c| !is_combining_mark(*c))
                .map(|c| match c {
                    'đ' => 'd',
                    'ł' => 'l',
                    'ø' => 'o',
                    other => other,
                })
                .collect::<String>()
        })
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

/// Writes `search_text` of every stored citizen into its search column.
pub(crate) async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
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
        backfill(manager).await
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
    fn capitals_and_diacritics_fold() {
        assert_eq!(
            search_text(&["  ŠPELA ", "Čebulj-Žnidar", "spela.c"]),
            "spela cebulj-znidar spela.c"
        );
        assert_eq!(
            search_text(&["Đurđa", "Ćirić", "Müller-Łęcka", "Øst", "Ångström"]),
            "durda ciric muller-lecka ost angstrom"
        );
        assert_eq!(search_text(&["Ana", "", "ana"]), "ana ana");
    }
}
