//! A spawned process's stdout and stderr, forwarded line by line into the
//! host's logs.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tracing::Level;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::process";

/// The longest line of output forwarded whole; the rest of a longer line is
/// dropped (the event says so).
const MAX_LINE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy)]
pub(super) enum Stream {
    Stdout,
    Stderr,
}

/// Logs every line `reader` gives, until its end (or a read error).
pub(super) async fn forward(plugin_id: Arc<str>, stream: Stream, reader: impl AsyncRead + Unpin) {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    // The current line was too long: it has been logged, cut; the rest of
    // it is skipped.
    let mut skipping = false;
    // A read error on a pipe ends the output (the process's fate is the
    // supervising task's business).
    while let Ok(buffer) = reader.fill_buf().await {
        if buffer.is_empty() {
            if !line.is_empty() {
                emit(&plugin_id, stream, &line, false);
            }
            break;
        }
        let (part, newline) = match buffer.iter().position(|&b| b == b'\n') {
            Some(i) => (&buffer[..i], true),
            None => (buffer, false),
        };
        let used = part.len() + usize::from(newline);
        if !skipping {
            let room = MAX_LINE - line.len();
            if part.len() > room {
                line.extend_from_slice(&part[..room]);
                emit(&plugin_id, stream, &line, true);
                line.clear();
                skipping = true;
            } else {
                line.extend_from_slice(part);
            }
        }
        reader.consume(used);
        if newline {
            if !skipping {
                emit(&plugin_id, stream, &line, false);
            }
            line.clear();
            skipping = false;
        }
    }
}

/// Logs one line of output.
fn emit(plugin_id: &str, stream: Stream, line: &[u8], cut: bool) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut text = String::from_utf8_lossy(line).into_owned();
    if cut {
        text.push_str(&format!(" [cut: line longer than {MAX_LINE} bytes]"));
    }
    match stream {
        Stream::Stdout => tracing::event!(
            name: "plugin.process.output",
            target: LOG_TARGET, Level::INFO,
            plugin_id,
            stream = "stdout",
            line = text.as_str(),
            "plugin.process.output"
        ),
        Stream::Stderr => tracing::event!(
            name: "plugin.process.output",
            target: LOG_TARGET, Level::WARN,
            plugin_id,
            stream = "stderr",
            line = text.as_str(),
            "plugin.process.output"
        ),
    }
}
