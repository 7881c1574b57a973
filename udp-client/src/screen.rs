//! Where the client's prompt and replies go: a person at a terminal, or pipes.
//!
//! Each datagram is a whole reply, shown on a line of its own, after the `--trace` lines of
//! the calls that brought it. The writing itself is the one both clients share
//! ([`common::screen`]): at once, visibly on a terminal, a reader that has gone as the quiet
//! end it is.

use std::io::{self, IsTerminal};
use std::time::Duration;

use common::out;

/// Where the client's input comes from and its replies go.
pub struct Screen {
    /// Standard input is a terminal: someone types, so the prompt is shown.
    typing: bool,
    /// Standard output is a terminal: a reply's control characters are shown, not obeyed.
    showing: bool,
}

impl Screen {
    /// Looks at what standard input and output are.
    pub fn new() -> Screen {
        Screen {
            typing: io::stdin().is_terminal(),
            showing: io::stdout().is_terminal(),
        }
    }

    /// Pipes on both sides (for the tests).
    #[cfg(test)]
    pub fn piped() -> Screen {
        Screen {
            typing: false,
            showing: false,
        }
    }

    /// True when someone types at a terminal.
    pub fn typing(&self) -> bool {
        self.typing
    }

    /// `> `, on a terminal, after every note and error so far.
    pub fn prompt(&self) -> anyhow::Result<()> {
        if self.typing {
            common::screen::prompt()?;
        }
        Ok(())
    }

    /// `print data`: the reply on a line of its own, after the `--trace` lines of the calls
    /// that brought it. On a terminal its control characters are shown visibly (a forged
    /// reply must not retitle the window or rewrite the line); into a pipe or a file it goes
    /// as it came.
    pub fn print(&self, data: &[u8]) -> anyhow::Result<()> {
        out::flush(Duration::from_secs(1));
        let mut line = common::screen::as_shown(data, self.showing).into_owned();
        line.push(b'\n');
        common::screen::write(&line)
    }

    /// Ends the prompt's line when input ends without a newline (Ctrl+D), so whatever
    /// follows, the shell's prompt too, starts on a line of its own.
    pub fn end_line(&self) -> anyhow::Result<()> {
        if self.typing {
            common::screen::write(b"\n")?;
        }
        Ok(())
    }
}
