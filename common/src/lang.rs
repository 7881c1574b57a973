//! The reader's language: English, or Chinese for readers of the book's Chinese edition.
//!
//! The first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set decides, as in C: a value
//! starting with `zh` means Chinese. Where none is set (as usual on Windows, and for programs
//! started from a macOS Finder) the system's own language decides. `LANGUAGE` (`zh_CN:en`),
//! a list of languages in order of preference, comes first, as GNU gettext reads it: unless
//! the locale is C or POSIX, which ask for the program's own (English) messages.
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
///
/// A crate's unit tests read English, whatever the machine's language, so that `cargo test`
/// passes on a Chinese teacher's machine too (`cfg!(test)` here is the crate that writes
/// `tr!`); the end-to-end tests run the programs as processes, in each language.
#[macro_export]
macro_rules! tr {
    ($english:literal, $chinese:literal $(,)?) => {
        if $crate::lang::chinese() && !cfg!(test) {
            format!($chinese)
        } else {
            format!($english)
        }
    };
}

/// True when the reader's language is Chinese. Decided once, at the first message. (Never in
/// this crate's own unit tests, which read English as every crate's do: see [`tr!`].)
pub fn chinese() -> bool {
    static CHINESE: OnceLock<bool> = OnceLock::new();
    !cfg!(test)
        && *CHINESE.get_or_init(|| {
            let var = |name| std::env::var(name).ok();
            let set = [var("LC_ALL"), var("LC_MESSAGES"), var("LANG")];
            is_chinese(set, var("LANGUAGE"), sys_locale::get_locale)
        })
}

/// The language rule: the first locale variable set (and not empty) decides, or with none
/// set the system's language (`zh-CN`, `zh-Hans-CN`, ...), asked only then. `language`, the
/// `LANGUAGE` list, comes first unless the locale is C or POSIX: its first entry that names
/// one of our two languages decides (`fr:zh_CN:en` is Chinese: there are no French messages).
fn is_chinese(
    variables: [Option<String>; 3],
    language: Option<String>,
    system: impl FnOnce() -> Option<String>,
) -> bool {
    let first_set = variables
        .into_iter()
        .flatten()
        .find(|value| !value.is_empty());
    let Some(locale) = first_set.or_else(system) else {
        return false; // no locale at all is C: the program's own messages
    };
    let preferred = language.filter(|_| !is_c_locale(&locale)).and_then(|list| {
        list.split(':')
            .map(str::to_ascii_lowercase)
            .find(|entry| entry.starts_with("zh") || entry.starts_with("en"))
    });
    preferred
        .unwrap_or(locale.to_ascii_lowercase())
        .starts_with("zh")
}

/// True for the C locale (`C`, `C.UTF-8`, `POSIX`), where gettext ignores `LANGUAGE`.
fn is_c_locale(locale: &str) -> bool {
    locale == "C" || locale == "POSIX" || locale.starts_with("C.")
}

/// `count(2, "client")` is `2 clients`: English counts agree in number. (Chinese has no
/// plural: its messages say `{n} 个客户端` directly.)
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// An `io::Error` from the system, kept whole: code that looks at the error later
/// (`downcast_ref::<OsError>()`) still sees its kind. Shown in the reader's language: the
/// system's reason ([`os_error`]), as `OsError::new(error)` with the words of what failed put
/// in front by `anyhow::Context`; or, as `OsError::explained(message, error)`, a whole message
/// that says what failed, why and what to do (`bind()` failing on a port in use).
#[derive(Debug)]
pub struct OsError {
    /// The system's error, for its kind and number.
    pub error: io::Error,
    /// The whole message, when it says more than the system's reason.
    message: Option<String>,
}

impl OsError {
    /// The system's error, shown as its reason in the reader's language.
    pub fn new(error: io::Error) -> OsError {
        OsError {
            error,
            message: None,
        }
    }

    /// The system's error, shown as `message` (which already says its reason).
    pub fn explained(message: String, error: io::Error) -> OsError {
        OsError {
            error,
            message: Some(message),
        }
    }
}

impl std::fmt::Display for OsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(message) => f.write_str(message),
            None => f.write_str(&os_error(&self.error)),
        }
    }
}

// No `source()`: its words are already shown, and `{:#}` would print them twice.
impl std::error::Error for OsError {}

impl From<io::Error> for OsError {
    fn from(error: io::Error) -> OsError {
        OsError::new(error)
    }
}

/// An error from the system, as the reader reads it: the system's own words in English; in
/// Chinese, Chinese words for every error the programs can meet, with the system's short term
/// after them (what a search engine finds), and for any other the system's text after
/// `系统错误：`.
pub fn os_error(error: &io::Error) -> String {
    if !chinese() {
        return error.to_string();
    }
    match chinese_words(error) {
        Some(words) => words.to_string(),
        None => format!("系统错误：{error}"),
    }
}

/// Chinese words for the errors the programs can meet, by their number where Rust gives them
/// no kind of their own (running out of descriptors, buffers, a datagram too long).
fn chinese_words(error: &io::Error) -> Option<&'static str> {
    let by_number = match error.raw_os_error() {
        Some(code) if code == EMFILE => {
            Some("本进程打开的文件太多，已到上限（too many open files）")
        }
        Some(code) if code == ENFILE => {
            Some("整个系统打开的文件太多，已到上限（file table overflow）")
        }
        Some(code) if code == ENOBUFS => Some("系统的网络缓冲区不够用了（no buffer space）"),
        Some(code) if code == EMSGSIZE => Some("消息太长，一个数据报装不下（message too long）"),
        Some(code) if code == EAFNOSUPPORT => {
            Some("系统不支持这类地址，例如 IPv6 被关闭了（address family not supported）")
        }
        _ => None,
    };
    use io::ErrorKind::*;
    by_number.or(match error.kind() {
        ConnectionRefused => Some("连接被拒绝（connection refused）"),
        AddrInUse => Some("地址已被占用（address in use）"),
        ConnectionReset => Some("连接被对方重置（connection reset）"),
        ConnectionAborted => Some("连接被中止（connection aborted）"),
        NotConnected => Some("连接已断开（not connected）"),
        TimedOut => Some("超时（timed out）"),
        WouldBlock => Some("资源暂时不可用（resource temporarily unavailable）"),
        HostUnreachable => Some("主机不可达（host unreachable）"),
        NetworkUnreachable => Some("网络不可达（network unreachable）"),
        NetworkDown => Some("网络已断开（network down）"),
        PermissionDenied => Some("权限不足（permission denied）"),
        // Not "not this machine's": bind() says that itself (net::bind_error); here it is
        // also a connect() to 0.0.0.0 on Windows and macOS, or no local port left.
        AddrNotAvailable => Some("无法使用这个地址（address not available）"),
        BrokenPipe => Some("对方已关闭连接（broken pipe）"),
        StorageFull => Some("磁盘已满（no space left）"),
        OutOfMemory => Some("内存不足（out of memory）"),
        Interrupted => Some("被信号中断（interrupted）"),
        InvalidInput => Some("参数无效（invalid argument）"),
        Unsupported => Some("系统不支持这个操作（not supported）"),
        NotFound => Some("找不到该文件或目录（no such file or directory）"),
        IsADirectory => Some("它是一个目录，不是文件（is a directory）"),
        NotADirectory => Some("路径中的某一段不是目录（not a directory）"),
        ReadOnlyFilesystem => Some("文件系统是只读的（read-only file system）"),
        _ => None,
    })
}

// The numbers of the errors Rust gives no kind of their own, as each system numbers them:
// the one place that knows them (tcp-server tells by them what the machine ran out of).
#[cfg(unix)]
pub use libc::{EAFNOSUPPORT, EMFILE, EMSGSIZE, ENFILE, ENOBUFS};
// Windows sockets' numbers (WSAEMFILE, ...): the C library's EMFILE there is not the sockets'.
/// Too many open files (sockets) in this process: WSAEMFILE.
#[cfg(windows)]
pub const EMFILE: i32 = 10024;
/// Too many open files in the system: Windows has no system-wide file table, so never.
#[cfg(windows)]
pub const ENFILE: i32 = -1;
/// No buffer space (memory) for another socket: WSAENOBUFS.
#[cfg(windows)]
pub const ENOBUFS: i32 = 10055;
/// A datagram too long: WSAEMSGSIZE.
#[cfg(windows)]
pub const EMSGSIZE: i32 = 10040;
/// An address family the system does not support: WSAEAFNOSUPPORT.
#[cfg(windows)]
pub const EAFNOSUPPORT: i32 = 10047;

#[cfg(test)]
mod tests;
