//! The command line: the options every program shares, read by clap, with `--help` and usage
//! errors in the reader's language, wrapped to the terminal.
//!
//! [`parse`] gives `main` the options, or a [`Usage`] to print and return: `--help`,
//! `--version` (exit status 0) or a usage error (exit status 2). A usage error found later,
//! by a check that needs more than the command line, is made by [`usage_error`] and returned
//! to `main` like any other error.
//!
//! - `options`: the shared options ([`Shared`], [`Listen`], [`Target`]) and the parsers that
//!   say what a good value is;
//! - `usage`: the [`Usage`] that `main` prints instead of running;
//! - `help`: `--help` in the reader's language, laid out for the terminal;
//! - `chinese_errors`: clap's usage errors in Chinese words.
//!
//! What a word on the command line means is read elsewhere: [`crate::address`] (`HOST:PORT`),
//! [`crate::typing`] (full-width characters, quotation marks, autocorrected dashes).

mod chinese_errors;
mod help;
mod options;
mod usage;

use clap::parser::ValueSource;
use clap::{ArgMatches, Command, CommandFactory, FromArgMatches, ValueHint};

pub use options::{Listen, Shared, Target, bytes_up_to, positive_seconds, seconds, whole_number};
pub use usage::{Usage, usage_error};

use crate::address::{listen_address, server_address};
use crate::tr;
use crate::typing::mistyped;
use usage::{from_clap, usage};

/// Reads the command line into `T`, or gives the [`Usage`] to print instead: `--help`,
/// `--version`, or a usage error in the reader's language that says what a good value is.
pub fn parse<T: CommandFactory + FromArgMatches>() -> Result<T, Usage> {
    // Named as it is typed, `tcp-client`, on every system: clap would take the file's name
    // (`tcp-client.exe` on Windows) for its usage line.
    let command = help::localized(T::command());
    let name = command.get_name().to_string();
    let mut command = command.bin_name(name);
    let words = typed_words(&command).map_err(|why| usage(&mut command, &why))?;
    let matches: ArgMatches = command
        .try_get_matches_from_mut(words)
        .map_err(|error| from_clap(&error, &mut command))?;
    check_server_named_once(&command, &matches).map_err(|why| usage(&mut command, &why))?;
    T::from_arg_matches(&matches).map_err(|error| from_clap(&error, &mut command))
}

/// The words on the command line, each checked to be text as it should be typed: UTF-8, and
/// none of what an input method, a chat message or a word processor makes of it (`——port`,
/// `１２７.０.０.１`, `“127.0.0.1”`, `127.0.0.1，`). A file's name is the teacher's to choose
/// (`名单（一班）.txt`), and so is the program's own path.
fn typed_words(command: &Command) -> Result<Vec<String>, String> {
    let mut args = std::env::args_os();
    let mut words: Vec<String> = args
        .next()
        .map(|path| path.to_string_lossy().into_owned())
        .into_iter()
        .collect();
    let mut names_a_file = false;
    for word in args {
        let Some(text) = word.to_str() else {
            let shown = word.to_string_lossy();
            return Err(tr!(
                "'{shown}' is not UTF-8 text (the bytes shown as \u{FFFD} are not text): type it again in a UTF-8 terminal",
                "参数 '{shown}' 不是 UTF-8 编码的文字（显示为 \u{FFFD} 的字节无效）：请在 UTF-8 的终端里重新输入"
            ));
        };
        if !std::mem::take(&mut names_a_file) {
            if let Some(why) = mistyped_option(command, text) {
                return Err(why);
            }
            names_a_file = takes_a_file(command, text);
        }
        words.push(text.to_string());
    }
    Ok(words)
}

/// What is mistyped in one word of the command line: the word, or in `--name=value` the name
/// and the value (not a file's name).
fn mistyped_option(command: &Command, word: &str) -> Option<String> {
    match word.split_once('=').filter(|_| word.starts_with("--")) {
        Some((name, _)) if takes_a_file(command, name) => mistyped(name),
        Some((name, value)) => mistyped(name).or_else(|| mistyped(value)),
        None => mistyped(word),
    }
}

/// True when `word` is an option whose value is the name of a file (lab-check's `--room`).
fn takes_a_file(command: &Command, word: &str) -> bool {
    let Some(name) = word.strip_prefix("--") else {
        return false;
    };
    command.get_arguments().any(|arg| {
        arg.get_long() == Some(name)
            && matches!(
                arg.get_value_hint(),
                ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
            )
    })
}

/// The server named twice, differently (`tcp-client a --host b`), or its port given twice,
/// differently (`--host 127.0.0.1:5000 --port 6000`), named in the order they were typed.
fn check_server_named_once(command: &Command, matches: &ArgMatches) -> Result<(), String> {
    let typed = |id: &str| -> Option<(usize, String)> {
        let known = command.get_arguments().any(|arg| arg.get_id() == id);
        if !known || matches.value_source(id) != Some(ValueSource::CommandLine) {
            return None;
        }
        let value = matches.get_raw(id)?.next()?.to_str()?.to_string();
        Some((matches.index_of(id).unwrap_or_default(), value))
    };
    let mut named: Vec<(usize, String)> =
        ["server", "host"].into_iter().filter_map(typed).collect();
    named.sort();
    let named: Vec<&str> = named.iter().map(|(_, host)| host.as_str()).collect();
    let port = typed("port").and_then(|(_, port)| port.trim().parse().ok());
    let is_client = command.get_arguments().any(|arg| arg.get_id() == "server");
    if is_client {
        server_address(&named, port).map(|_| ())
    } else {
        named
            .iter()
            .try_for_each(|host| listen_address(host, port).map(|_| ()))
    }
}

#[cfg(test)]
mod tests;
