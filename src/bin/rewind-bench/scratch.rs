//! The scratch database a run works on, created for it and dropped after.

use std::path::PathBuf;

use clap::ValueEnum;
use rewind::db::DatabaseUrl;

use super::{floor, BenchResult};

/// Which backend the scratch database lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name the JSON line reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database that exists for one run and is removed when dropped, also after a panic.
pub enum ScratchDb {
    /// A SQLite file in the temp directory (with its `-wal` and `-shm` companions).
    Sqlite(PathBuf),
    /// A database on a PostgreSQL server: the server's admin URL and the database's name.
    Postgres { admin_url: String, name: String },
}

impl ScratchDb {
    /// Creates an empty database on `backend`; `admin_url` is used for PostgreSQL only.
    pub fn create(backend: Backend, admin_url: &str) -> BenchResult<ScratchDb> {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => Ok(ScratchDb::Sqlite(std::env::temp_dir().join(format!("rewind-bench-{unique}.db")))),
            Backend::Postgres => {
                let name = format!("rewind_bench_{unique}");
                floor::create_database(admin_url, &name)?;
                Ok(ScratchDb::Postgres { admin_url: admin_url.to_string(), name })
            }
        }
    }

    /// Where the service connects to.
    pub fn url(&self) -> DatabaseUrl {
        match self {
            ScratchDb::Sqlite(path) => DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()),
            ScratchDb::Postgres { admin_url, name } => {
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
                DatabaseUrl::Postgres(format!("{base}/{name}"))
            }
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        match self {
            ScratchDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            ScratchDb::Postgres { admin_url, name } => floor::drop_database(admin_url, name),
        }
    }
}
