//! Where and when the forecaster's threads run: on every core at idle
//! priority (`Priority`, `forecast_threads`), and never while a refresh
//! holds the way (`GiveWay`).

use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest the forecaster gives way to one refresh: a refresh that
/// hangs on a source (up to its query timeout) holds forecasts up this
/// long, then they go on beside it.
pub const GIVE_WAY_AT_MOST: Duration = Duration::from_secs(30);

/// A refresh under way, for the forecaster to give way to: while one is
/// held, the forecaster starts no batch and its threads start no product
/// (a product already started finishes). Its threads run at idle
/// priority, so the refresh's planning has the cores anyway; what the
/// give-way keeps apart are the forecaster's reads of the OMS and writes
/// to the purchasing database, which would compete with the refresh's
/// (issue 21: refreshes unchanged with forecasts running).
#[derive(Debug, Clone, Default)]
pub struct GiveWay(Arc<std::sync::atomic::AtomicU64>);

/// Held while a refresh runs; dropping it lets the forecaster go on.
#[must_use]
pub struct GiveWayHold(GiveWay);

impl Drop for GiveWayHold {
    fn drop(&mut self) {
        (self.0).0.store(0, std::sync::atomic::Ordering::Release);
    }
}

/// Whether a hold taken at `since` (0: none) still holds at `now`, both
/// `held_clock` readings.
fn must_wait(since: u64, now: u64) -> bool {
    since != 0 && now.saturating_sub(since) < GIVE_WAY_AT_MOST.as_millis() as u64
}

/// Milliseconds since the first call in the process, plus 1 (0 is "not
/// held").
fn held_clock() -> u64 {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    BASE.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

impl GiveWay {
    /// A refresh starts: the forecaster waits until the hold is dropped,
    /// or `GIVE_WAY_AT_MOST` has passed since it was taken.
    pub fn hold(&self) -> GiveWayHold {
        self.0
            .store(held_clock(), std::sync::atomic::Ordering::Release);
        GiveWayHold(self.clone())
    }

    pub fn is_held(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire) != 0
    }

    /// Whether a forecast must wait now: a hold younger than
    /// `GIVE_WAY_AT_MOST`.
    fn must_wait(&self) -> bool {
        must_wait(
            self.0.load(std::sync::atomic::Ordering::Acquire),
            held_clock(),
        )
    }

    /// Blocks the calling (forecast) thread while a refresh runs.
    pub fn wait(&self) {
        while self.must_wait() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// `wait` for the forecaster's task (between batches).
    pub async fn wait_async(&self) {
        while self.must_wait() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The threads the background forecaster computes on: every core, each
/// thread at `Priority::Idle`, so that the screen's thread (and a
/// refresh's) always has a core when it wants one and the forecasts take
/// what is left. Measured (docs/BENCHMARKS.md, "Forecasts on every core at
/// idle priority"): on 2 cores, 100,000 products take about half the time
/// they took on the one core left beside the screen's, and the keys and a
/// refresh are as fast as without forecasts running.
pub fn forecast_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How a forecasting thread is scheduled beside the screen's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// The app's background forecaster: on Linux `SCHED_IDLE`, so that a
    /// core runs it only when no other thread of the machine wants that
    /// core (the screen's, tokio's, a refresh's planning); elsewhere, or
    /// where the policy is refused, `nice` 19.
    Idle,
    /// `buyerdesk forecast`, which the user waits for: `nice` 10.
    Low,
}

/// The calling thread gives way to the others at `priority` (on Linux it
/// applies to this thread only).
pub fn lower_priority(priority: Priority) {
    #[cfg(target_os = "linux")]
    if priority == Priority::Idle {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: with pid 0, sched_setscheduler(2) changes only the
        // calling thread's policy; `param` outlives the call.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0 {
            return;
        }
    }
    #[cfg(unix)]
    // SAFETY: nice(2) only changes this thread's scheduling priority.
    unsafe {
        libc::nice(match priority {
            Priority::Idle => 19,
            Priority::Low => 10,
        });
    }
    #[cfg(not(unix))]
    let _ = priority;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_holds_the_forecasts_up_at_most_thirty_seconds() {
        let at_most = GIVE_WAY_AT_MOST.as_millis() as u64;
        assert!(!must_wait(0, 5), "no hold");
        assert!(must_wait(1_000, 1_000));
        assert!(must_wait(1_000, 1_000 + at_most - 1));
        assert!(!must_wait(1_000, 1_000 + at_most), "a hung refresh");
        let way = GiveWay::default();
        assert!(!way.must_wait());
        let hold = way.hold();
        assert!(way.is_held() && way.must_wait());
        drop(hold);
        assert!(!way.is_held() && !way.must_wait());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_background_forecaster_threads_run_at_idle_priority() {
        // SAFETY: sched_getscheduler(2) only reads the calling thread's
        // policy; getpriority(2) its nice value.
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let nice = || unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let idle = std::thread::spawn(move || {
            lower_priority(Priority::Idle);
            policy()
        })
        .join()
        .unwrap();
        assert_eq!(idle, libc::SCHED_IDLE);
        let (low, low_nice) = std::thread::spawn(move || {
            let before = nice();
            lower_priority(Priority::Low);
            (policy(), nice() - before)
        })
        .join()
        .unwrap();
        assert_eq!(low, libc::SCHED_OTHER);
        assert_eq!(low_nice, 10.min(19 - nice()), "nice is capped at 19");
        // The calling thread is untouched.
        assert_eq!(policy(), libc::SCHED_OTHER);
        assert!(forecast_threads() >= 1);
        assert_eq!(
            forecast_threads(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
}
