//! What a running server holds, from Linux's `/proc`: threads, open files and memory, so the
//! tests can check that clients that left took theirs with them.

/// Threads, open files and memory of a running process.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Its threads (`/proc/PID/task`).
    pub threads: usize,
    /// Its open file descriptors (`/proc/PID/fd`).
    pub files: usize,
    /// Its resident memory, in KiB (`VmRSS`).
    pub rss_kib: usize,
}

/// The process's usage now, or `None` where there is no `/proc` (or it has exited).
pub fn usage(pid: u32) -> Option<Usage> {
    let count = |dir: &str| std::fs::read_dir(format!("/proc/{pid}/{dir}")).map(|d| d.count());
    Some(Usage {
        threads: count("task").ok()?,
        files: count("fd").ok()?,
        rss_kib: rss_kib(pid)?,
    })
}

/// The process's resident memory in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
