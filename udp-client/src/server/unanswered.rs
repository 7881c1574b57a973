//! What the client says when the server does not answer: a port that refuses (nothing is
//! there), a line whose tries all went unanswered (over UDP a lossy network and a stopped
//! server look the same), and lines in a row unanswered (a server never heard from is likely
//! down; one that answered earlier lines was there).

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::anyhow;

use super::Server;
use common::lang::count;
use common::{problem, tr};

impl Server {
    /// The error when every address refused a line: nothing listens there.
    pub fn down(&self) -> anyhow::Error {
        let server = self.address();
        // A TCP server on the same port is a common mix-up: TCP and UDP ports are separate.
        let tcp_answers = TcpStream::connect_timeout(&server, Duration::from_millis(300)).is_ok();
        refused(server, tcp_answers)
    }

    /// Says that a line got no reply after all its tries: over UDP a lossy network
    /// and a stopped server look the same, so it names the options for the first.
    pub fn say_unanswered(&self, line: &[u8]) {
        let (server, line) = (self.address(), common::out::Printable(line));
        let secs = self.timeout.as_secs_f64();
        if self.retries == 0 {
            problem!(
                "udp-client: no reply to {line} from {server} after 1 try, {secs} s: the datagram or its reply was lost on the way, or the server is down (over UDP the two look the same); on a slow or lossy network, wait longer with --timeout or send more often with --retries",
                "udp-client：{line} 发往 {server}，等待 {secs} 秒，没有收到回复（只发送了 1 次）：可能是数据报或回复在路上丢失了，也可能是服务器没有运行（对 UDP 来说，这两种情况无法区分）；如果网络慢或丢包多，请用 --timeout 延长等待时间，或用 --retries 增加重发次数"
            );
            return;
        }
        let tries = self.retries.saturating_add(1);
        problem!(
            "udp-client: no reply to {line} from {server} after {tries} tries, {secs} s each: the datagrams or their replies were lost on the way, or the server is down (over UDP the two look the same); on a slow or lossy network, wait longer with --timeout or send more often with --retries",
            "udp-client：{line} 发往 {server}，尝试 {tries} 次（每次等待 {secs} 秒）都没有收到回复：可能是数据报或回复在路上丢失了，也可能是服务器没有运行（对 UDP 来说，这两种情况无法区分）；如果网络慢或丢包多，请用 --timeout 延长等待时间，或用 --retries 增加重发次数"
        );
    }

    /// The error after `lines` lines in a row went unanswered: a server never heard from is
    /// likely down or out of reach; one that answered earlier lines was there, and either
    /// stopped or does not answer lines like these.
    pub fn given_up(&self, lines: u32) -> anyhow::Error {
        let server = self.address();
        let lines_en = count(lines, "line");
        if self.answered_before {
            return anyhow!(tr!(
                "no reply from {server} to {lines_en} in a row, though it answered earlier lines: it may have stopped, or it does not answer lines like these (on a slow or lossy network, raise --timeout or --retries)",
                "连续 {lines} 行都没有收到 {server} 的回复，而它之前回复过：它可能已经停止了，也可能不回复这样的行（如果只是网络慢或丢包多，请调大 --timeout 或 --retries）"
            ));
        }
        anyhow!(tr!(
            "no reply from {server} to {lines_en} in a row: the server is likely down or unreachable; check that udp-server runs there with the same --port, and that no firewall drops UDP (on a slow or lossy network, raise --timeout or --retries)",
            "连续 {lines} 行都没有收到 {server} 的回复：服务器很可能没有运行或无法到达；请检查那里是否运行着 udp-server、--port 是否相同、防火墙是否放行了 UDP（如果只是网络慢或丢包多，请调大 --timeout 或 --retries）"
        ))
    }
}

/// The words for a port that refused every datagram at `server`: a TCP server answering on
/// the same port (`tcp_answers`), another machine's server not listening for others, or no
/// server here.
fn refused(server: SocketAddr, tcp_answers: bool) -> anyhow::Error {
    if tcp_answers {
        return anyhow!(tr!(
            "no reply from {server}: no UDP server is there (its port refused the datagrams), but a TCP server answers on that port: TCP and UDP ports are separate; start `cargo run -p udp-server`, or talk to the TCP server with tcp-client",
            "{server} 没有回复：那里没有 UDP 服务器（该端口拒收了数据报），但该端口上有一个 TCP 服务器在应答：TCP 和 UDP 的端口是分开的；请先用 `cargo run -p udp-server` 启动 UDP 服务器，或用 tcp-client 和那个 TCP 服务器对话"
        ));
    }
    if !common::net::is_this_machine(server.ip()) {
        // Another machine: most often the teacher's server, left on 127.0.0.1.
        return anyhow!(tr!(
            "no reply from {server}: its port refused the datagrams: no UDP server there hears other machines; the server on that machine must be running, started with --host 0.0.0.0 (without it, it hears only its own machine, 127.0.0.1)",
            "{server} 没有回复：该端口拒收了数据报，说明那里没有接受其他机器的 UDP 服务器；那台机器上的服务器须已启动，并且使用 --host 0.0.0.0（不加它启动的服务器只接受本机 127.0.0.1 的数据报）"
        ));
    }
    anyhow!(tr!(
        "no reply from {server}: the server is down (its port refused the datagrams: nothing is listening there); start it with `cargo run -p udp-server`, with the same --host and --port",
        "{server} 没有回复：服务器没有运行（该端口拒收了数据报，说明没有程序在监听）；请先用 `cargo run -p udp-server` 启动服务器，使用相同的 --host 和 --port"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_port_is_told_by_where_it_is_and_what_answers_there() {
        let here: SocketAddr = "127.0.0.1:21567".parse().unwrap();
        let words = |server, tcp| format!("{:#}", refused(server, tcp));
        assert!(words(here, true).contains("TCP and UDP ports are separate"));
        assert!(words(here, false).contains("start it with `cargo run -p udp-server`"));
        // A documentation address (RFC 5737): never this machine's.
        let there: SocketAddr = "192.0.2.1:21567".parse().unwrap();
        let other = words(there, false);
        assert!(other.contains("--host 0.0.0.0"), "{other}");
        assert!(!other.contains("cargo run"), "{other}");
    }
}
