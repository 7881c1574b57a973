//! What the chapter's four programs share.
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
//! Those constants live here, next to the pieces more than one program needs: the ctime
//! timestamp ([`ctime`]), the reply `[timestamp] data` ([`reply`]), the UTF-8 rule that keeps a
//! reply from cutting a character in two ([`utf8`]), the command-line options the programs
//! share ([`cli`]), name lookup ([`net`]) and the server's log and `--trace` output ([`output`]).

pub mod cli;
pub mod console;
pub mod ctime;
pub mod net;
pub mod output;
pub mod reply;
pub mod text;
pub mod utf8;

pub use ctime::ctime;
pub use reply::reply;

/// The host a client talks to when given no `--host`: the book's client uses `'localhost'`.
///
/// `localhost` may resolve to `::1` before `127.0.0.1`; [`net::resolve`] tries the address a
/// default server listens on first, so the default pair always finds each other.
pub const HOST: &str = "localhost";

/// The address a server listens on when given no `--host`.
///
/// The book's server uses `HOST = ''`, every interface, so that other machines can reach it.
/// Here the default is this machine only (nobody else on the network can reach a student's
/// server by accident); a lab across machines passes `--host 0.0.0.0` (or `--host ::`).
pub const SERVER_HOST: &str = "127.0.0.1";

/// The book's port. Any free port above 1023 works; `--port 0` lets the system pick one.
pub const PORT: u16 = 21567;

/// The book's buffer size: the most one `recv()`/`recvfrom()` reads at a time.
pub const BUFSIZ: usize = 1024;

/// The book's `ADDR = (HOST, PORT)`: where a client looks for the server by default.
pub const ADDR: (&str, u16) = (HOST, PORT);
