//! The desk's name search over the `search_name` column (lower case without diacritics, folded in
//! Rust on write and on the typed words, see `migration::search_text`), so that "ČEBULJ", "čebulj"
//! and "cebulj" all find "Čebulj" on SQLite and PostgreSQL alike. Every typed word must occur;
//! results are bounded by `limit`.
use super::entity::citizen;
use super::{citizens::to_domain, StorageError, Store};
use crate::domain::citizen::Citizen;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// At most this many words of a query are used.
const MAX_WORDS: usize = 4;

/// The condition "every word occurs in the search text"; `None` when no usable word was typed.
fn name_condition(needle: &str) -> Option<Condition> {
    let mut all = Condition::all();
    let mut any_word = false;
    for word in needle.split_whitespace().take(MAX_WORDS) {
        let w: String = migration::search_text(&[word])
            .chars()
            .filter(|c| !matches!(c, '\\' | '%' | '_'))
            .collect();
        if w.is_empty() {
            continue;
        }
        any_word = true;
        all = all.add(citizen::Column::SearchName.like(format!("%{w}%")));
    }
    any_word.then_some(all)
}

impl Store {
    /// Ids of the citizens whose names or username contain every word of `needle` (any case).
    pub(super) async fn citizen_ids_by_name(
        &self,
        needle: &str,
        limit: u64,
    ) -> Result<Vec<String>, StorageError> {
        let Some(cond) = name_condition(needle) else {
            return Ok(vec![]);
        };
        Ok(citizen::Entity::find()
            .select_only()
            .column(citizen::Column::Id)
            .filter(cond)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Citizens whose names or username contain every word of `needle` (any case), by family name.
    pub async fn citizens_by_name(
        &self,
        needle: &str,
        limit: u64,
    ) -> Result<Vec<Citizen>, StorageError> {
        let Some(cond) = name_condition(needle) else {
            return Ok(vec![]);
        };
        citizen::Entity::find()
            .filter(cond)
            .order_by_asc(citizen::Column::FamilyName)
            .order_by_asc(citizen::Column::GivenName)
            .order_by_asc(citizen::Column::Username)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_domain)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::name_condition;

    #[test]
    fn empty_and_wildcard_only_queries_match_nothing() {
        assert!(name_condition("").is_none());
        assert!(name_condition("  % _ \\ ").is_none());
        assert!(name_condition("ČEBULJ").is_some());
    }
}
