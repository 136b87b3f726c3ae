//! Webhook subscriptions and their outbox; the process calendar.
//!
//! `deadline`: a date of the kommun's follow-up process for a period and
//! report type (kind underlag, namndbeslut, inlamning, ks, kf), for every
//! nämnd or for one (`namnd_id`).
//! `obligation_rule`: "a report whose helårsprognos deviates below −X %
//! (or −N kr) of budget requires an åtgärdsplan within D days of its
//! approval"; the obligations themselves are derived on read.
//!
//! `webhook`: a kommun's subscription (URL, event types as a JSON list, the
//! signing secret, whether it is enabled and since when it has failed).
//! `webhook_delivery`: one event for one subscription, written by the write
//! path in the same transaction as the change it announces, then claimed,
//! sent and logged by the delivery worker. `seq` is the change number of
//! the kommun (see the change feed): deliveries of one subscription are
//! sent in `(seq, id)` order.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut webhook = versioned_table("webhook");
        webhook
            .col(string_len(a("url"), 2000))
            .col(text_null(a("description")))
            .col(text(a("event_types")))
            .col(string_len(a("secret"), 200))
            .col(boolean(a("enabled")))
            .col(timestamp_with_time_zone_null(a("failing_since")))
            .col(text_null(a("disabled_reason")));
        m.create_table(webhook).await?;
        m.create_index(index(
            "ix_webhook_kommun",
            "webhook",
            &["kommun_id", "enabled"],
        ))
        .await?;

        let mut delivery = child_table("webhook_delivery");
        delivery
            .col(uuid(a("webhook_id")))
            .col(big_integer(a("seq")))
            .col(string_len(a("event_type"), 200))
            .col(text(a("payload")))
            .col(string_len(a("status"), 20))
            .col(integer(a("attempts")))
            .col(timestamp_with_time_zone(a("next_attempt_at")))
            .col(timestamp_with_time_zone_null(a("claimed_until")))
            .col(timestamp_with_time_zone_null(a("last_attempt_at")))
            .col(integer_null(a("last_status_code")))
            .col(text_null(a("last_error")))
            .col(timestamp_with_time_zone_null(a("delivered_at")))
            .col(timestamp_with_time_zone(a("created_at")))
            .foreign_key(&mut fk("webhook_delivery", "webhook_id", "webhook", true));
        m.create_table(delivery).await?;
        m.create_index(index(
            "ix_webhook_delivery_kommun_webhook_seq",
            "webhook_delivery",
            &["kommun_id", "webhook_id", "seq"],
        ))
        .await?;
        // The worker looks for pending deliveries of every kommun.
        m.create_index(index(
            "ix_webhook_delivery_kommun_status_due",
            "webhook_delivery",
            &["kommun_id", "status", "next_attempt_at"],
        ))
        .await?;

        let mut deadline = versioned_table("deadline");
        deadline
            .col(uuid(a("period_id")))
            .col(string_len(a("report_type"), 30))
            .col(string_len(a("kind"), 20))
            .col(date(a("due_date")))
            .col(uuid_null(a("namnd_id")))
            .foreign_key(&mut fk("deadline", "period_id", "period", false))
            .foreign_key(&mut fk("deadline", "namnd_id", "namnd", false));
        m.create_table(deadline).await?;
        m.create_index(index(
            "ix_deadline_kommun_period_type",
            "deadline",
            &["kommun_id", "period_id", "report_type"],
        ))
        .await?;

        let mut rule = versioned_table("obligation_rule");
        rule.col(string_len(a("name"), 200))
            .col(string_len_null(a("min_deviation_percent"), 40))
            .col(big_integer_null(a("min_deviation_kr")))
            .col(integer(a("within_days")));
        m.create_table(rule).await?;
        m.create_index(index(
            "ix_obligation_rule_kommun",
            "obligation_rule",
            &["kommun_id"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("obligation_rule")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("deadline")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("webhook_delivery")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("webhook")).to_owned())
            .await
    }
}
