//! buyerdesk: a terminal buyer workstation. Sources -> snapshot -> plan ->
//! screen; see README.md for the layout.

pub mod app;
pub mod authoring;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod live;
pub mod orders;
pub mod plan;
pub mod report;
pub mod rules;
pub mod sources;
pub mod store;
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

/// Has mimalloc (the binary's allocator) give freed memory back to the
/// system at once instead of 10 ms later (`purge_delay` 0): a refresh frees
/// a whole snapshot of inputs while the next one is built, and without it
/// the freed pages still count in the process's resident memory when the
/// next allocations arrive (docs/memory-notes.md: 9 - 40 MB of peak with
/// 100,000 products). Harmless where mimalloc is not the global allocator.
/// Call it first thing in `main`, with `disable_transparent_huge_pages`.
pub fn release_freed_memory_promptly() {
    // mimalloc's `mi_option_purge_delay` (the same index in v2 and v3).
    const PURGE_DELAY: std::ffi::c_int = 15;
    extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // The crate's static library is linked (it provides the symbol) only
    // where the crate is used.
    let _ = mimalloc::MiMalloc;
    // mimalloc's own setting, where someone made one, stays.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_set takes plain integers and only sets an option
    // that mimalloc reads when it next purges.
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

/// Creates a folder (and its missing parents) readable by its owner only
/// (0700 on unix): the data directory, the outbox, the rules history. A
/// folder that already exists keeps its permissions.
pub fn create_private_dir(path: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
