//! Every test leaves no database behind: the guard a test app holds drops
//! it when the test ends, and also when the test panics.

use kommunrapport::auth::Role;

use crate::{both_databases, helpers::*};

/// Whether the database behind `url` (an SQLite file or a PostgreSQL
/// database) is still there, with any SQLite side file.
async fn exists(backend: Backend, url: &str) -> bool {
    let name = url
        .rsplit('/')
        .next()
        .and_then(|last| last.split(['.', '?']).next())
        .expect("database name");
    assert!(name.starts_with("kr_test_"), "{url}");
    match backend {
        Backend::Sqlite => ["db", "db-wal", "db-shm", "db-journal"]
            .iter()
            .any(|ext| std::env::temp_dir().join(format!("{name}.{ext}")).exists()),
        Backend::Postgres => {
            use sea_orm::{ConnectionTrait, Database, Statement};
            let admin = Database::connect(postgres_admin_url()).await.unwrap();
            let found = admin
                .query_one_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
                ))
                .await
                .unwrap()
                .is_some();
            admin.close().await.ok();
            found
        }
    }
}

/// A used application on a fresh database; returns its URL once it has
/// written to it.
async fn used_app(backend: Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    app.katrineholm().await;
    assert_eq!(
        app.get("/api/v1/kommuner", &app.token(Role::Admin))
            .status()
            .await,
        200
    );
    let url = app.settings.database_url.clone();
    assert!(exists(backend, &url).await, "{url} was never there");
    (app, url)
}

async fn the_database_goes_with_the_app(backend: Backend) {
    let (app, url) = used_app(backend).await;
    drop(app);
    assert!(!exists(backend, &url).await, "{url} is left");

    let (sender, receiver) = tokio::sync::oneshot::channel();
    let failing = tokio::spawn(async move {
        let (_app, url) = used_app(backend).await;
        sender.send(url).unwrap();
        panic!("a failing test");
    });
    let failed = failing.await.expect_err("the test body panics");
    assert!(failed.is_panic());
    let url = receiver.await.unwrap();
    assert!(!exists(backend, &url).await, "{url} is left after a panic");

    let database = fresh_database(backend).await;
    let url = database.url.clone();
    kommunrapport::startup::connect(&url).await.unwrap();
    assert!(exists(backend, &url).await, "{url} was never there");
    drop(database);
    assert!(!exists(backend, &url).await, "{url} is left");
}
both_databases!(the_database_goes_with_the_app);
