//! The `log` host interface, linked by hand rather than through the generated
//! bindings: the message arrives as a [`WasmStr`], a view into the plugin's memory,
//! so a line is cut at the cap before anything is copied, and lines past the
//! per-invocation count are not read at all (TESTPLAN S4). Kept lines also reach the
//! server's log at the plugin's own level, with the plugin's name.
use wasmtime::component::{Linker, WasmStr};
use wasmtime::StoreContextMut;

use super::super::bindings::gantry::plugin::log::Level;
use super::CallData;
use crate::domain::text::clip;

/// The instance name of the current version's interface in the component model.
const INTERFACE: &str = "gantry:plugin/log@0.2.0";

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

/// Adds `log.write` of the current version to the linker.
///
/// # Errors
/// When wasmtime refuses the definition.
pub fn add_to_linker(linker: &mut Linker<CallData>) -> wasmtime::Result<()> {
    add_to_linker_as(linker, INTERFACE)
}

/// Adds `log.write` under `interface`, the instance name of one served version
/// (`gantry:plugin/log@0.1.0`): the interface is the same in every version.
///
/// # Errors
/// When wasmtime refuses the definition.
pub fn add_to_linker_as(linker: &mut Linker<CallData>, interface: &str) -> wasmtime::Result<()> {
    let mut instance = linker.instance(interface)?;
    instance.func_wrap(
        "write",
        |mut store: StoreContextMut<'_, CallData>, (level, message): (Level, WasmStr)| {
            if store.data().invocation.log.is_full() {
                store.data_mut().invocation.log.count_dropped();
                return Ok(());
            }
            let max = store.data().invocation.log.max_line_bytes();
            // A borrowed view for UTF-8 guests: nothing is copied until `kept`.
            let (kept, cut) = {
                let text = message.to_str(&store)?;
                let kept = clip(&text, max);
                (kept.to_owned(), kept.len() < text.len())
            };
            let inv = &mut store.data_mut().invocation;
            let name = level_name(level);
            // At the plugin's own level, named by the plugin, so `info` lines show in a
            // server logging at its default filter; the per-call line cap above bounds them.
            let (plugin, line) = (&inv.plugin, clip(&kept, 512));
            match level {
                Level::Trace => tracing::trace!(%plugin, "{line}"),
                Level::Debug => tracing::debug!(%plugin, "{line}"),
                Level::Info => tracing::info!(%plugin, "{line}"),
                Level::Warn => tracing::warn!(%plugin, "{line}"),
                Level::Error => tracing::error!(%plugin, "{line}"),
            }
            inv.log.push_kept(name, kept, cut);
            Ok(())
        },
    )
}
