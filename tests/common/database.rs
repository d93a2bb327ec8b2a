//! A database of its own for each test: a temporary SQLite file, or a PostgreSQL database created
//! for it and dropped after; and the migrations a migration test applies or reverts.

use rewind::db::{self, DatabaseUrl, DbConn};

/// The backend this run of the suite uses: `REWIND_TEST_BACKEND=sqlite` (default) or `postgres`.
pub fn backend() -> String {
    std::env::var("REWIND_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("REWIND_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    /// A new, empty database on the backend of this run.
    pub fn new() -> TestDb {
        if backend() == "postgres" {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            let name = format!("rewind_t_{}", uuid::Uuid::now_v7().simple());
            let admin = pg_admin_url();
            let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL for tests (REWIND_TEST_PG_URL)");
            c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
            TestDb { url: DatabaseUrl::Postgres(format!("{base}/{name}")), _dir: None, pg_name: Some(name) }
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("rewind.db").to_string_lossy().into_owned();
            TestDb { url: DatabaseUrl::Sqlite(path), _dir: Some(dir), pg_name: None }
        }
    }

    /// The URL as `DATABASE_URL` takes it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(u) | DatabaseUrl::Sqlite(u) => u.clone(),
        }
    }

    /// A plain connection (not migrated by itself).
    pub fn connect(&self) -> DbConn {
        db::connect(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            if let Ok(mut c) = diesel::PgConnection::establish(&pg_admin_url()) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Applies, in order, the migrations that come before the one whose name ends with `suffix`:
/// the schema as it was, to fill with the data that migration must carry over.
pub fn migrate_before(conn: &mut DbConn, suffix: &str) {
    fn apply<DB, C>(conn: &mut C, dir: &str, suffix: &str)
    where
        DB: diesel::backend::Backend,
        C: diesel_migrations::MigrationHarness<DB> + diesel::migration::MigrationConnection,
        diesel_migrations::FileBasedMigrations: diesel::migration::MigrationSource<DB>,
    {
        use diesel::migration::MigrationSource;
        conn.setup().unwrap();
        let mut all = diesel_migrations::FileBasedMigrations::from_path(dir).unwrap().migrations().unwrap();
        all.sort_by_key(|m| m.name().version().to_string());
        assert!(all.iter().any(|m| m.name().to_string().ends_with(suffix)), "no migration {suffix}");
        for m in all.iter().take_while(|m| !m.name().to_string().ends_with(suffix)) {
            conn.run_migration(&**m).unwrap();
        }
    }
    match conn {
        DbConn::Pg(c) => apply(c, "migrations/postgres", suffix),
        DbConn::Sqlite(c) => apply(c, "migrations/sqlite", suffix),
    }
}

/// Reverts migrations, newest first, down to and including the one whose name ends with
/// `suffix`: the schema as it was before it, with the data its down migration carried back.
pub fn revert_through(conn: &mut DbConn, suffix: &str) {
    fn revert<DB, C>(conn: &mut C, dir: &str, suffix: &str)
    where
        DB: diesel::backend::Backend,
        C: diesel_migrations::MigrationHarness<DB>,
        diesel_migrations::FileBasedMigrations: diesel::migration::MigrationSource<DB>,
    {
        use diesel::migration::MigrationSource;
        let source = || diesel_migrations::FileBasedMigrations::from_path(dir).unwrap();
        let all = MigrationSource::<DB>::migrations(&source()).unwrap();
        let target = all.iter().find(|m| m.name().to_string().ends_with(suffix)).expect(suffix).name().version();
        let target = target.to_string();
        while conn.revert_last_migration(source()).unwrap().to_string() != target {}
    }
    match conn {
        DbConn::Pg(c) => revert(c, "migrations/postgres", suffix),
        DbConn::Sqlite(c) => revert(c, "migrations/sqlite", suffix),
    }
}
