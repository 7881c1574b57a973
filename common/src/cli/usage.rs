//! What `main` prints instead of running: `--help`, `--version` or a usage error, in the
//! reader's language, wrapped to the terminal.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Command, CommandFactory};

use super::{chinese_errors, help};
use crate::lang::chinese;
use crate::wrap::{fill, terminal_width};

/// The help, the version, or a usage error, ready to print: what `main` does instead of
/// running. A usage error found after the command line was read (the UDP `--bufsize` against
/// the address's family) comes back to `main` as an error like any other, and
/// [`exit_status`](crate::program::exit_status) prints it with this exit status.
#[derive(Debug)]
pub struct Usage {
    /// The help, the version, or the error with the usage line, ready to print.
    text: String,
    /// True for a usage error (stderr, exit status 2); false for help and version (stdout, 0).
    is_error: bool,
}

impl Usage {
    /// Prints the help, version or error, and gives `main` the exit status to return.
    pub fn report(self) -> ExitCode {
        // Nobody reading (`--help | head -1`) is no reason for a message of its own.
        if self.is_error {
            let _ = write!(std::io::stderr().lock(), "{}", self.text);
            ExitCode::from(2)
        } else {
            let _ = write!(std::io::stdout().lock(), "{}", self.text);
            ExitCode::SUCCESS
        }
    }
}

impl Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Usage {}

/// The usage error that says `message`, for `main` to print (exit status 2): for a check
/// that needs more than the command line, such as `--bufsize` against the address's family.
pub fn usage_error<T: CommandFactory>(message: String) -> Usage {
    let mut command = help::localized(T::command());
    usage(&mut command, &message)
}

/// A usage error that says `why`, with the usage line and where to read more.
pub(super) fn usage(command: &mut Command, why: &str) -> Usage {
    if chinese() {
        return error(chinese_errors::usage_text(command, why));
    }
    let error = command.error(ErrorKind::ValueValidation, why);
    from_clap(&error, command)
}

/// What clap's error or help request becomes: the help wrapped to the terminal, or the error
/// in the reader's language.
pub(super) fn from_clap(error: &clap::Error, command: &mut Command) -> Usage {
    match error.kind() {
        ErrorKind::DisplayHelp => Usage {
            text: help::help(command),
            is_error: false,
        },
        ErrorKind::DisplayVersion => Usage {
            text: command.render_version(),
            is_error: false,
        },
        _ if chinese() => {
            let takes_a_server = command.get_positionals().next().is_some();
            let why = chinese_errors::clap_error(error, takes_a_server);
            self::error(chinese_errors::usage_text(command, &why))
        }
        _ => self::error(error.render().to_string()),
    }
}

/// A usage error, wrapped as the help is when a person reads it on a terminal (or `COLUMNS`
/// says how wide); into a pipe or a file each sentence stays on one line, for `grep`.
fn error(text: String) -> Usage {
    let read_on_a_terminal =
        std::io::stderr().is_terminal() || std::env::var_os("COLUMNS").is_some();
    let text = if read_on_a_terminal {
        fill(&text, terminal_width())
    } else {
        text
    };
    Usage {
        text,
        is_error: true,
    }
}
