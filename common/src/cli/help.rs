//! `--help` and `--version` in the reader's language, laid out for the terminal.
//!
//! clap lays the help out, unwrapped; [`crate::wrap`] then breaks its lines as their
//! language breaks them, counting a Chinese character as two columns. (clap's own wrapping
//! breaks only at spaces, which Chinese sentences do not have.)

use clap::{Arg, ArgAction, Command};

use crate::lang::chinese;
use crate::tr;
use crate::wrap::{fill, hanging_indent, terminal_width};

/// The command as this project shows it: `--help` and `--version` in the reader's language,
/// headings in Chinese for Chinese, and no wrapping of clap's own.
pub(super) fn localized(command: Command) -> Command {
    let command = command
        .term_width(0)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(tr!("Print help", "显示帮助")),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(tr!("Print version", "显示版本")),
        )
        // `--port -1` is a bad port, not an unknown option `-1`.
        .mut_args(|arg| {
            if arg.get_long().is_some() && arg.get_action().takes_values() {
                arg.allow_negative_numbers(true)
            } else {
                arg
            }
        });
    if !chinese() {
        return command;
    }
    // clap's headings and notes are English: in Chinese, the template names the sections, and
    // each default is said after its help.
    let mut template = String::from("{before-help}{about-with-newline}\n用法：{usage}\n\n");
    if command.get_positionals().next().is_some() {
        template.push_str("参数：\n{positionals}\n\n");
    }
    template.push_str("选项：\n{options}{after-help}");
    command
        .help_template(template)
        .mut_args(say_default_in_chinese)
}

/// The usage line without its heading, `tcp-client [选项] [服务器]` in Chinese.
pub(super) fn usage_line(command: &mut Command) -> String {
    let usage = command.render_usage().to_string();
    in_the_readers_language(usage.trim_start_matches("Usage: "))
}

/// `--help`, wrapped to the terminal's width. Where the options' column would leave their
/// help less than half the width, each help goes under its option instead, as clap does on
/// a narrow terminal.
pub(super) fn help(command: &mut Command) -> String {
    let width = terminal_width();
    let mut text = command.render_help().to_string();
    if help_column(&text) * 2 > width {
        text = command
            .clone()
            .next_line_help(true)
            .render_help()
            .to_string();
    }
    fill(&in_the_readers_language(&text), width)
}

/// Where the help of the options starts: the widest of the options' columns.
fn help_column(help: &str) -> usize {
    let options = help.lines().filter(|line| {
        let text = line.trim_start();
        text.starts_with('-') || text.starts_with('[') || text.starts_with('<')
    });
    options.map(hanging_indent).max().unwrap_or_default()
}

/// clap's one English word in a usage line, `[OPTIONS]`, in Chinese for Chinese.
fn in_the_readers_language(text: &str) -> String {
    if chinese() {
        text.replace("[OPTIONS]", "[选项]")
    } else {
        text.to_string()
    }
}

/// An option's help with its default said in Chinese after it, `（默认 1024）`, or inside the
/// brackets that end the help already: `（书中的 BUFSIZ；默认 1024）`.
fn say_default_in_chinese(arg: Arg) -> Arg {
    if !arg.get_action().takes_values() {
        return arg;
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .collect();
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let arg = arg.hide_possible_values(true);
    if defaults.is_empty() {
        return arg;
    }
    let default = defaults.join("、");
    // A short note in brackets (`书中的 BUFSIZ`) takes the default in; a longer one (about one
    // of several values, as for --mode) does not, or it would seem the default of that value.
    let last_note = help.rsplit_once('（').map(|(_, note)| note);
    let help = match (help.strip_suffix('）'), last_note) {
        (Some(inside), Some(note)) if !note.contains(['，', '、']) => {
            format!("{inside}；默认 {default}）")
        }
        (Some(_), _) => format!("{help}；默认 {default}"),
        (None, _) => format!("{help}（默认 {default}）"),
    };
    arg.help(help).hide_default_value(true)
}
