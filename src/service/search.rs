//! Text that compares the same on both databases: case-insensitive search,
//! and the order of rows by a text column.
//!
//! PostgreSQL's `lower()` folds every letter; SQLite's folds ASCII only, so
//! `q=äldre` would miss "Äldreomsorg" there. On SQLite the column is first
//! passed through `replace()` for each upper-case Latin-1 letter (å, ä, ö,
//! é, ü, æ, ø …), which covers Swedish and its neighbours' names.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend,
    sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, SimpleExpr},
};

/// The upper-case letters of Latin-1 (U+00C0–U+00DE without ×).
fn latin1_upper() -> impl Iterator<Item = char> {
    ('\u{c0}'..='\u{de}').filter(|&c| c != '\u{d7}')
}

/// `%text%` for LIKE, lower-cased, with the wildcards of `text` escaped.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `column` lower-cased as PostgreSQL would, on either database.
fn folded<C: ColumnTrait>(backend: DbBackend, column: C) -> SimpleExpr {
    let mut expr: SimpleExpr = Expr::col(column);
    if backend == DbBackend::Sqlite {
        for upper in latin1_upper() {
            let lower: String = upper.to_lowercase().collect();
            expr = Func::cust(Alias::new("replace"))
                .arg(expr)
                .arg(upper.to_string())
                .arg(lower)
                .into();
        }
    }
    Func::lower(expr).into()
}

/// `column` contains `text`, ignoring case: `lower(column) LIKE '%text%'`.
pub fn contains_folded<C: ColumnTrait>(backend: DbBackend, column: C, text: &str) -> SimpleExpr {
    Expr::expr(folded(backend, column)).like(LikeExpr::new(like_pattern(text)).escape('\\'))
}

/// `column` for `ORDER BY`, in byte order on either database. SQLite
/// compares text bytewise; PostgreSQL by the database's collation, which in
/// production is often Swedish or English ("a" before "B", in English "Å"
/// beside "A"), so there the column is compared `COLLATE "C"`.
pub fn in_byte_order<C: ColumnTrait>(db: &impl ConnectionTrait, column: C) -> SimpleExpr {
    match db.get_database_backend() {
        DbBackend::Postgres => Expr::cust_with_expr(r#"$1 COLLATE "C""#, Expr::col(column)),
        _ => Expr::col(column),
    }
}

/// Any of `columns` contains `text`, ignoring case (a search over a
/// title and a description).
pub fn any_contains_folded<C: ColumnTrait>(
    backend: DbBackend,
    columns: impl IntoIterator<Item = C>,
    text: &str,
) -> Condition {
    columns.into_iter().fold(Condition::any(), |any, column| {
        any.add(contains_folded(backend, column, text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards_and_fold() {
        assert_eq!(like_pattern(" ÄLDRE "), "%äldre%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn every_latin1_capital_has_one_lower_case_letter() {
        let letters: Vec<char> = latin1_upper().collect();
        assert_eq!(letters.len(), 30);
        assert!(letters.contains(&'Å') && letters.contains(&'Ä') && letters.contains(&'Ö'));
        for c in letters {
            assert_eq!(c.to_lowercase().count(), 1, "{c}");
            assert_ne!(c.to_lowercase().next(), Some(c), "{c}");
        }
    }
}
