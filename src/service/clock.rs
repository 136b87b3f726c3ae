//! The time of day as the record keeps it.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, to the microsecond: what PostgreSQL's `timestamptz` keeps, so a
/// time reads back as it was written and both databases show the same
/// digits (SQLite would keep nanoseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    #[test]
    fn now_has_whole_microseconds() {
        assert_eq!(super::now().nanosecond() % 1_000, 0);
    }
}
