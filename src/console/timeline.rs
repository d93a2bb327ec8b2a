//! U2: the overview's drawing: one lane per environment, a mark per recent deployment coloured
//! by its status, and each environment rollback drawn as an arc to its target. Made on the
//! server as inline SVG (no script), its text escaped by the template like any other.

use super::views::{short, DeploymentLine};
use crate::domain::DeploymentStatus;

/// Left margin (the lane's name) and the room a mark takes.
const LEFT: i32 = 150;
const STEP: i32 = 56;
const LANE: i32 = 64;
const TOP: i32 = 40;
const MIN_WIDTH: i32 = 900;

/// The drawing: its size, its lanes.
pub struct Timeline {
    pub width: i32,
    pub height: i32,
    pub lanes: Vec<Lane>,
}

/// One environment's lane.
pub struct Lane {
    pub name: String,
    /// U5: `held` or `frozen` while the environment is (H1, H4); its lane is drawn so.
    pub held: Option<&'static str>,
    pub y: i32,
    pub end: i32,
    pub marks: Vec<Mark>,
    pub arcs: Vec<Arc>,
}

/// One deployment: a circle, linked to its page.
pub struct Mark {
    pub x: i32,
    pub id: String,
    pub status: DeploymentStatus,
    pub title: String,
}

/// An environment rollback drawn to its target, linked to the target's page.
pub struct Arc {
    pub d: String,
    pub target: String,
    pub title: String,
}

/// Lays out the lanes from each environment's name, whether it is held or frozen, and its recent
/// deployments (newest first, as listed).
pub fn draw(envs: Vec<(String, Option<&'static str>, Vec<DeploymentLine>)>) -> Timeline {
    let most = envs.iter().map(|(_, _, ds)| ds.len() as i32).max().unwrap_or(0).max(1);
    // At least a screen's width of room, so that one mark is not drawn huge.
    let width = (LEFT + most * STEP + 30).max(MIN_WIDTH);
    let lanes: Vec<Lane> = envs
        .into_iter()
        .enumerate()
        .map(|(i, (name, held, mut ds))| {
            ds.reverse();
            let y = TOP + i as i32 * LANE;
            let x_of = |n: usize| LEFT + 20 + n as i32 * STEP;
            let marks: Vec<Mark> = ds
                .iter()
                .enumerate()
                .map(|(n, d)| Mark {
                    x: x_of(n),
                    id: d.id.clone(),
                    status: d.status,
                    title: format!(
                        "{} · {} · {}{} · {}",
                        d.release_name.as_deref().unwrap_or(&d.short),
                        d.trigger,
                        d.status_text(),
                        if d.held { " (held)" } else { "" },
                        d.when
                    ),
                })
                .collect();
            let arcs = ds
                .iter()
                .enumerate()
                .filter_map(|(n, d)| {
                    let target = d.rolled_back_to.as_ref()?;
                    let (x1, x2) = match ds.iter().position(|t| &t.id == target) {
                        Some(t) => (x_of(n), x_of(t)),
                        // Older than the lane shows: drawn to its left edge.
                        None => (x_of(n), LEFT),
                    };
                    let lift = 14 + (x1 - x2).abs() / 8;
                    Some(Arc {
                        d: format!("M {x1} {} Q {} {} {x2} {}", y - 8, (x1 + x2) / 2, y - 8 - lift, y - 8),
                        target: target.clone(),
                        title: format!("{} rolled back to {}", d.short, short(target)),
                    })
                })
                .collect();
            Lane { name, held, y, end: width - 10, marks, arcs }
        })
        .collect();
    let height = TOP + (lanes.len().max(1) as i32) * LANE - 20;
    Timeline { width, height, lanes }
}
