//! buyerdesk: a terminal buyer workstation. Sources -> snapshot -> plan ->
//! screen; see README.md for the layout.

pub mod cli;
pub mod config;
pub mod demo;
pub mod files;
pub mod forecast;
pub mod live;
pub mod orders;
pub mod plan;
pub mod rules;
pub mod sources;
pub mod store;
pub mod text;
pub mod tui;

/// Turns transparent huge pages off for this process. mimalloc asks for huge
/// pages and, as planning frees and reallocates memory, the kernel zeroes
/// 2 MB pages over and over: a third of a 100,000-product plan's time
/// (docs/BENCHMARKS.md). Call it first thing in `main`.
pub fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and only sets
    // a flag on this process; it touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
