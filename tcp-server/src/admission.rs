//! Who gets in: a place under `--max-clients` for each client, room for it in the server's
//! memory, and the busy line, with its true reason, for a client that cannot have them.
//!
//! As in tokio's mini-redis, the count of clients is a semaphore: a client holds a
//! [`Permit`] while connected, and the place frees when the permit is released or dropped.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::lang::{EMFILE, ENFILE, ENOBUFS, count};
use common::out::{LogOrSkip, LogShare};
use common::{log, tr};

use crate::connection_log::{self, Shown};
use crate::goodbye;
use crate::memory::Memory;
use crate::tally::TALLY;

/// `--max-clients`: how many clients may be connected at once.
pub struct Limit {
    /// The most clients at once.
    max: usize,
    /// Clients connected now.
    now: AtomicUsize,
    /// The system's limits on the server's memory: room for each client is looked for
    /// before it is taken on (Rust ends a program whose allocation fails, so a client taken
    /// on without room could end the server).
    memory: Memory,
    /// The log's share for the clients turned away: a student who connects in a loop would
    /// otherwise write a line per attempt (5 MB of log a minute).
    turned_away: Mutex<LogShare>,
}

/// Why a client cannot be served now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server already serves `--max-clients` clients.
    Cap,
    /// The machine has run out of something a client needs.
    Short(Shortage),
}

impl Limit {
    /// A limit of `max` clients at once, each read with buffers of `bufsize` bytes, and of
    /// what the system lets the server have.
    pub fn new(max: usize, bufsize: usize) -> Limit {
        Limit {
            max,
            now: AtomicUsize::new(0),
            memory: Memory::of_this_process(bufsize),
            turned_away: Mutex::new(LogShare::new(Instant::now())),
        }
    }

    /// Takes on a client from `peer` if there is room: a descriptor still to spare beside it
    /// (`descriptor_to_spare`, see [`crate::spare`]), a place under `--max-clients`, and room
    /// in memory. Its permit also says whether the log shows it (see [`connection_log`]).
    pub fn admit(
        &self,
        peer: SocketAddr,
        descriptor_to_spare: bool,
    ) -> Result<Permit<'_>, Refusal> {
        if !descriptor_to_spare {
            return Err(Refusal::Short(Shortage::FileDescriptors));
        }
        let admitted = self
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < self.max).then_some(now + 1)
            });
        let Ok(before) = admitted else {
            return Err(Refusal::Cap);
        };
        let mut permit = Permit {
            limit: self,
            connected: before + 1,
            peer,
            shown: Shown::default(),
            released: false,
        };
        if !self.memory.take_on(before) {
            return Err(Refusal::Short(Shortage::Memory)); // the permit frees its place
        }
        TALLY.clients.fetch_add(1, Ordering::Relaxed);
        permit.shown = connection_log::arrived(peer, permit.connected);
        Ok(permit)
    }

    /// Tells a client it cannot be served now, and why, and closes it (over the cap, in the
    /// background, so that the line reaches a client that has already sent data; short of
    /// something, at once, since a thread or a descriptor is what is short). The log says so
    /// a few times a second; the rest are counted, then summarised. True when it logged.
    pub fn turn_away(&self, cs: TcpStream, peer: SocketAddr, refusal: Refusal) -> bool {
        TALLY.turned_away.fetch_add(1, Ordering::Relaxed);
        let logged = self.may_log_turned_away();
        match refusal {
            Refusal::Cap => {
                let (max, clients) = (self.max, count(self.max as u64, "client"));
                if logged {
                    log!(
                        "{peer} turned away: the server is busy ({clients}, --max-clients {max})",
                        "{peer} 被拒绝：同时服务的客户端已达上限（--max-clients {max}）"
                    );
                }
                // Short enough for one 80-column line, a class's --max-clients and all.
                let line = common::last_words::last_words(&tr!(
                    "server busy (--max-clients {max} reached); try again later",
                    "服务器忙，客户端数已达上限（--max-clients {max}）；请稍后再试"
                ));
                goodbye::in_the_background(cs, peer, &line);
            }
            Refusal::Short(shortage) => {
                if logged {
                    let what = shortage.what();
                    log!(
                        "{peer} turned away: the server has run out of {what}",
                        "{peer} 被拒绝：服务器的{what}已用尽"
                    );
                }
                goodbye::say_goodbye(&cs, peer, &shortage.busy_line(), Duration::ZERO);
            }
        }
        logged
    }

    /// A client taken on could not be served after all (no thread for it): it is turned away
    /// for want of `shortage`, and the stop line does not count it as served.
    pub fn could_not_serve(&self, cs: TcpStream, peer: SocketAddr, shortage: Shortage) {
        TALLY.clients.fetch_sub(1, Ordering::Relaxed);
        self.turn_away(cs, peer, Refusal::Short(shortage));
    }

    /// Whether the line about one more client turned away may be logged now; before it, the
    /// count of those that were not.
    fn may_log_turned_away(&self) -> bool {
        let mut share = self
            .turned_away
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let LogOrSkip::Log { skipped } = share.take(Instant::now()) else {
            return false;
        };
        if skipped > 0 {
            let clients = count(skipped, "more client");
            log!(
                "  ({clients} turned away, not logged; the counts at the stop include them)",
                "  （另有 {skipped} 个客户端被拒绝，未记入日志；停止时的统计包含它们）"
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
    /// Where the client connected from.
    peer: SocketAddr,
    /// Whether the log shows this client's lines (its arrival, messages and end).
    pub shown: Shown,
    /// Set by `release`, which has already counted the client out.
    released: bool,
}

impl Permit<'_> {
    /// The client has gone: frees its place, and returns how many clients are left.
    pub fn release(mut self) -> usize {
        self.released = true;
        connection_log::left(self.peer);
        self.limit.now.fetch_sub(1, Ordering::AcqRel) - 1
    }
}

impl Drop for Permit<'_> {
    /// A permit dropped without `release` (a thread that could not start, a panic) still
    /// frees its place.
    fn drop(&mut self) {
        if !self.released {
            connection_log::left(self.peer);
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

impl Shortage {
    /// The shortage an `accept()` error means, if it is one.
    pub fn of(error: &io::Error) -> Option<Shortage> {
        if error.kind() == io::ErrorKind::OutOfMemory {
            return Some(Shortage::Memory);
        }
        match error.raw_os_error()? {
            code if code == EMFILE || code == ENFILE => Some(Shortage::FileDescriptors),
            code if code == ENOBUFS => Some(Shortage::Memory),
            _ => None,
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
    pub fn what(self) -> String {
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
            "server busy: it has run out of {what}; try again later",
            "服务器忙，暂时无法接受新连接（{what}已用尽）；请稍后再试"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 50000))
    }

    #[test]
    fn the_cap_admits_up_to_max_and_a_place_frees_when_its_client_goes() {
        let limit = Limit::new(2, 1024);
        let first = limit.admit(peer(), true).expect("room for one");
        let second = limit.admit(peer(), true).expect("room for two");
        assert_eq!((first.connected, second.connected), (1, 2));
        assert_eq!(
            limit.admit(peer(), true).err(),
            Some(Refusal::Cap),
            "the cap is 2"
        );
        assert_eq!(first.release(), 1);
        let third = limit.admit(peer(), true).expect("the first one's place");
        assert_eq!(third.connected, 2);
        // A permit dropped without release (a thread that could not start) frees it too.
        drop(third);
        assert!(limit.admit(peer(), true).is_ok());
        // No descriptor to spare beside a client: it is told that, not the cap.
        let short = Refusal::Short(Shortage::FileDescriptors);
        assert_eq!(limit.admit(peer(), false).err(), Some(short));
    }

    #[cfg(unix)]
    #[test]
    fn each_shortage_is_named_and_none_suggests_max_clients() {
        let error = io::Error::from_raw_os_error;
        assert_eq!(
            Shortage::of(&error(EMFILE)),
            Some(Shortage::FileDescriptors)
        );
        assert_eq!(
            Shortage::of(&error(ENFILE)),
            Some(Shortage::FileDescriptors)
        );
        assert_eq!(Shortage::of(&error(ENOBUFS)), Some(Shortage::Memory));
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
            // One line on an 80-column terminal (a Chinese character takes two).
            let columns: usize = line
                .trim_end()
                .chars()
                .map(|c| 1 + usize::from(!c.is_ascii()))
                .sum();
            assert!(columns < 80, "{columns} columns: {line}");
        }
    }
}
