//! Deployments: following them (L6), creating and cancelling them (L4, B6, E1, L7), starting an
//! environment rollback (E1–E3), planning them (L5, B7, E4, B9) and running them in one
//! transaction (L5).

mod create;
mod deployable;
mod environment_rollback;
mod plan;
mod preview;
mod run;
mod schedule;
mod selection;
mod undone;
mod views;

pub use create::{cancel, create_for_release};
pub use environment_rollback::create_environment_rollback;
pub(crate) use environment_rollback::preview_environment_rollback;
pub(crate) use preview::plan_pages;
pub use preview::PlanPage;
pub use preview::{preview, preview_in_pages, preview_page};
pub(crate) use run::requeue;
pub use run::{announce, run};
pub use schedule::list;
pub(crate) use schedule::ScheduleQuery;
pub use selection::RollbackOptions;
/// How many keys a deployment plans and writes at a time, unless configured otherwise: what it
/// holds in memory is a page, whatever the size of the release.
pub const DEPLOY_PAGE: i64 = 10_000;

pub use views::{get, items, DeploymentView};
pub(crate) use views::{get_many, list_for_environment, list_for_release, recently_changed, release_name};
