//! Fewer malloc arenas for the threaded mode, on Linux with glibc.
//!
//! glibc's `malloc` gives threads arenas of their own, up to eight per core, and each arena
//! reserves 64 MiB of address space. With a thread per client, a server on two cores soon
//! holds 16 of them: a gigabyte of address space at a hundred clients, which a limit on it
//! (`ulimit -v`, a container) turns into an abort instead of a busy line, and memory that
//! stays taken after the clients leave. Two arenas are plenty for threads that each hold a
//! buffer of a few kilobytes.
//!
//! glibc reads the count from `MALLOC_ARENA_MAX` once, when the process starts. So the
//! threaded server starts itself again, as the same process (`exec` keeps its id), with that
//! variable set, unless it is already set. Nothing else changes; where `exec` fails, the
//! server simply goes on with glibc's default.

/// Starts this program again with `MALLOC_ARENA_MAX=2`, unless it is set already.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn fewer_malloc_arenas() {
    use std::os::unix::process::CommandExt;

    const ARENAS: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(ARENAS).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let name = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // `exec` returns only if it failed: then go on as we are.
    let _failed = std::process::Command::new(&exe)
        .arg0(name)
        .args(args)
        .env(ARENAS, "2")
        .exec();
}

/// Other systems' allocators need no help.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn fewer_malloc_arenas() {}
