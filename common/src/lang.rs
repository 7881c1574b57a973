//! The reader's language: English, or Chinese for readers of the book's Chinese edition.
//!
//! The first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set decides, as in C: a value
//! starting with `zh` means Chinese. Where none is set (as usual on Windows, and for programs
//! started from a macOS Finder) the system's own language decides.
//!
//! Every sentence a program prints stands where it prints it, in both languages, through
//! [`tr!`](crate::tr):
//!
//! ```
//! let peer = "127.0.0.1:53422";
//! let line = common::tr!("...connected from: {peer}", "...连接来自：{peer}");
//! assert!(line.ends_with("127.0.0.1:53422"));
//! ```
//!
//! Each language is its own `format!`, so a misspelled or missing `{name}` does not compile.

use std::io;
use std::sync::OnceLock;

/// Both languages' words for one message; the reader's language picks one.
///
/// `tr!("english {name}", "中文 {name}")` expands to one `format!` per language, each taking
/// `{name}` from the variables in scope.
#[macro_export]
macro_rules! tr {
    ($english:literal, $chinese:literal $(,)?) => {
        if $crate::lang::chinese() {
            format!($chinese)
        } else {
            format!($english)
        }
    };
}

/// True when the reader's language is Chinese. Decided once, at the first message.
pub fn chinese() -> bool {
    static CHINESE: OnceLock<bool> = OnceLock::new();
    *CHINESE.get_or_init(|| {
        let var = |name| std::env::var(name).ok();
        let set = [var("LC_ALL"), var("LC_MESSAGES"), var("LANG")];
        is_chinese(set, sys_locale::get_locale)
    })
}

/// The language rule: the first variable set (and not empty) decides; with none set, the
/// system's language (`zh-CN`, `zh-Hans-CN`, ...), asked only then.
pub fn is_chinese(variables: [Option<String>; 3], system: impl FnOnce() -> Option<String>) -> bool {
    let first_set = variables
        .into_iter()
        .flatten()
        .find(|value| !value.is_empty());
    first_set
        .or_else(system)
        .is_some_and(|locale| locale.to_ascii_lowercase().starts_with("zh"))
}

/// `count(2, "client")` is `2 clients`: English counts agree in number. (Chinese has no
/// plural: its messages say `{n} 个客户端` directly.)
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// An error from the system, as the reader reads it: the system's own words in English; in
/// Chinese, Chinese words for the common kinds, with the English term as a gloss.
pub fn os_error(error: &io::Error) -> String {
    if !chinese() {
        return error.to_string();
    }
    use io::ErrorKind::*;
    let words = match error.kind() {
        ConnectionRefused => "连接被拒绝（connection refused）",
        AddrInUse => "地址已被占用（address in use）",
        ConnectionReset | ConnectionAborted => "连接被重置（connection reset）",
        TimedOut | WouldBlock => "超时（timed out）",
        HostUnreachable | NetworkUnreachable | NetworkDown => "无法到达（unreachable）",
        PermissionDenied => "不允许（not permitted）",
        AddrNotAvailable => "该地址不属于本机（address not available）",
        BrokenPipe => "对方已关闭连接（broken pipe）",
        StorageFull => "磁盘已满（no space left）",
        _ => return error.to_string(),
    };
    words.to_string()
}
