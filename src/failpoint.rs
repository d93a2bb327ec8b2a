//! Failpoints for the process tests: with the cargo feature `failpoints` (tests only, off in a
//! release build) a run can be held at a named point, so that a test stops or kills the process
//! exactly there. `FAILPOINTS="deployment_before_commit=return(60000)"` holds for 60 s.

/// Holds the calling thread at the failpoint `name` when `FAILPOINTS` gives it `return(MS)`:
/// logs `held at failpoint` (tests wait for that line), then sleeps MS milliseconds.
#[cfg(feature = "failpoints")]
pub fn hold(name: &str) {
    fail::fail_point!(name, |ms: Option<String>| {
        let ms: u64 = ms.and_then(|m| m.parse().ok()).unwrap_or(60_000);
        tracing::warn!(failpoint = name, hold_ms = ms, "held at failpoint");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    });
}

/// Without the `failpoints` feature a failpoint is nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hold(_name: &str) {}
