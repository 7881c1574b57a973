//! What the server has done since it started, for the line it prints when it stops.

use std::sync::atomic::{AtomicU64, Ordering};

use common::lang::count;
use common::tr;

/// What the server has done since it started, for the line it prints when it stops.
pub static TALLY: Tally = Tally {
    clients: AtomicU64::new(0),
    messages: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
    turned_away: AtomicU64::new(0),
};

/// Counts of what the server did.
pub struct Tally {
    /// Clients accepted.
    pub clients: AtomicU64,
    /// Reads answered.
    pub messages: AtomicU64,
    /// Bytes received.
    pub bytes: AtomicU64,
    /// Clients turned away (busy): the log shows only a few of a flood of them.
    pub turned_away: AtomicU64,
}

impl Tally {
    /// The line the server prints when it stops.
    pub fn summary(&self) -> String {
        let clients = self.clients.load(Ordering::Relaxed);
        let messages = self.messages.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        let (clients_en, messages_en, bytes_en) = (
            count(clients, "client"),
            count(messages, "message"),
            count(bytes, "byte"),
        );
        let served = tr!(
            "tcp-server stopped: served {clients_en}, {messages_en}, {bytes_en}",
            "tcp-server 已停止：共服务 {clients} 个客户端，收到 {messages} 条消息、{bytes} 字节"
        );
        let turned_away = self.turned_away.load(Ordering::Relaxed);
        if turned_away == 0 {
            return served;
        }
        let turned_away_en = count(turned_away, "client");
        served
            + &tr!(
                "; turned away (busy): {turned_away_en}",
                "；另有 {turned_away} 个客户端因服务器忙被拒绝"
            )
    }
}
