//! What the chapter's four programs share, and nothing else.
//!
//! The book starts every program with the same few lines:
//!
//! ```python
//! HOST = ''          # the server: every interface; the client: 'localhost'
//! PORT = 21567
//! BUFSIZ = 1024
//! ADDR = (HOST, PORT)
//! ```
//!
//! Those constants live here (the programs use `BUFSIZ`; the others are the defaults of the
//! options in [`cli`]), beside what more than one program needs:
//! - [`ctime`](mod@ctime): the book's timestamp, and the stamp in front of each reply's data;
//! - [`last_words`]: how the TCP server marks its own busy and idle lines, so the client
//!   can tell them from replies;
//! - [`lang`]: the reader's language and the [`tr!`] macro that puts both languages' words
//!   where they are printed;
//! - [`cli`]: the options every program takes, and `--help` and usage errors in the reader's
//!   language;
//! - [`address`]: `HOST:PORT` and ports, as people write them;
//! - [`typing`]: words as an input method, a chat message or a word processor hands them
//!   on (`127.0.0.1：21567`, `“127.0.0.1”`, `—port`), and as they should be typed;
//! - [`wrap`]: text wrapped to the terminal as its language breaks lines;
//! - [`net`]: finding the other side, and errors that say what to do;
//! - [`out`]: the log, `--trace` and errors, written so that printing never holds up serving;
//! - [`program`]: a program's start and end: one-line panics and errors, the exit status;
//! - [`input`]: a client's standard input, read line by line on a thread of its own;
//! - [`screen`]: what a client shows on a terminal: replies that cannot drive it;
//! - [`utf8`]: where a UTF-8 character is cut, for a server's replies and a client's screen.
//!
//! What only one program needs lives in that program.

pub mod address;
pub mod cli;
pub mod ctime;
pub mod input;
pub mod lang;
pub mod last_words;
pub mod net;
pub mod out;
pub mod program;
pub mod screen;
pub mod typing;
pub mod utf8;
pub mod wrap;
mod writer;

pub use ctime::ctime;

/// The host a client talks to when given none: the book's client uses `'localhost'`.
///
/// `localhost` may resolve to `::1` before `127.0.0.1`; [`net::resolve`] tries the address a
/// default server listens on first, so the default pair always finds each other.
pub(crate) const HOST: &str = "localhost";

/// The address a server listens on when given no `--host`.
///
/// The book's server uses `HOST = ''`, every interface, so that other machines can reach it.
/// Here the default is this machine only (nobody else on the network can reach a student's
/// server by accident); a lab across machines passes `--host 0.0.0.0` (or `--host ::`).
pub(crate) const SERVER_HOST: &str = "127.0.0.1";

/// The book's port. Any free port above 1023 works; `--port 0` lets a server pick one.
pub(crate) const PORT: u16 = 21567;

/// The book's buffer size: the most one `recv()`/`recvfrom()` reads at a time.
pub const BUFSIZ: usize = 1024;

/// The book's `ADDR = (HOST, PORT)`: where a client looks for the server by default.
pub(crate) const ADDR: (&str, u16) = (HOST, PORT);
