//! A program's start and end: a panic is one line, an error is one line and a non-zero exit,
//! and what a client prints goes out at once.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::Usage;
use crate::lang::OsError;
use crate::{problem, tr};

/// Writes a client's reply (or prompt) to stdout at once. An error for which
/// [`nobody_reads`] is true means the client stops quietly, with status 0; any other (a full
/// disk) is an error.
pub fn print_now(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}

/// True when writing to stdout failed because nobody reads it any more (`client | head -1`).
pub fn nobody_reads(error: &io::Error) -> bool {
    // Windows says so of a closed pipe as ERROR_NO_DATA (232), which Rust calls BrokenPipe,
    // or as ERROR_PIPE_NOT_CONNECTED (233), which it does not.
    error.kind() == io::ErrorKind::BrokenPipe
        || (cfg!(windows) && error.raw_os_error() == Some(233))
}

/// The error for standard input that could not be read.
pub fn cannot_read_input(error: io::Error) -> anyhow::Error {
    anyhow::Error::new(OsError::new(error))
        .context(tr!("cannot read standard input", "无法读取标准输入"))
}

/// The error for a reply that could not be written to standard output (a full disk), for
/// any error but [`nobody_reads`].
pub fn cannot_write_reply(error: io::Error) -> anyhow::Error {
    let reason = crate::lang::os_error(&error);
    let message = tr!(
        "cannot write the reply to standard output: {reason}",
        "无法把回复写到标准输出：{reason}"
    );
    OsError::explained(message, error).into()
}

/// Turns what `run` returned into the exit status, printing an error as one line on stderr
/// after everything printed before it: `tcp-client: error: cannot connect to ...`. A usage
/// error found after the command line was read ([`Usage`]) is printed as the others are,
/// with exit status 2.
pub fn exit_status(program: &str, result: anyhow::Result<ExitCode>) -> ExitCode {
    let status = match result {
        Ok(status) => status,
        Err(error) => match error.downcast::<Usage>() {
            Ok(usage) => {
                crate::out::flush(Duration::from_secs(1));
                return usage.report();
            }
            Err(error) => {
                let error = one_line(&error);
                problem!("{program}: error: {error}", "{program}：错误：{error}");
                ExitCode::FAILURE
            }
        },
    };
    crate::out::flush(Duration::from_secs(1));
    status
}

/// The error and its causes on one line, never a backtrace, joined as the reader's language
/// joins a clause to its cause: `cannot read standard input: is a directory`,
/// `无法读取标准输入：它是一个目录，不是文件（is a directory）`. (anyhow's `{:#}` always
/// joins with an English `": "`.)
pub fn one_line(error: &anyhow::Error) -> String {
    let causes: Vec<String> = error.chain().map(ToString::to_string).collect();
    causes.join(&tr!(": ", "："))
}

/// Makes a panic (a bug in this program, never the user's fault) print one line, not a
/// backtrace. In a server only the thread that panicked ends; the others go on.
pub fn one_line_panics(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
            .replace('\n', " ");
        let place = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let line = tr!(
            "{program}: internal error{place}: {message} (this is a bug; please report it)",
            "{program}：内部错误{place}：{message}（这是程序的缺陷，请报告）"
        );
        let _ = writeln!(io::stderr().lock(), "{line}");
    }));
}
