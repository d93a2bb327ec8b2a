//! U2: the overview: each environment with its active deployment and published-key count, the
//! timeline of their recent deployments, and the upcoming scheduled deployments (Q1).

use askama::Template;
use serde::Deserialize;

use super::holds::{FreezeLine, HoldLine};
use super::timeline::{draw, Timeline};
use super::views::{lines, next_link, page as page_of, DeploymentLine};
use super::{page, Chrome, Page, Session};
use crate::domain::DeploymentStatus;
use crate::http::Cursor;
use crate::runtime::db;
use crate::runtime::AppState;
use crate::service::deployments::{self, ScheduleQuery};
use crate::service::environments;
use actix_web::web;

/// How many environments, recent deployments per lane and scheduled deployments a page shows.
const ENVIRONMENTS: i64 = 20;
const RECENT: i64 = 12;
const UPCOMING: i64 = 20;

/// One environment's card: with its hold and open freeze window (U5).
pub struct EnvironmentCard {
    pub name: String,
    pub published_keys: i64,
    pub active: Option<DeploymentLine>,
    pub hold: Option<HoldLine>,
    pub freeze: Option<FreezeLine>,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct Overview {
    c: Chrome,
    environments: Vec<EnvironmentCard>,
    timeline: Timeline,
    upcoming: Vec<DeploymentLine>,
    next: Option<String>,
}

/// The overview's query: the page of environments.
#[derive(Deserialize)]
pub struct OverviewQuery {
    cursor: Option<String>,
}

/// U2: the overview.
pub async fn overview(state: web::Data<AppState>, s: Session, q: web::Query<OverviewQuery>) -> Page {
    let envs_page = page_of(&q.cursor, ENVIRONMENTS, Cursor::Id)?;
    let (envs, recent, upcoming) = db(&state, move |c| {
        let envs = environments::list(c, &envs_page)?;
        let mut recent = Vec::with_capacity(envs.data.len());
        for e in &envs.data {
            let p = crate::service::PageParams { limit: RECENT, cursor: None };
            recent.push(deployments::list_for_environment(c, &e.row.name, &p)?.data);
        }
        let scheduled = ScheduleQuery { statuses: vec![DeploymentStatus::Scheduled], ..Default::default() };
        let upcoming = deployments::list(c, scheduled, &crate::service::PageParams { limit: UPCOMING, cursor: None })?;
        Ok((envs, recent, upcoming.data))
    })
    .await?;
    let environments = envs
        .data
        .iter()
        .map(|e| EnvironmentCard {
            name: e.row.name.clone(),
            published_keys: e.published_keys,
            active: e.active_deployment.as_ref().map(DeploymentLine::from),
            hold: e.hold.as_ref().map(HoldLine::from),
            freeze: e.freeze.as_ref().map(FreezeLine::from),
        })
        .collect();
    // U5: a held or frozen environment's lane is drawn so.
    let standing = |e: &crate::service::environments::EnvironmentView| match (&e.hold, &e.freeze) {
        (Some(_), _) => Some("held"),
        (None, Some(_)) => Some("frozen"),
        (None, None) => None,
    };
    let timeline =
        draw(envs.data.iter().zip(recent).map(|(e, ds)| (e.row.name.clone(), standing(e), lines(&ds))).collect());
    page(&Overview {
        c: Chrome::from(&s),
        environments,
        timeline,
        upcoming: lines(&upcoming),
        next: next_link("/console/?", &envs.next_cursor),
    })
}
