//! Command-line pieces the programs share: the `--port` and `--trace` options, and the
//! checks that turn a bad value into a usage error (exit status 2) naming that value.

use std::net::SocketAddr;
use std::time::Duration;

use clap::error::ErrorKind;

use crate::PORT;
use crate::text::Message;

/// The options every program takes besides its own `--host`.
#[derive(clap::Args, Debug, Clone)]
pub struct Shared {
    /// Port number (the book's 21567); a server given 0 picks a free one and prints it
    #[arg(long, default_value_t = PORT)]
    pub port: u16,

    /// Print each socket call to stderr as it happens: socket(), bind(), recv(1024), ...
    #[arg(long)]
    pub trace: bool,
}

impl Shared {
    /// Where `--trace` sends each socket call (nowhere, without the flag).
    pub fn trace(&self) -> crate::output::Trace {
        crate::output::Trace { on: self.trace }
    }
}

/// The largest `--bufsize` the UDP programs take over IPv4: a reply must fit in one datagram,
/// whose data is at most 65,507 bytes over IPv4, and the stamp takes 27 of them.
pub const MAX_UDP_BUFSIZE_V4: usize = 65_507 - crate::reply::STAMP_LEN;

/// The largest `--bufsize` the UDP programs take over IPv6 (65,527 bytes of data there).
pub const MAX_UDP_BUFSIZE_V6: usize = 65_527 - crate::reply::STAMP_LEN;

/// The largest `--bufsize` for a UDP program at `addr`, or the reason `bufsize` is refused.
pub fn check_udp_bufsize(bufsize: usize, addr: &SocketAddr) -> Result<(), String> {
    let (max, family) = match addr {
        SocketAddr::V4(_) => (MAX_UDP_BUFSIZE_V4, "IPv4"),
        SocketAddr::V6(_) => (MAX_UDP_BUFSIZE_V6, "IPv6"),
    };
    if bufsize > max {
        let stamp = crate::reply::STAMP_LEN;
        let message = Message::UdpBufsizeTooLarge.with(&[
            ("bufsize", &bufsize),
            ("stamp", &stamp),
            ("family", &family),
            ("max", &max),
        ]);
        return Err(message.to_string());
    }
    Ok(())
}

/// Ends the program with a usage error (exit status 2), in clap's own format.
pub fn exit_with_usage_error<Cli: clap::CommandFactory>(message: impl std::fmt::Display) -> ! {
    Cli::command()
        .error(ErrorKind::ValueValidation, message)
        .exit()
}

/// Parses a number of seconds that must be more than 0, such as `--timeout 2.5`.
pub fn positive_seconds(text: &str) -> Result<Duration, String> {
    match seconds(text)? {
        duration if duration.is_zero() => Err(Message::MustBePositive.text().into()),
        duration => Ok(duration),
    }
}

/// Parses a number of seconds from 0 up, such as `--idle-timeout 0` (where 0 means never:
/// see [`never_if_zero`]).
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| Message::NotSeconds.with(&[("text", &text)]).to_string())?;
    if !value.is_finite() || value < 0.0 {
        return Err(Message::NotSeconds.with(&[("text", &text)]).to_string());
    }
    Duration::try_from_secs_f64(value)
        .map_err(|_| Message::SecondsTooLong.with(&[("text", &text)]).to_string())
}

/// A timeout option where 0 means "never": `None` for 0, the duration otherwise.
pub fn never_if_zero(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_accept_fractions_and_refuse_nonsense() {
        assert_eq!(positive_seconds("2"), Ok(Duration::from_secs(2)));
        assert_eq!(positive_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(positive_seconds("0").is_err());
        assert!(positive_seconds("-1").is_err());
        assert!(positive_seconds("soon").is_err());
        assert!(positive_seconds("inf").is_err());
        assert_eq!(seconds("0").map(never_if_zero), Ok(None));
    }

    #[test]
    fn udp_bufsize_limits_follow_the_family() {
        let v4: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        assert!(check_udp_bufsize(65_480, &v4).is_ok());
        assert!(check_udp_bufsize(65_481, &v4).is_err());
        assert!(check_udp_bufsize(65_500, &v6).is_ok());
        assert!(check_udp_bufsize(65_501, &v6).is_err());
    }
}
