//! How a conversation that ended badly is told: one line that says what happened.
//!
//! Where the connection was reset, the system's reason stands inside the sentence (not
//! behind it as a cause), so that the sentence reads the same in both languages and the
//! part that came is named last.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::anyhow;

use crate::replies::Ending;
use common::lang::{OsError, os_error};
use common::tr;

/// The error for `ending` with the server at `server`: `reset` is what a reset said, if the
/// connection was reset; `limit` is `--reply-timeout`. `None` for a good end.
pub fn error(
    ending: Ending,
    server: SocketAddr,
    reset: Option<io::Error>,
    limit: Duration,
) -> Option<anyhow::Error> {
    let error = match (ending, reset) {
        (Ending::Done, _) => return None,
        (Ending::ServerClosed, None) => anyhow!(tr!(
            "the server at {server} closed the connection",
            "服务器 {server} 关闭了连接"
        )),
        (Ending::ServerClosed, Some(error)) => {
            let reason = os_error(&error);
            let message = tr!(
                "the server at {server} closed the connection: {reason}",
                "服务器 {server} 关闭了连接：{reason}"
            );
            OsError::explained(message, error).into()
        }
        (Ending::CutShort, None) => anyhow!(tr!(
            "the reply from {server} was cut short: the server closed the connection before the reply's end; the part that came is shown above",
            "{server} 的回复被截断了：服务器在回复结束前关闭了连接；已收到的部分显示在上面"
        )),
        (Ending::CutShort, Some(error)) => {
            let reason = os_error(&error);
            let message = tr!(
                "the reply from {server} was cut short: {reason}; the part that came is shown above",
                "{server} 的回复被截断了：{reason}；已收到的部分显示在上面"
            );
            OsError::explained(message, error).into()
        }
        (Ending::NoReply, reset) => {
            let error = reset.unwrap_or_else(|| io::ErrorKind::ConnectionReset.into());
            let reason = os_error(&error);
            let message = tr!(
                "no reply from the server at {server}: {reason}",
                "服务器 {server} 没有回复：{reason}"
            );
            OsError::explained(message, error).into()
        }
        (Ending::TimedOut { part_came }, _) => {
            let secs = limit.as_secs_f64();
            if part_came {
                anyhow!(tr!(
                    "no complete reply from {server} within {secs} s (--reply-timeout); the part that came is shown above",
                    "{secs} 秒内没有收到 {server} 的完整回复（--reply-timeout）；已收到的部分显示在上面"
                ))
            } else {
                anyhow!(tr!(
                    "no reply from {server} within {secs} s (--reply-timeout)",
                    "{secs} 秒内没有收到 {server} 的回复（--reply-timeout）"
                ))
            }
        }
    };
    Some(error)
}
