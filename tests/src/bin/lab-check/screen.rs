//! Where lab-check's output goes, and what that allows: a terminal gets a table that fits
//! it, colours, progress and a board redrawn in place; a pipe or a file gets plain lines,
//! each reason on one line, for grep and scripts.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use common::tr;
use tests::lab::table::Look;

/// What stdout is.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    /// How the table is shown.
    pub look: Look,
    /// True on a terminal that takes escape sequences: the board is redrawn in place.
    pub redraw: bool,
    /// The terminal's height, to keep the board on one screen.
    pub height: Option<usize>,
}

impl Screen {
    /// Stdout as it is now.
    pub fn of_stdout() -> Screen {
        let terminal = std::io::stdout().is_terminal();
        let escapes =
            terminal && escapes_work() && std::env::var("TERM").ok().as_deref() != Some("dumb");
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|text| text.trim().parse().ok());
        let size = terminal_size::terminal_size();
        let width = match (columns, terminal) {
            (Some(columns), _) => Some(columns),
            (None, true) => Some(size.map_or(80, |(width, _)| usize::from(width.0))),
            (None, false) => None,
        };
        Screen {
            look: Look {
                width: width.map(|width: usize| width.max(40)),
                color: escapes && !anstyle_query::no_color(),
            },
            redraw: escapes,
            height: size
                .map(|(_, height)| usize::from(height.0))
                .filter(|&h| h > 5),
        }
    }
}

/// True when the terminal obeys escape sequences (colours, cursor moves): everywhere but a
/// Windows console that cannot be switched to its virtual-terminal mode (before Windows 10).
fn escapes_work() -> bool {
    #[cfg(windows)]
    {
        anstyle_query::windows::enable_ansi_colors() == Some(true)
    }
    #[cfg(not(windows))]
    {
        true
    }
}

/// The sequence that clears a terminal and puts the cursor at its top left.
pub const CLEAR: &str = "\u{1b}[H\u{1b}[2J";

/// A line of progress on stderr, rewritten in place, only where stderr is a terminal.
pub struct Progress {
    /// False when stderr is not a terminal: nothing is written.
    shown: bool,
    /// How many columns the line may take.
    width: usize,
    /// True while a line is on the screen.
    written: bool,
}

impl Progress {
    /// Progress on stderr, if it is a terminal.
    pub fn new() -> Progress {
        let shown = std::io::stderr().is_terminal();
        let width = terminal_size::terminal_size_of(std::io::stderr())
            .map_or(80, |(width, _)| usize::from(width.0));
        Progress {
            shown,
            width,
            written: false,
        }
    }

    /// Shows `line` in place of the last one.
    pub fn show(&mut self, line: &str) {
        if !self.shown {
            return;
        }
        let line: String = line.chars().take(self.width.saturating_sub(1)).collect();
        let pad = " ".repeat(
            self.width
                .saturating_sub(1)
                .saturating_sub(unicode_width(&line)),
        );
        let _ = write!(std::io::stderr().lock(), "\r{line}{pad}");
        self.written = true;
    }

    /// Takes the line off the screen.
    pub fn clear(&mut self) {
        if self.written {
            let blank = " ".repeat(self.width.saturating_sub(1));
            let _ = write!(std::io::stderr().lock(), "\r{blank}\r");
            self.written = false;
        }
    }
}

/// How many columns `text` takes.
fn unicode_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// Writes to stdout; a reader that went away (`lab-check ... | head -1`) is not an error.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Says on stderr what went wrong, as one line.
pub fn complain(why: &str) {
    let line = tr!("lab-check: {why}", "lab-check：{why}");
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// 0 when everything passed, 1 otherwise.
pub fn status(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
