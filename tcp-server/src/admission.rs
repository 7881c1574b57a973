//! Who gets in: a place under `--max-clients` for each client, and the busy line, with its
//! true reason, for a client that cannot have one.
//!
//! As in tokio's mini-redis, the count of clients is a semaphore: a client holds a
//! [`Permit`] while connected, and the place frees when the permit is released or dropped.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::lang::count;
use common::out::{LogOrSkip, LogShare};
use common::{log, tr};

use crate::goodbye;
use crate::tally::TALLY;

/// `--max-clients`: how many clients may be connected at once.
pub struct Limit {
    /// The most clients at once.
    max: usize,
    /// Clients connected now.
    now: AtomicUsize,
    /// The log's share for the clients turned away over the cap: a student who connects in a
    /// loop would otherwise write a line per attempt (5 MB of log a minute).
    turned_away: Mutex<LogShare>,
}

impl Limit {
    /// A limit of `max` clients at once.
    pub fn new(max: usize) -> Limit {
        Limit {
            max,
            now: AtomicUsize::new(0),
            turned_away: Mutex::new(LogShare::new(Instant::now())),
        }
    }

    /// Counts a new client in if there is room; `None` when the server is full.
    pub fn admit(&self) -> Option<Permit<'_>> {
        let admitted = self
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < self.max).then_some(now + 1)
            });
        let connected = admitted.ok()? + 1;
        TALLY.clients.fetch_add(1, Ordering::Relaxed);
        Some(Permit {
            limit: self,
            connected,
            released: false,
        })
    }

    /// Tells a client over `--max-clients` that the server is busy, and closes it; true when
    /// the log said so (a few lines a second: the rest are counted, then summarised).
    pub fn turn_away(&self, cs: TcpStream, peer: SocketAddr) -> bool {
        let (max, clients) = (self.max, count(self.max as u64, "client"));
        TALLY.turned_away.fetch_add(1, Ordering::Relaxed);
        let logged = self.may_log_turned_away();
        if logged {
            log!(
                "{peer} turned away: the server is busy ({clients}, --max-clients {max})",
                "{peer} 被拒绝：同时服务的客户端已达上限（--max-clients {max}）"
            );
        }
        let line = common::last_words::last_words(&tr!(
            "server busy, already serving {clients} (its --max-clients); try again later",
            "服务器忙，同时服务的客户端已达上限（--max-clients {max}）；请稍后再试"
        ));
        goodbye::in_the_background(cs, peer, &line);
        logged
    }

    /// Whether the line about one more client turned away over the cap may be logged now;
    /// before it, the count of those that were not.
    fn may_log_turned_away(&self) -> bool {
        let mut share = self
            .turned_away
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let LogOrSkip::Log { skipped } = share.take(Instant::now()) else {
            return false;
        };
        if skipped > 0 {
            let (max, clients) = (self.max, count(skipped, "more client"));
            log!(
                "  ({clients} turned away at --max-clients {max}, not logged; the counts at the stop include them)",
                "  （另有 {skipped} 个客户端因达到上限（--max-clients {max}）被拒绝，未记入日志；停止时的统计包含它们）"
            );
        }
        true
    }
}

/// A client's place under `--max-clients`, held while it is connected.
pub struct Permit<'a> {
    /// The limit this place counts against.
    limit: &'a Limit,
    /// How many clients were connected with this one, when it came: for the log.
    pub connected: usize,
    /// Set by `release`, which has already counted the client out.
    released: bool,
}

impl Permit<'_> {
    /// The client has gone: frees its place, and returns how many clients are left.
    pub fn release(mut self) -> usize {
        self.released = true;
        self.limit.now.fetch_sub(1, Ordering::AcqRel) - 1
    }
}

impl Drop for Permit<'_> {
    /// A permit dropped without `release` (a thread that could not start, a panic) still
    /// frees its place.
    fn drop(&mut self) {
        if !self.released {
            self.limit.now.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// What the machine ran out of when a client could not be served: the true reason a client
/// is turned away when it is not `--max-clients` (raising that would not help).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortage {
    /// No file descriptor (handle) for its socket: the process's or the system's limit.
    FileDescriptors,
    /// No thread for it: the system's limit on threads.
    Threads,
    /// No memory for it.
    Memory,
}

/// EMFILE's number for sockets on Windows (WSAEMFILE): libc's EMFILE there is the C
/// library's, not the sockets'.
#[cfg(windows)]
const WSAEMFILE: i32 = 10024;

/// ENOBUFS's number for sockets on Windows (WSAENOBUFS): no memory for another socket.
#[cfg(windows)]
const WSAENOBUFS: i32 = 10055;

impl Shortage {
    /// The shortage an `accept()` error means, if it is one.
    pub fn of(error: &io::Error) -> Option<Shortage> {
        let code = error.raw_os_error()?;
        #[cfg(unix)]
        {
            match code {
                libc::EMFILE | libc::ENFILE => Some(Shortage::FileDescriptors),
                libc::ENOMEM | libc::ENOBUFS => Some(Shortage::Memory),
                _ => None,
            }
        }
        #[cfg(windows)]
        {
            match code {
                WSAEMFILE => Some(Shortage::FileDescriptors),
                WSAENOBUFS => Some(Shortage::Memory),
                _ => None,
            }
        }
        #[cfg(not(any(unix, windows)))]
        {
            let _ = code;
            None
        }
    }

    /// The shortage a thread that could not start means: memory for its stack, or the
    /// system's limit on threads.
    pub fn of_thread(error: &io::Error) -> Shortage {
        match Shortage::of(error) {
            Some(Shortage::Memory) => Shortage::Memory,
            _ => Shortage::Threads,
        }
    }

    /// What the machine ran out of, in the reader's language.
    fn what(self) -> String {
        match self {
            Shortage::FileDescriptors => tr!("file descriptors", "文件描述符"),
            Shortage::Threads => tr!("threads", "线程"),
            Shortage::Memory => tr!("memory", "内存"),
        }
    }

    /// The line a client turned away for this shortage receives. It does not name
    /// `--max-clients`: the client is not over it.
    pub fn busy_line(self) -> String {
        let what = self.what();
        common::last_words::last_words(&tr!(
            "server busy, it cannot take another client now: it has run out of {what}; try again later",
            "服务器忙，暂时无法接受新连接（{what}已用尽）；请稍后再试"
        ))
    }

    /// Tells a client the server is busy for want of this, and closes it at once.
    pub fn turn_away(self, cs: &TcpStream, peer: SocketAddr) {
        TALLY.turned_away.fetch_add(1, Ordering::Relaxed);
        let what = self.what();
        log!(
            "{peer} turned away: the server has run out of {what}",
            "{peer} 被拒绝：服务器的{what}已用尽"
        );
        goodbye::say_goodbye(cs, peer, &self.busy_line(), Duration::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_admits_up_to_max_and_a_place_frees_when_its_client_goes() {
        let limit = Limit::new(2);
        let first = limit.admit().expect("room for one");
        let second = limit.admit().expect("room for two");
        assert_eq!((first.connected, second.connected), (1, 2));
        assert!(limit.admit().is_none(), "the cap is 2");
        assert_eq!(first.release(), 1);
        let third = limit.admit().expect("the first one's place");
        assert_eq!(third.connected, 2);
        // A permit dropped without release (a thread that could not start) frees it too.
        drop(third);
        assert!(limit.admit().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn each_shortage_is_named_and_none_suggests_max_clients() {
        let error = io::Error::from_raw_os_error;
        assert_eq!(
            Shortage::of(&error(libc::EMFILE)),
            Some(Shortage::FileDescriptors)
        );
        assert_eq!(
            Shortage::of(&error(libc::ENFILE)),
            Some(Shortage::FileDescriptors)
        );
        assert_eq!(Shortage::of(&error(libc::ENOBUFS)), Some(Shortage::Memory));
        assert_eq!(Shortage::of(&error(libc::ECONNABORTED)), None);
        assert_eq!(Shortage::of_thread(&error(libc::EAGAIN)), Shortage::Threads);
        assert_eq!(Shortage::of_thread(&error(libc::ENOMEM)), Shortage::Memory);
        for shortage in [
            Shortage::FileDescriptors,
            Shortage::Threads,
            Shortage::Memory,
        ] {
            let line = shortage.busy_line();
            assert!(!line.contains("--max-clients"), "{line}");
            assert!(line.ends_with('\n'), "{line}");
        }
    }
}
