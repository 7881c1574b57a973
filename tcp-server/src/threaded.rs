//! `--mode threaded` (the default): the book's loop with each client moved onto a thread of
//! its own, as SocketServer's `ThreadingMixIn` does. Nothing else changes: the same
//! [`serve_client`] runs in every thread, so a whole class can be connected at once.

use std::thread;

use crate::client::serve_client;
use common::text::Message;

use crate::server::Server;

/// How much stack a client's thread gets. Its buffer is on the heap, so a small stack is
/// plenty, and thousands of connected clients cost little memory.
const CLIENT_STACK: usize = 128 * 1024;

/// Accepts clients forever, serving each on its own thread.
pub fn serve(server: &Server) -> ! {
    // A scope lets every client's thread borrow the one `server`; they run for as long as
    // their client stays, while this loop goes on accepting.
    thread::scope(|scope| {
        loop {
            server.log.event(Message::WaitingForConnection, &[]);
            // cs, addr = ss.accept()
            let (mut cs, peer) = server.accept();
            let Some(slot) = server.admit(peer) else {
                server.turn_away(cs, peer);
                continue;
            };
            let started = thread::Builder::new()
                .name(format!("client {peer}"))
                .stack_size(CLIENT_STACK)
                .spawn_scoped(scope, move || {
                    let ending = serve_client(server, &mut cs, peer);
                    // cs.close()
                    drop(cs);
                    server.trace.call(format_args!("close()  [{peer}]"));
                    slot.release(&ending);
                });
            if let Err(error) = started {
                // Out of threads: this client is closed (dropped with the closure), the
                // server goes on with the others.
                server
                    .log
                    .problem(Message::ThreadFailed, &[("peer", &peer), ("error", &error)]);
            }
        }
    })
}
