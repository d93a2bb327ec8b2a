//! A model-based property test of publishing and rollback (P1, P2, L5, B1–B7, E3, E4).
//!
//! Random sequences of manual publishes, deployments, rollback releases and environment
//! rollbacks run against the service layer and, step by step, against a small reference model
//! written from the rules of `docs/api-guide.md` alone (plain maps, no `rewind::domain` function). After every step the
//! publish state, the `last_event_id` of every key and the number of events of each environment
//! must agree with the model, and every deployment's per-key outcomes with the model's plan.
//!
//! One database serves every case: each case gets environments, users, items and releases of
//! its own, so that cases cannot see each other.

#[path = "../common/mod.rs"]
mod common;
mod reference;
mod runner;
mod steps;
mod strategy;

use std::cell::Cell;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use rewind::db::DbConn;

use reference::Model;
use runner::{check_states, setup, EventIds, Tally};
use steps::step;
use strategy::case;

const ENVS: usize = 2;
/// User 0 is an admin; users 1 and 2 are editors granted on both environments.
const USERS: usize = 3;
const ADMIN: usize = 0;
const ITEMS: usize = 4;
const VERSIONS: i32 = 3;
const RELEASES: usize = 2;
const LOCALE: &str = "en";

#[test]
fn p1_p2_l5_b1_b7_b10_b11_e3_e4_service_matches_a_reference_model_step_by_step() {
    let db = common::TestDb::new();
    let pool = rewind::db::build_pool(&db.url, 2).expect("pool");
    let counter = Cell::new(0usize);
    let t = Tally::default();
    let started = Instant::now();
    // No regression file: a failure prints its minimal case, which is what a report needs.
    let config = Config { cases: 2000, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        let n = counter.get();
        counter.set(n + 1);
        let mut conn = pool.get().map_err(|e| TestCaseError::fail(format!("pool: {e}")))?;
        if let DbConn::Pg(_) = &**conn {
            // Only speed: a test database need not survive a crash, and what each step sees
            // is the same with or without waiting for the flush of each commit.
            conn.batch_execute("SET synchronous_commit = off").map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let world = setup(&mut conn, n, &case.releases)?;
        let mut model = Model::new(case.releases.clone());
        let mut ids = EventIds::default();
        let mut steps = Vec::new();
        for op in &case.ops {
            steps.push(model.resolve(op));
            let last = steps.len() - 1;
            step(&mut conn, &world, &mut model, &mut ids, &t, &steps[last])
                .and_then(|()| check_states(&mut conn, &world, &model, &ids))
                .map_err(|e| TestCaseError::fail(format!("step {last} of {steps:#?}\n{e}")))?;
        }
        Ok(())
    });
    eprintln!("model test: {} cases on {} in {:.1?}", counter.get(), common::backend(), started.elapsed());
    for (what, n) in t.borrow().iter() {
        eprintln!("  {n:>6}  {what}");
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, case)) => panic!("{reason}\nminimal failing case: {case:#?}"),
        Err(e) => panic!("{e}"),
    }
}
