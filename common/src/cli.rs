//! The command line: the options every program shares, parsers that say what a good value
//! is, and `--help` and usage errors in the reader's language, wrapped to the terminal.
//!
//! [`parse`] gives `main` the options, or a [`Usage`] to print and return: `--help`,
//! `--version` (exit status 0) or a usage error (exit status 2).

use std::fmt::Display;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::lang::chinese;
use crate::tr;

/// The options every program takes besides its own.
#[derive(clap::Args, Debug, Clone)]
pub struct Shared {
    /// `--trace`: each socket call on stderr, so students watch the book's steps run.
    #[arg(long, help = tr!(
        "Print each socket call to stderr as it happens: socket(), bind(), recv(1024), ...",
        "把每次套接字调用实时打印到标准错误（stderr）：socket()、bind()、recv(1024)……"
    ))]
    pub trace: bool,
}

/// Where a server listens, and how much it logs: the options both servers take.
#[derive(clap::Args, Debug, Clone)]
pub struct Listen {
    /// `--host`: where to listen.
    #[arg(long, default_value = crate::SERVER_HOST, help = tr!(
        "Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 (or ::) lets other machines connect, as a lab needs",
        "监听的地址：127.0.0.1 仅限本机；0.0.0.0 或 :: 接受其他机器的连接，跨机器的实验课要用它"
    ))]
    pub host: String,

    /// `--port`: the book's PORT, or 0 for any free port.
    #[arg(long, default_value_t = crate::PORT, value_parser = server_port, help = tr!(
        "Port to listen on (the book's 21567); 0 picks a free one and prints it",
        "监听的端口，即书中的 PORT；0 表示由系统任选一个空闲端口并打印出来"
    ))]
    pub port: u16,

    /// `--quiet`: a quiet log for a busy lab.
    #[arg(long, help = tr!(
        "Log only the address line, problems with the server and what it prints when it stops",
        "只输出监听地址、本服务器的错误和停止时的汇总"
    ))]
    pub quiet: bool,
}

/// Where a client's server is, as people write it: `tcp-client 192.168.1.5`,
/// `tcp-client 192.168.1.5:21567`, `--host HOST[:PORT]`, `--port PORT`.
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// The server as people write it for telnet and nc: `HOST` or `HOST:PORT`.
    #[arg(value_name = "SERVER", help = tr!(
        "The server: HOST or HOST:PORT ([::1]:21567 for IPv6), as for telnet and nc",
        "服务器：HOST 或 HOST:PORT（IPv6 写作 [::1]:21567），和 telnet、nc 的写法一样"
    ))]
    server: Option<String>,

    /// `--host`: the same, as an option.
    #[arg(long, help = tr!(
        "The server's host name or address, or HOST:PORT (default: localhost)",
        "服务器的主机名或地址，或 HOST:PORT（默认 localhost）"
    ))]
    host: Option<String>,

    /// `--port`: the server's port.
    #[arg(long, value_parser = client_port, help = tr!(
        "The server's port (default: the book's 21567)",
        "服务器的端口（默认为书中的 21567）"
    ))]
    port: Option<u16>,
}

impl Target {
    /// The host and port. [`parse`] has already refused a server named twice differently;
    /// were it not so, this would end the program with that usage error.
    pub fn host_and_port<T: CommandFactory>(&self) -> (String, u16) {
        let named: Vec<&str> = [self.server.as_deref(), self.host.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        server_address(&named, self.port).unwrap_or_else(|message| usage_error::<T>(message))
    }
}

/// The longest time any option takes, so that no deadline overflows: a year.
const MAX_SECONDS: u64 = 365 * 24 * 3600;

/// What `main` does instead of running when the command line is not to be run: print the
/// help or the version (exit status 0), or a usage error (exit status 2).
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
        use std::io::Write;
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

/// Reads the command line into `T`, or gives the [`Usage`] to print instead: `--help`,
/// `--version`, or a usage error in the reader's language that says what a good value is.
pub fn parse<T: CommandFactory + FromArgMatches>() -> Result<T, Usage> {
    let mut command = localized(T::command());
    let words = typed_words(&mut command)?;
    let matches: ArgMatches = command
        .try_get_matches_from_mut(words)
        .map_err(|error| from_clap(&error, &mut command))?;
    check_server_named_once(&command, &matches).map_err(|why| usage(&mut command, &why))?;
    T::from_arg_matches(&matches).map_err(|error| from_clap(&error, &mut command))
}

/// Ends the program with a usage error (exit status 2) that says `message`: for a check that
/// needs more than the command line (the UDP `--bufsize` against the address's family).
pub fn usage_error<T: CommandFactory>(message: impl Display) -> ! {
    let mut command = localized(T::command());
    usage(&mut command, &message.to_string()).report();
    std::process::exit(2)
}

/// The words on the command line, each checked to be text as it should be typed: UTF-8, and
/// no full-width characters from a Chinese input method (`——port`, `１２７.０.０.１`).
fn typed_words(command: &mut Command) -> Result<Vec<String>, Usage> {
    let mut words = Vec::new();
    for word in std::env::args_os() {
        let Some(text) = word.to_str() else {
            let shown = word.to_string_lossy();
            let why = tr!(
                "'{shown}' is not UTF-8 text (the bytes shown as \u{FFFD} are not text): type it again in a UTF-8 terminal",
                "参数 '{shown}' 不是 UTF-8 编码的文字（显示为 \u{FFFD} 的字节无效）：请在 UTF-8 的终端里重新输入"
            );
            return Err(usage(command, &why));
        };
        if let Some(why) = full_width(text) {
            return Err(usage(command, &why));
        }
        words.push(text.to_string());
    }
    Ok(words)
}

/// Says which full-width character `text` holds (as a Chinese input method types `：`, `１`,
/// `——`) and how it should be typed, or `None` when it has none.
pub(crate) fn full_width(text: &str) -> Option<String> {
    let found = text.chars().find(|&c| half_width(c) != c)?;
    let typed: String = text.chars().map(half_width).collect();
    Some(tr!(
        "'{text}' contains the full-width character '{found}' (as a Chinese input method types it): type it as {typed}",
        "'{text}' 含有全角字符 '{found}'（中文输入法打出来的）：应输入半角的 {typed}"
    ))
}

/// The ASCII character a full-width one stands for (`１` is `1`, `：` is `:`, `—` is `-`,
/// `。` is `.`); any other character is itself.
fn half_width(c: char) -> char {
    match c {
        // Full-width forms of ASCII, `！` to `～`, sit 0xFEE0 above their ASCII character.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '—' | '–' => '-',
        '。' => '.',
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

/// A usage error that says `why`, with the usage line and where to read more.
fn usage(command: &mut Command, why: &str) -> Usage {
    if chinese() {
        return chinese_usage(command, why);
    }
    let error = command.error(ErrorKind::ValueValidation, why);
    from_clap(&error, command)
}

/// What clap's error or help request becomes: the help wrapped to the terminal, or the error
/// in the reader's language.
fn from_clap(error: &clap::Error, command: &mut Command) -> Usage {
    match error.kind() {
        ErrorKind::DisplayHelp => Usage {
            text: help(command),
            is_error: false,
        },
        ErrorKind::DisplayVersion => Usage {
            text: command.render_version(),
            is_error: false,
        },
        _ if chinese() => {
            let takes_a_server = command.get_positionals().next().is_some();
            chinese_usage(command, &in_chinese(error, takes_a_server))
        }
        _ => Usage {
            text: wrap_error(&error.render().to_string()),
            is_error: true,
        },
    }
}

/// `--help`, wrapped to the terminal's width.
fn help(command: &mut Command) -> String {
    let text = command.render_help().to_string();
    let text = if chinese() {
        text.replace("[OPTIONS]", "[选项]")
    } else {
        text
    };
    wrap(&text, terminal_width())
}

/// A usage error in Chinese: the error, the usage line, and the command that shows every
/// option.
fn chinese_usage(command: &mut Command, why: &str) -> Usage {
    let usage = command.render_usage().to_string();
    let usage = usage
        .trim_start_matches("Usage: ")
        .replace("[OPTIONS]", "[选项]");
    let name = command.get_name().to_string();
    Usage {
        text: wrap_error(&format!(
            "错误：{why}\n\n用法：{usage}\n\n运行 {name} --help 查看全部选项。\n"
        )),
        is_error: true,
    }
}

/// Clap's error in Chinese words: its kind, the argument and value, and its tips (a similar
/// option, `-- -1` for a value that starts with `-`), as the English says them. A client
/// `takes_a_server` as its one positional argument; a server takes none.
fn in_chinese(error: &clap::Error, takes_a_server: bool) -> String {
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(text)) => text.clone(),
        Some(ContextValue::Strings(texts)) => texts.join("、"),
        Some(ContextValue::StyledStr(text)) => text.to_string(),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    // `--port <PORT>` is `--port` in a sentence.
    let arg = text(ContextKind::InvalidArg);
    let arg = arg.split(' ').next().unwrap_or_default().to_string();
    let (value, valid) = (
        text(ContextKind::InvalidValue),
        text(ContextKind::ValidValue),
    );
    let mut line = match error.kind() {
        ErrorKind::ValueValidation if !arg.is_empty() => {
            let why = std::error::Error::source(error)
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("{arg} 的值 {value} 无效：{why}")
        }
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} 后面缺少值"),
        ErrorKind::InvalidValue => format!("{arg} 的值 {value} 无效：可选的值为 {valid}"),
        ErrorKind::UnknownArgument if arg.starts_with('-') => format!("未知的选项 '{arg}'"),
        ErrorKind::UnknownArgument if takes_a_server => {
            format!("多余的参数 '{arg}'：只能指定一个服务器")
        }
        ErrorKind::UnknownArgument => format!("多余的参数 '{arg}'：这个程序只接受选项"),
        ErrorKind::ArgumentConflict if text(ContextKind::PriorArg).starts_with(&arg) => {
            format!("选项 '{arg}' 只能给一次")
        }
        ErrorKind::ArgumentConflict => {
            let prior = text(ContextKind::PriorArg);
            format!("选项 '{arg}' 不能与 '{prior}' 同时使用")
        }
        ErrorKind::TooManyValues => format!("多余的值 '{value}'"),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数 {arg}"),
        ErrorKind::NoEquals => format!("{arg} 的值要用 = 连接，例如 {arg}=值"),
        ErrorKind::InvalidUtf8 => "参数中有不是 UTF-8 编码的文字".to_string(),
        _ => {
            // A message of ours (already in the reader's language), or a rarer error of clap's.
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        }
    };
    let suggested = text(ContextKind::SuggestedArg) + &text(ContextKind::SuggestedValue);
    if !suggested.is_empty() {
        line.push_str(&format!("；你是不是想用 '{suggested}'？"));
    }
    if text(ContextKind::Suggested).contains("as a value") {
        line.push_str(&format!("；要把 '{arg}' 当作值，请写成 '-- {arg}'"));
    }
    line
}

/// `--help` and `--version` in the reader's language, headings in Chinese for Chinese, and
/// no wrapping of clap's own ([`wrap`] does it, counting a Chinese character as two columns).
fn localized(command: Command) -> Command {
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

/// How wide the help may be: `COLUMNS` when set (as clap reads it), else the terminal's
/// width, else clap's 100.
fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|text| text.parse().ok());
    let terminal = || terminal_size::terminal_size().map(|(width, _)| usize::from(width.0));
    columns.or_else(terminal).unwrap_or(100).max(20)
}

/// A usage error, wrapped as the help is when a person reads it on a terminal (or `COLUMNS`
/// says how wide); into a pipe or a file each sentence stays on one line, for `grep`.
fn wrap_error(text: &str) -> String {
    let read_on_a_terminal =
        std::io::stderr().is_terminal() || std::env::var_os("COLUMNS").is_some();
    if read_on_a_terminal {
        wrap(text, terminal_width())
    } else {
        text.to_string()
    }
}

/// `text` with every line longer than `width` columns broken, a Chinese character counting
/// as two: at a space, or between two Chinese characters (never before `，` or after `（`).
/// An option's line goes on under where its help starts.
fn wrap(text: &str, width: usize) -> String {
    let mut wrapped = String::new();
    for line in text.lines() {
        for piece in wrap_line(line, width) {
            wrapped.push_str(piece.trim_end());
            wrapped.push('\n');
        }
    }
    wrapped
}

/// One line of [`wrap`].
fn wrap_line(line: &str, width: usize) -> Vec<String> {
    let indent = hanging_indent(line);
    let mut lines = Vec::new();
    let mut rest = line;
    let mut margin = 0; // the first line starts at column 0, the others at `indent`
    loop {
        let Some(cut) = cut_at(rest, margin, width, indent) else {
            lines.push(format!("{}{rest}", " ".repeat(margin)));
            return lines;
        };
        let (head, tail) = rest.split_at(cut);
        lines.push(format!("{}{head}", " ".repeat(margin)));
        rest = tail.trim_start();
        margin = indent;
    }
}

/// Where to break `rest`, which starts at column `margin`, so that it fits in `width`; `None`
/// when it fits, or when it cannot be broken after column `indent`.
fn cut_at(rest: &str, margin: usize, width: usize, indent: usize) -> Option<usize> {
    let mut column = margin;
    let mut cut = None;
    let mut previous: Option<char> = None;
    for (at, c) in rest.char_indices() {
        if let Some(before) = previous {
            if column >= indent && may_break(before, c) {
                cut = Some(at);
            }
        }
        column += columns(c);
        if column > width && cut.is_some() {
            return cut;
        }
        previous = Some(c);
    }
    None
}

/// Where the help of an option's line starts (`  --port <PORT>  Port ...`): the wrapped
/// rest goes there. Any other line goes on at its own indentation.
fn hanging_indent(line: &str) -> usize {
    let text = line.trim_start();
    let lead = line.len() - text.len();
    let is_option = text.starts_with('-') || text.starts_with('[') || text.starts_with('<');
    let gap = text.find("  ").filter(|_| is_option);
    match gap {
        Some(gap) => {
            let help = text[gap..].trim_start();
            lead + columns_of(&text[..text.len() - help.len()])
        }
        None => lead,
    }
}

/// True when a line may break between `before` and `after`: after a space, or beside a
/// Chinese character, but not before closing punctuation nor after opening punctuation.
fn may_break(before: char, after: char) -> bool {
    let closing = "，。、；：？！）」』》…".contains(after);
    let opening = "（「『《".contains(before);
    match (before, after) {
        (' ', ' ') => false,
        (' ', _) => true,
        (_, ' ') => false,
        _ => (columns(before) == 2 || columns(after) == 2) && !closing && !opening,
    }
}

/// The columns `text` takes on a terminal.
fn columns_of(text: &str) -> usize {
    text.chars().map(columns).sum()
}

/// The columns a character takes on a terminal: two for Chinese, Japanese and Korean
/// characters and full-width forms (East Asian Wide and Fullwidth), and for the quotation
/// marks, dashes and ellipsis that Chinese text uses (East Asian Ambiguous: a Chinese
/// terminal shows them two columns wide, so counting them as two never overflows); one for
/// the others.
fn columns(c: char) -> usize {
    let wide = matches!(c,
        '\u{2014}' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' | '\u{2026}' | '\u{00B7}'
        | '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{303E}'
        | '\u{3041}'..='\u{33FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{A000}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{20000}'..='\u{3FFFD}');
    if wide { 2 } else { 1 }
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

/// Parses a server's `--port`: 0 to 65535, where 0 lets the system pick a free port.
fn server_port(text: &str) -> Result<u16, String> {
    text.trim().parse().map_err(|_| {
        tr!(
            "a port is a whole number from 0 to 65535 (0: the system picks a free one)",
            "端口号应为 0 到 65535 之间的整数（0 表示由系统任选）"
        )
    })
}

/// Parses a client's `--port`: 1 to 65535 (a client must name the server's real port).
fn client_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(tr!(
            "a server's port is a whole number from 1 to 65535: the port the server printed",
            "服务器的端口号应为 1 到 65535 之间的整数，即服务器打印出的端口"
        )),
    }
}

/// Parses a number of bytes from 1 to `max`, such as `--bufsize 1024`.
pub fn bytes_up_to(max: usize) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |text| match text.trim().parse::<usize>() {
        Ok(bytes) if (1..=max).contains(&bytes) => Ok(bytes),
        _ => Err(tr!(
            "a buffer size is a whole number of bytes from 1 to {max}",
            "缓冲区大小应为 1 到 {max} 之间的整数（字节数）"
        )),
    }
}

/// Parses a whole number from `min` to `max`, such as `--retries 3` or `--backlog 5`.
pub fn whole_number<T>(min: T, max: T) -> impl Fn(&str) -> Result<T, String> + Clone
where
    T: FromStr + PartialOrd + Display + Copy,
{
    move |text| match text.trim().parse::<T>() {
        Ok(number) if min <= number && number <= max => Ok(number),
        _ => Err(tr!(
            "give a whole number from {min} to {max}",
            "应为 {min} 到 {max} 之间的整数"
        )),
    }
}

/// Parses a number of seconds from 0 up to `MAX_SECONDS`, such as `--idle-timeout 2.5`.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let max = MAX_SECONDS;
    let value: f64 = text.trim().parse().unwrap_or(f64::NAN);
    if !value.is_finite() || value < 0.0 {
        return Err(tr!(
            "give a number of seconds from 0 up, such as 2.5",
            "秒数应为大于等于 0 的数，例如 2.5"
        ));
    }
    if value > max as f64 {
        return Err(tr!(
            "that is too long: at most {max} seconds (a year)",
            "时间太长：最多 {max} 秒（一年）"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// Parses a number of seconds that must be more than 0, such as `--timeout 2.5`.
pub fn positive_seconds(text: &str) -> Result<Duration, String> {
    match seconds(text)? {
        duration if duration.is_zero() => Err(tr!(
            "give a number of seconds more than 0, such as 2.5",
            "秒数应大于 0，例如 2.5"
        )),
        duration => Ok(duration),
    }
}

/// Where a client's server is, from the ways people write it, in the order they were typed:
/// `192.168.1.5`, `192.168.1.5:21567`, `[::1]:21567` (as the positional `SERVER` or
/// `--host`), and `--port`.
///
/// Returns the host and port, or the usage error when the host or port is given twice,
/// differently.
fn server_address(named: &[&str], port: Option<u16>) -> Result<(String, u16), String> {
    let split: Vec<(String, Option<u16>)> = named
        .iter()
        .map(|text| split_port(text, client_port))
        .collect::<Result<_, _>>()?;
    if let [(first, _), (second, _)] = &split[..] {
        if first != second {
            return Err(tr!(
                "the server is named twice, as {first} and as {second}: give it once",
                "服务器被指定了两次（先是 {first}，后是 {second}）：请只给一次"
            ));
        }
    }
    let ports: Vec<u16> = split
        .iter()
        .filter_map(|(_, port)| *port)
        .chain(port)
        .collect();
    same_port(&ports)?;
    let host = split
        .into_iter()
        .next()
        .map(|(host, _)| host)
        .unwrap_or_else(|| crate::ADDR.0.to_string());
    Ok((host, ports.first().copied().unwrap_or(crate::ADDR.1)))
}

/// Where a server listens, from its `--host` (`127.0.0.1`, or the `127.0.0.1:21567` and
/// `[::1]:21567` it prints itself) and its `--port` when typed.
///
/// Returns the host and the port the host names, if it names one; or the usage error when
/// the port is given twice, differently.
pub(crate) fn listen_address(
    host: &str,
    port: Option<u16>,
) -> Result<(String, Option<u16>), String> {
    let (host, named) = split_port(host, server_port)?;
    let ports: Vec<u16> = named.into_iter().chain(port).collect();
    same_port(&ports)?;
    Ok((host, named))
}

/// The usage error when a port is given twice, differently.
fn same_port(ports: &[u16]) -> Result<(), String> {
    match ports.iter().find(|&&other| other != ports[0]) {
        Some(other) => {
            let first = ports[0];
            Err(tr!(
                "the port is given twice, as {first} and as {other}: give it once",
                "端口被指定了两次（先是 {first}，后是 {other}）：请只给一次"
            ))
        }
        None => Ok(()),
    }
}

/// Splits `HOST:PORT` (`[IPv6]:PORT` for IPv6), reading the port with `port_of`; a bare IPv6
/// address such as `::1` has no port. A URL (`http://host:port/`) is told as what it is.
fn split_port(
    text: &str,
    port_of: fn(&str) -> Result<u16, String>,
) -> Result<(String, Option<u16>), String> {
    let text = text.trim();
    if let Some((scheme, rest)) = text.split_once("://") {
        let host = rest.split('/').next().unwrap_or_default();
        return Err(tr!(
            "'{text}' is a {scheme} URL, not a host: give the host alone, such as {host}",
            "'{text}' 是一个 {scheme} 网址，不是主机：请只写主机部分，例如 {host}"
        ));
    }
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, port)) => (host, Some(port.strip_prefix(':').unwrap_or(port))),
            None => (text, None),
        },
        None => match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (text, None),
        },
    };
    let port = port
        .map(|port| port_of(port).map_err(|why| bad_port_in(text, &why)))
        .transpose()?;
    Ok((host.to_string(), port))
}

/// The error for the port in `HOST:PORT` that is not one.
fn bad_port_in(text: &str, why: &str) -> String {
    tr!(
        "the port in '{text}' is not valid: {why}",
        "'{text}' 中的端口无效：{why}"
    )
}

#[cfg(test)]
mod tests;
