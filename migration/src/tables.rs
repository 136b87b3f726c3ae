//! Helpers shared by the migrations: tables with the standard columns,
//! foreign keys and indexes by name.

use sea_orm_migration::{prelude::*, schema::*};

pub fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// id, kommun_id and the bookkeeping columns of every versioned table.
pub fn versioned_table(name: &str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(a(name))
        .col(uuid(a("id")).primary_key())
        .col(uuid(a("kommun_id")))
        .col(integer(a("version")).default(1))
        .col(timestamp_with_time_zone(a("created_at")))
        .col(timestamp_with_time_zone(a("updated_at")))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_kommun"))
                .from(a(name), a("kommun_id"))
                .to(a("kommun"), a("id")),
        );
    t
}

/// id and kommun_id of a dependent row without its own version.
pub fn child_table(name: &str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(a(name))
        .col(uuid(a("id")).primary_key())
        .col(uuid(a("kommun_id")))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_kommun"))
                .from(a(name), a("kommun_id"))
                .to(a("kommun"), a("id")),
        );
    t
}

pub fn fk(table: &str, column: &str, target: &str, cascade: bool) -> ForeignKeyCreateStatement {
    let mut key = ForeignKey::create();
    key.name(format!("fk_{table}_{column}"))
        .from(a(table), a(column))
        .to(a(target), a("id"));
    if cascade {
        key.on_delete(ForeignKeyAction::Cascade);
    }
    key
}

pub fn unique(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(a(table)).unique();
    for c in columns {
        index.col(a(c));
    }
    index
}

pub fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(a(table));
    for c in columns {
        index.col(a(c));
    }
    index
}
