//! The command line: the options every program shares, parsers that name a bad value, and
//! `--help` and usage errors in the reader's language. A usage error exits with status 2.

use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::lang::chinese;
use crate::tr;

/// The options every program takes besides its own.
#[derive(clap::Args, Debug, Clone)]
pub struct Shared {
    /// `--trace`: each socket call on stderr, so students watch the book's steps run.
    #[arg(long, help = tr!(
        "Print each socket call to stderr as it happens: socket(), bind(), recv(1024), ...",
        "在标准错误上逐一打印每个套接字调用：socket()、bind()、recv(1024)……"
    ))]
    pub trace: bool,
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
    pub server: Option<String>,

    /// `--host`: the same, as an option.
    #[arg(long, help = tr!(
        "The server's host name or address, or HOST:PORT (default: localhost)",
        "服务器的主机名或地址，或 HOST:PORT（默认：localhost）"
    ))]
    pub host: Option<String>,

    /// `--port`: the server's port.
    #[arg(long, value_parser = client_port, help = tr!(
        "The server's port (default: the book's 21567)",
        "服务器的端口（默认：书中的 21567）"
    ))]
    pub port: Option<u16>,
}

impl Target {
    /// The host and port, or a usage error (exit status 2) when either is given twice,
    /// differently.
    pub fn host_and_port<T: CommandFactory>(&self) -> (String, u16) {
        server_address(self.server.as_deref(), self.host.as_deref(), self.port)
            .unwrap_or_else(|message| usage_error::<T>(message))
    }
}

/// The longest time any option takes, so that no deadline overflows: a year.
pub const MAX_SECONDS: u64 = 365 * 24 * 3600;

/// Reads the command line into `T`, with `--help` and usage errors in the reader's language.
pub fn parse<T: CommandFactory + FromArgMatches>() -> T {
    let mut command = localized(T::command());
    let matches: ArgMatches = command
        .try_get_matches_from_mut(std::env::args_os())
        .unwrap_or_else(|error| exit_with(error, &mut command));
    T::from_arg_matches(&matches).unwrap_or_else(|error| exit_with(error, &mut command))
}

/// Ends the program with a usage error (exit status 2) that says `message`.
pub fn usage_error<T: CommandFactory>(message: impl std::fmt::Display) -> ! {
    let mut command = localized(T::command());
    let error = command.error(ErrorKind::ValueValidation, message);
    exit_with(error, &mut command)
}

/// `--help` and `--version` in the reader's language, and headings in Chinese for Chinese.
fn localized(command: Command) -> Command {
    let command = command
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
        );
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
    command.help_template(template).mut_args(|arg| {
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
        match defaults.is_empty() {
            true => arg,
            false => {
                let default = defaults.join("、");
                arg.help(format!("{help}（默认：{default}）"))
                    .hide_default_value(true)
            }
        }
    })
}

/// Prints `error` (help and the version on stdout, exit 0) and exits; in Chinese, in words
/// of its own, since clap's are English.
fn exit_with(error: clap::Error, command: &mut Command) -> ! {
    let shown = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if shown || !chinese() {
        error.exit();
    }
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(text)) => text.clone(),
        Some(ContextValue::Strings(texts)) => texts.join("、"),
        _ => String::new(),
    };
    let (arg, value, valid) = (
        text(ContextKind::InvalidArg),
        text(ContextKind::InvalidValue),
        text(ContextKind::ValidValue),
    );
    let line = match error.kind() {
        ErrorKind::ValueValidation if !arg.is_empty() => {
            let why = std::error::Error::source(&error)
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("'{arg}' 的值 '{value}' 无效：{why}")
        }
        ErrorKind::InvalidValue if value.is_empty() => format!("'{arg}' 需要一个值"),
        ErrorKind::InvalidValue => format!("'{arg}' 的值 '{value}' 无效；可选的值：{valid}"),
        ErrorKind::UnknownArgument => format!("未知的参数 '{arg}'"),
        ErrorKind::ArgumentConflict => format!("参数 '{arg}' 不能与其他参数同时使用"),
        ErrorKind::TooManyValues => format!("多余的参数 '{value}'"),
        _ => {
            // A message of ours (already Chinese), or a rarer error of clap's.
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        }
    };
    let usage = command.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ");
    eprintln!("错误：{line}\n\n用法：{usage}\n\n更多信息请运行 '--help'。");
    std::process::exit(2);
}

/// Parses a server's `--port`: 0 to 65535, where 0 lets the system pick a free port.
pub fn server_port(text: &str) -> Result<u16, String> {
    text.trim().parse().map_err(|_| {
        tr!(
            "'{text}' is not a port: give a number from 0 to 65535 (0: any free port)",
            "'{text}' 不是端口号：请给出 0 到 65535 之间的数（0：任选一个空闲端口）"
        )
    })
}

/// Parses a client's `--port`: 1 to 65535 (a client must name the server's real port).
pub fn client_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(tr!(
            "'{text}' is not a server's port: give a number from 1 to 65535, the port the server printed",
            "'{text}' 不是服务器的端口号：请给出 1 到 65535 之间的数，即服务器打印的那个端口"
        )),
    }
}

/// Parses a number of bytes from 1 to `max`, such as `--bufsize 1024`.
pub fn bytes_up_to(max: usize) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |text| match text.trim().parse::<usize>() {
        Ok(bytes) if (1..=max).contains(&bytes) => Ok(bytes),
        _ => Err(tr!(
            "'{text}' is not a buffer size: give a number of bytes from 1 to {max}",
            "'{text}' 不是缓冲区大小：请给出 1 到 {max} 之间的字节数"
        )),
    }
}

/// Parses a number of seconds from 0 up to [`MAX_SECONDS`], such as `--idle-timeout 2.5`.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let max = MAX_SECONDS;
    let value: f64 = text.trim().parse().unwrap_or(f64::NAN);
    if !value.is_finite() || value < 0.0 {
        return Err(tr!(
            "'{text}' is not a number of seconds from 0 up",
            "'{text}' 不是一个大于等于 0 的秒数"
        ));
    }
    if value > max as f64 {
        return Err(tr!(
            "'{text}' seconds is too long: at most {max} (a year)",
            "'{text}' 秒太长了：最多 {max} 秒（一年）"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// Parses a number of seconds that must be more than 0, such as `--timeout 2.5`.
pub fn positive_seconds(text: &str) -> Result<Duration, String> {
    match seconds(text)? {
        duration if duration.is_zero() => Err(tr!("must be more than 0 seconds", "必须大于 0 秒")),
        duration => Ok(duration),
    }
}

/// Where a client's server is, from the ways people write it: `tcp-client 192.168.1.5`,
/// `tcp-client 192.168.1.5:21567`, `--host HOST[:PORT]`, `[::1]:21567`, and `--port`.
///
/// Returns the host and port, or the usage error when the host or port is given twice,
/// differently.
pub fn server_address(
    positional: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
) -> Result<(String, u16), String> {
    let (from_positional, from_host) = (positional.map(split_port), host.map(split_port));
    let from_positional = from_positional.transpose()?;
    let from_host = from_host.transpose()?;
    let hosts: Vec<String> = [&from_positional, &from_host]
        .into_iter()
        .flatten()
        .map(|(host, _)| host.clone())
        .collect();
    let ports: Vec<u16> = [
        from_positional.and_then(|(_, port)| port),
        from_host.and_then(|(_, port)| port),
        port,
    ]
    .into_iter()
    .flatten()
    .collect();
    if let [first, second] = &hosts[..] {
        if first != second {
            return Err(tr!(
                "the server is named twice, as {first} and as {second}: give it once",
                "服务器被指定了两次（{first} 和 {second}）：请只给一次"
            ));
        }
    }
    if let Some(other) = ports.iter().find(|&&other| other != ports[0]) {
        let first = ports[0];
        return Err(tr!(
            "the port is given twice, as {first} and as {other}: give it once",
            "端口被指定了两次（{first} 和 {other}）：请只给一次"
        ));
    }
    let host = hosts
        .into_iter()
        .next()
        .unwrap_or_else(|| crate::ADDR.0.to_string());
    Ok((host, ports.first().copied().unwrap_or(crate::ADDR.1)))
}

/// Splits `HOST:PORT` (`[IPv6]:PORT` for IPv6); a bare IPv6 address such as `::1` has no port.
fn split_port(text: &str) -> Result<(String, Option<u16>), String> {
    let text = text.trim();
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
    let port = port.map(client_port).transpose()?;
    Ok((host.to_string(), port))
}
