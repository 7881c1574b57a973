//! `--mode event`: one thread, one event loop over every client.
use crate::server::Server;

/// Not written yet.
pub fn serve(_server: &Server) -> anyhow::Result<()> {
    anyhow::bail!("--mode event is not ready yet")
}
