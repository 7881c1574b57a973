//! Why a client's conversation ended, and the log line that says so.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use common::lang::os_error;
use common::{log, out, tr, trace};

use crate::admission::Permit;

/// `cs.close()` has happened: traces it, frees the client's place and logs why it left,
/// after the count of its lines the log did not show (`skipped`). A client whose arrival the
/// log did not show (see [`crate::connection_log`]) leaves without a line too.
pub fn closed(peer: SocketAddr, permit: Permit<'_>, ending: &Ending, skipped: u64) {
    trace!("close()  [{peer}]");
    let shown = permit.shown.get();
    let now = permit.release();
    if !shown {
        return;
    }
    out::log_skipped(peer, skipped);
    log!(
        "{peer} {ending} ({now} connected)",
        "{peer} {ending}；当前 {now} 个客户端"
    );
}

/// Why a client's connection ended, as the log says it.
#[derive(Debug)]
pub enum Ending {
    /// The client closed its side: the normal end.
    Left,
    /// The client sent nothing for `--idle-timeout`.
    Idle(Duration),
    /// The client left its replies unread for `--write-timeout`.
    NotReading(Duration),
    /// The client reset the connection.
    Reset,
    /// The client went away before its reply could be sent.
    Vanished,
    /// Anything else the network reported.
    Failed(io::Error),
}

impl Ending {
    /// Names the end that a failed `recv()` or `send()` means.
    pub fn from_error(error: io::Error) -> Ending {
        match error.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Ending::Reset,
            io::ErrorKind::BrokenPipe => Ending::Vanished,
            _ => Ending::Failed(error),
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Ending::Left => tr!("disconnected", "已断开连接"),
            Ending::Idle(after) => {
                let secs = after.as_secs_f64();
                tr!(
                    "closed: sent nothing for {secs} s (--idle-timeout)",
                    "已被断开：连续 {secs} 秒没有发来任何数据（--idle-timeout）"
                )
            }
            Ending::NotReading(after) => {
                let secs = after.as_secs_f64();
                tr!(
                    "closed: left its replies unread for {secs} s (--write-timeout)",
                    "已被断开：连续 {secs} 秒没有读取回复（--write-timeout）"
                )
            }
            Ending::Reset => tr!(
                "disconnected: connection reset by the client",
                "已断开：客户端重置了连接"
            ),
            Ending::Vanished => tr!(
                "disconnected: gone before its reply was sent",
                "已断开：回复发出之前客户端已经离开"
            ),
            Ending::Failed(error) => {
                let error = os_error(error);
                tr!("disconnected: {error}", "已断开：{error}")
            }
        };
        f.write_str(&text)
    }
}
