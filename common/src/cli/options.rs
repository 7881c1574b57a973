//! The options more than one program takes, and the parsers that say what a good value is.
//!
//! Each option's placeholder is a word of the reader's language (`<端口>`, `[服务器]`), as
//! its help is.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use clap::CommandFactory;

use super::usage::{Usage, usage_error};
use crate::address::{client_port, server_address, server_port};
use crate::tr;

/// The options every program takes besides its own.
#[derive(clap::Args, Debug, Clone)]
pub struct Shared {
    /// `--trace`: each socket call on stderr, so students watch the book's steps run. Each
    /// program's help names the calls it makes (`#[command(mut_arg("trace", ...))]`).
    #[arg(long, help = tr!(
        "Print each socket call to stderr as it happens",
        "把每次套接字调用实时打印到标准错误（stderr）"
    ))]
    pub trace: bool,
}

/// Where a server listens, and how much it logs: the options both servers take.
#[derive(clap::Args, Debug, Clone)]
pub struct Listen {
    /// `--host`: where to listen.
    #[arg(long, value_name = tr!("HOST", "主机"), default_value = crate::SERVER_HOST, help = tr!(
        "Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 (or ::) lets other machines connect, as a lab needs",
        "监听的地址：127.0.0.1 仅限本机；0.0.0.0 或 :: 接受其他机器的连接，跨机器的实验课要用它"
    ))]
    pub host: String,

    /// `--port`: the book's PORT, or 0 for any free port.
    #[arg(long, value_name = tr!("PORT", "端口"), default_value_t = crate::PORT, value_parser = server_port, help = tr!(
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
    #[arg(value_name = tr!("SERVER", "服务器"), help = tr!(
        "The server: HOST or HOST:PORT ([::1]:21567 for IPv6), as for telnet and nc",
        "服务器：主机 或 主机:端口（IPv6 写作 [::1]:21567），和 telnet、nc 的写法一样"
    ))]
    server: Option<String>,

    /// `--host`: the same, as an option.
    #[arg(long, value_name = tr!("HOST", "主机"), help = tr!(
        "The server's host name or address, or HOST:PORT (default: localhost)",
        "服务器的主机名或地址，或 主机:端口（默认 localhost）"
    ))]
    host: Option<String>,

    /// `--port`: the server's port.
    #[arg(long, value_name = tr!("PORT", "端口"), value_parser = client_port, help = tr!(
        "The server's port (default: the book's 21567)",
        "服务器的端口（默认为书中的 21567）"
    ))]
    port: Option<u16>,
}

impl Target {
    /// The host and port. [`parse`](super::parse) has already refused a server named twice
    /// differently; were it not so, this is that usage error, for `main` to print.
    pub fn host_and_port<T: CommandFactory>(&self) -> Result<(String, u16), Usage> {
        let named: Vec<&str> = [self.server.as_deref(), self.host.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        server_address(&named, self.port).map_err(usage_error::<T>)
    }
}

/// The longest time any option takes, so that no deadline overflows: a year.
const MAX_SECONDS: u64 = 365 * 24 * 3600;

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
