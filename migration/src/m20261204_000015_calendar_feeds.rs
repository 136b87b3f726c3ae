//! Calendar feeds and the announcements of process events.
//!
//! `calendar_feed`: a user's feed of the process calendar for calendar
//! clients that cannot send a bearer token. The URL carries a random
//! secret; only its SHA-256 (`secret_hash`, hex) is stored, unique across
//! every kommun because a feed is found by it before its kommun is known.
//! `subject` and `role` are the creating token's; `namnder` (a JSON list
//! of nämnd codes, null for the whole kommun) is the scope it shows.
//!
//! `process_announcement`: that a process event without a write of its
//! own (a deadline passed, an obligation came into being) has been
//! announced, once per `(kommun_id, kind, subject_key)`: the unique index
//! makes the announcement exactly once across instances.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut feed = versioned_table("calendar_feed");
        feed.col(string_len(a("subject"), 200))
            .col(string_len(a("role"), 30))
            .col(string_len_null(a("name"), 200))
            .col(text_null(a("namnder")))
            .col(string_len(a("secret_hash"), 64));
        m.create_table(feed).await?;
        m.create_index(index(
            "ix_calendar_feed_kommun_subject",
            "calendar_feed",
            &["kommun_id", "subject"],
        ))
        .await?;
        // Looked up by the secret alone (the kommun is not known yet).
        m.create_index(unique(
            "ux_calendar_feed_secret_hash",
            "calendar_feed",
            &["secret_hash"],
        ))
        .await?;

        let mut announcement = child_table("process_announcement");
        announcement
            .col(string_len(a("kind"), 30))
            .col(string_len(a("subject_key"), 100))
            .col(timestamp_with_time_zone(a("announced_at")));
        m.create_table(announcement).await?;
        m.create_index(unique(
            "ux_process_announcement_kommun_kind_subject",
            "process_announcement",
            &["kommun_id", "kind", "subject_key"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("process_announcement")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("calendar_feed")).to_owned())
            .await
    }
}
