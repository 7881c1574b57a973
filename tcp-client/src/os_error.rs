//! An error from the system, kept whole.
//!
//! The client's messages put what it was doing first, then the system's reason:
//! `cannot send to the server at 127.0.0.1:21567: Broken pipe (os error 32)`. The reason is
//! shown in the reader's language ([`common::lang::os_error`]), and the `io::Error` itself is
//! kept, so code that looks at the error later still sees its kind.

use std::fmt;
use std::io;

/// An `io::Error` from a socket or a standard stream, shown in the reader's language.
#[derive(Debug)]
pub struct OsError(pub io::Error);

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&common::lang::os_error(&self.0))
    }
}

// No `source()`: its words are already shown, and `{:#}` would print them twice.
impl std::error::Error for OsError {}

impl From<io::Error> for OsError {
    fn from(error: io::Error) -> OsError {
        OsError(error)
    }
}
